"""The Kong Ingress Controller's translation of Ingresses of class ``kong`` into Kong routes.

Kong/kubernetes-ingress-controller 1fa68f86 ``internal/dataplane/translator/subtranslator/ingress.go``
(``ingressTranslationIndex.Add``: one route per Ingress, host, backend Service and port, named
``<ns>.<ingress>.<service>.<host>.<port>``; ``PathsFromIngressPaths``: ``Prefix /p`` → ``/p/`` and ``~/p$``,
``Exact /p`` → ``~/p$``, ``ImplementationSpecific`` as written, the value **not** regex-escaped;
``MaybePrependRegexPrefix``: a path starting with ``/~`` or the ``konghq.com/regex-prefix`` value is a regex)
and ``internal/dataplane/kongstate/route.go`` (``overrideByAnnotation``: ``konghq.com/strip-path``,
``preserve-host``, ``regex-priority``, ``methods``, ``headers.<name>``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from cnverify.model import Resource
from cnverify.model.base import UNIT_NAMESPACE, Node
from cnverify.model.ingress import HTTPIngressPath, Ingress
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.tables import creation_order

KONG_CLASS = "kong"
ANNOTATION = "konghq.com/"
CONTROLLER_REGEX_PREFIX = "/~"  # subtranslator_vars.go ControllerPathRegexPrefix
ROUTE_IDS = uuid.uuid5(uuid.UUID("fd02801f-0957-4a15-a55a-c8d9606f30b5"), "routes")  # go-kong kong/ids.go
FILL_IDS = (
    "Kong route ids as KIC fills them (feature gate FillIDs, on by default; no Kong workspace): the UUIDv5 of "
    "the route name (go-kong ids.go), which fix the order of routes of equal priority"
)


def route_id(name: str, obj: Resource | None = None) -> str | None:
    """The id KIC gives the Kong route ``name`` (``Route.FillID`` with an empty workspace); None when the name
    holds the namespace of ``obj`` and the inputs do not fix it (the unit namespace)."""
    if obj is not None and obj.namespace == UNIT_NAMESPACE:
        return None
    return str(uuid.uuid5(ROUTE_IDS, name))


@dataclass
class KicPath:
    """One Kong path KIC writes for an Ingress path: ``kong`` as Kong reads it, ``node`` the Ingress path."""

    kong: str
    node: Node  # the Ingress path (or default backend) it comes from
    index: tuple[int, int] | None  # (rule, path); None: the default backend
    literal: bool  # written from an Exact/Prefix value (meant literally), not a user regex


@dataclass
class KicRoute:
    """One Kong route KIC generates, with the Ingress it comes from."""

    name: str
    ingress: Ingress
    hosts: list[str]
    paths: list[KicPath] = field(default_factory=list)
    strip_path: bool = False
    preserve_host: bool = True
    regex_priority: int = 0
    methods: list[str] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)
    snis: list[str] = field(default_factory=list)


def is_kong(ing: Ingress) -> bool:
    """Served by KIC: class ``kong`` (``spec.ingressClassName`` or the legacy annotation)."""
    return ing.ingress_class == KONG_CLASS


def kong_paths(p: HTTPIngressPath, regex_prefix: str) -> list[tuple[str, bool]]:
    """``PathsFromIngressPaths`` then ``MaybePrependRegexPrefix``: (Kong path, meant literally)."""
    value = _flatten(p.path or "") or "/"
    kind = p.path_type or "ImplementationSpecific"
    plain: list[str] = []
    regex: list[str] = []
    if kind == "Prefix":
        base = value.strip("/")
        plain.append(f"/{base}/" if base else "/")
        regex += [f"~/{base}$"] if base else []
    elif kind == "Exact":
        regex.append(f"~/{value.lstrip('/')}$")
    else:
        plain.append(value)
    return [(_regex_prefix(x, regex_prefix), kind in ("Prefix", "Exact")) for x in plain + regex]


def _regex_prefix(path: str, prefix: str) -> str:
    return path.replace(prefix, "~", 1) if path.startswith(prefix) else path


def _flatten(path: str) -> str:
    """``flattenMultipleSlashes``: runs of ``/`` become one."""
    out: list[str] = []
    for c in path:
        if not (c == "/" and out and out[-1] == "/"):
            out.append(c)
    return "".join(out)


def routes(snap: Snapshot) -> list[KicRoute]:
    """Every Kong route KIC generates from the snapshot's Ingresses of class ``kong``, sorted by name."""
    out: dict[str, KicRoute] = {}
    for ing in snap.all(Ingress):
        if not is_kong(ing):
            continue
        notes = ing.annotations
        prefix = notes.get(ANNOTATION + "regex-prefix", CONTROLLER_REGEX_PREFIX)
        for i, rule in enumerate(ing.spec.rules or []):
            for k, p in enumerate(rule.http.paths if rule.http else []):
                ref = p.backend.service_ref
                if ref is None:
                    continue
                host = rule.host or ""
                name = f"{ing.namespace}.{ing.name}.{ref[0]}.{host.replace('*', '_')}.{ref[1]}"
                route = out.get(name) or _route(name, ing, [host] if host else [])
                out[name] = route
                route.paths += [KicPath(x, p, (i, k), lit) for x, lit in kong_paths(p, prefix)]
    default = default_backend(snap)
    if default is not None and default.spec.default is not None:
        name = f"{default.namespace}.{default.name}"
        out[name] = KicRoute(name, default, [], [KicPath("/", default.spec.default, None, False)])
    return [out[k] for k in sorted(out)]


