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

from dataclasses import dataclass, field

from cnverify.model import Resource
from cnverify.model.base import Node
from cnverify.model.gateway import Gateway, HTTPRoute
from cnverify.model.ingress import HTTPIngressPath, Ingress
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.tables import creation_order

KONG_CLASS = "kong"
ANNOTATION = "konghq.com/"
CONTROLLER_REGEX_PREFIX = "/~"  # subtranslator_vars.go ControllerPathRegexPrefix


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
    notes = {k.removeprefix(ANNOTATION): v for k, v in ing.annotations.items() if k.startswith(ANNOTATION)}
    route = KicRoute(name, ing, hosts)
    route.strip_path = _flag(notes.get("strip-path"), route.strip_path)
    route.preserve_host = _flag(notes.get("preserve-host"), route.preserve_host)
    rp = notes.get("regex-priority", "")
    route.regex_priority = int(rp) if rp.lstrip("-").isdigit() else 0
    route.methods = [m.strip() for m in notes.get("methods", "").split(",") if m.strip()]
    route.headers = {
        k.removeprefix("headers."): [v.strip() for v in value.split(",")]
        for k, value in notes.items()
        if k.startswith("headers.")
    }
    return route


def _flag(value: str | None, default: bool) -> bool:
    """``overrideStripPath`` / ``overridePreserveHost``: "true"/"false" in any case, anything else ignored."""
    return {"true": True, "false": False}.get((value or "").lower(), default)


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


def translated_paths(snap: Snapshot) -> list[TranslatedPath]:
    """Exact/Prefix paths of Ingresses of class ``kong`` and of HTTPRoutes attached to a Gateway of class
    ``kong`` (``generateKongRoutePathFromHTTPRouteMatch``: ``Exact v`` → ``~v$``, ``PathPrefix v`` → ``~v$`` and
    ``v`` with a ``/`` added when it has none)."""
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
    for hr in snap.all(HTTPRoute):
        gw = kong_gateway(snap, hr)
        if gw is None:
            continue
        for i, rule in enumerate(hr.spec.rules or []):
            for j, m in enumerate(rule.matches or []):
                pm = m.path
                if pm is None or pm.type not in ("Exact", "PathPrefix"):
                    continue
                kong = [f"~{pm.value}$"] + (
                    [pm.value if pm.value.endswith("/") else pm.value + "/"] if pm.type == "PathPrefix" else []
                )
                where = f"spec.rules[{i}].matches[{j}].path"
                out.append(TranslatedPath(hr, pm, where, pm.type, pm.value, kong, f"Gateway {gw.namespace}/{gw.name}"))
    return out


def kong_gateway(snap: Snapshot, hr: HTTPRoute) -> Gateway | None:
    """The first Gateway of class ``kong`` in the inputs that a parentRef of ``hr`` names."""
    for ref in hr.spec.parent_refs or []:
        if (ref.kind or "Gateway") != "Gateway" or (
            ref.group or "gateway.networking.k8s.io"
        ) != "gateway.networking.k8s.io":
            continue
        ns = ref.namespace or hr.namespace
        gw = next((g for g in snap.in_namespace(Gateway, ns) if g.name == ref.name), None)
        if gw is not None and gw.spec.gateway_class_name == KONG_CLASS:
            return gw
    return None