def default_backend(snap: Snapshot) -> Ingress | None:
    """The Ingress whose ``defaultBackend`` KIC uses: the oldest (``getDefaultBackendService``); None when none has
    one or the manifests do not fix which is oldest."""
    found = [i for i in snap.all(Ingress) if is_kong(i) and i.spec.default is not None]
    order, fixed = creation_order(found, lambda x: (x.namespace, x.name))
    return order[0] if order and fixed else None


def _route(name: str, ing: Ingress, hosts: list[str]) -> KicRoute:
    route = KicRoute(name, ing, hosts)
    over = overrides(ing.annotations)
    route.strip_path = over.strip_path if over.strip_path is not None else route.strip_path
    route.preserve_host = over.preserve_host if over.preserve_host is not None else route.preserve_host
    route.regex_priority = over.regex_priority or 0
    route.methods = over.methods or []
    route.headers = over.headers or {}
    route.hosts = over.hosts(hosts) or []
    route.snis = over.snis or []
    return route


METHOD = re.compile(r"[A-Z]+")  # kongstate/route.go validMethods
LABEL = r"[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*"  # validHosts' ([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)+, without the nested repeat
HOST = re.compile(rf"(?:\*\.)?{LABEL}(?:\.{LABEL})*?(?:\.\*)?")  # kongstate/route.go validHosts
SNI = re.compile(rf"{LABEL}(?:\.{LABEL})*")  # validSNIs
INT = re.compile(r"[+-]?[0-9]+")  # strconv.Atoi


@dataclass
class Overrides:
    """The route fields a ``konghq.com/*`` annotation of the parent object sets (None: left as translated)."""

    strip_path: bool | None = None
    preserve_host: bool | None = None
    regex_priority: int | None = None
    methods: list[str] | None = None
    headers: dict[str, list[str]] | None = None
    host_aliases: list[str] | None = None
    snis: list[str] | None = None

    def hosts(self, hosts: list[str] | None) -> list[str] | None:
        """``overrideHosts``: the host aliases appended to the route's hosts (None: any host)."""
        if not self.host_aliases:
            return hosts
        return list(dict.fromkeys([*(hosts or []), *self.host_aliases]))


def overrides(notes: dict[str, str]) -> Overrides:
    """``Route.overrideByAnnotation`` (kongstate/route.go; annotations.go extractors): an invalid value leaves
    the field as translated."""
    get = notes.get
    out = Overrides(_flag(get(ANNOTATION + "strip-path")), _flag(get(ANNOTATION + "preserve-host")))
    rp = get(ANNOTATION + "regex-priority", "")
    out.regex_priority = int(rp) if INT.fullmatch(rp) else None
    methods = _commas(get(ANNOTATION + "methods", ""), upper=True)
    out.methods = methods if methods and all(METHOD.fullmatch(m) for m in methods) else None
    sep = get(ANNOTATION + "headers-separator", ",")
    headers = {
        k.removeprefix(ANNOTATION + "headers."): [v.strip() for v in value.split(sep)]
        for k, value in notes.items()
        if k.startswith(ANNOTATION + "headers.") and k != ANNOTATION + "headers." and value
    }
    out.headers = headers or None
    aliases = _commas(get(ANNOTATION + "host-aliases", ""))
    out.host_aliases = aliases if aliases and all(HOST.fullmatch(h) for h in aliases) else None
    snis = _commas(get(ANNOTATION + "snis", ""))
    out.snis = snis if all(SNI.fullmatch(h) for h in snis) else None
    return out


def _commas(value: str, upper: bool = False) -> list[str]:
    """``extractCommaDelimitedStrings``: split at commas, trimmed, empty items dropped."""
    items = [v.strip() for v in value.split(",") if v.strip()]
    return [v.upper() for v in items] if upper else items


def _flag(value: str | None) -> bool | None:
    """``overrideStripPath`` / ``overridePreserveHost``: "true"/"false" in any case, anything else ignored."""
    return {"true": True, "false": False}.get((value or "").lower())


@dataclass
class TranslatedPath:
    """A path whose written meaning KIC turns into Kong paths: what it says and what Kong is given."""

    subject: Resource
    node: Node  # the path node (an Ingress path, an HTTPRoute match's path)
    where: str  # its field path in the subject
    kind: str  # Exact / Prefix / PathPrefix
    value: str
    kong: list[str]
    owner: str  # the Kong route (Ingress) or the parent Gateway (HTTPRoute)


def ingress_translated_paths(snap: Snapshot) -> list[TranslatedPath]:
    """Exact/Prefix paths of Ingresses of class ``kong`` and the Kong paths KIC writes for them."""
    out: list[TranslatedPath] = []
    for route in routes(snap):
        by: dict[tuple[int, int], list[KicPath]] = {}
        for p in route.paths:
            if p.literal and p.index is not None:
                by.setdefault(p.index, []).append(p)
        for (i, k), ps in by.items():
            node = ps[0].node
            where = f"spec.rules[{i}].http.paths[{k}]"
            kind, value = node.path_type or "", _flatten(node.path or "") or "/"  # type: ignore[attr-defined]
            out.append(TranslatedPath(route.ingress, node, where, kind, value, [p.kong for p in ps], route.name))
    return out
