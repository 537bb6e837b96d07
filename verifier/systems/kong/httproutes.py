"""The Kong Ingress Controller's translation of HTTPRoutes into Kong routes (``traditional_compatible`` router).

Kong/kubernetes-ingress-controller 1fa68f86:

* which routes: ``internal/controllers/gateway/route_utils.go`` ``getSupportedGatewayForRoute`` — a parentRef to
  a Gateway whose GatewayClass has ``controllerName: konghq.com/kic-gateway-controller``
  (``gatewayclass_controller.go``) and a listener that accepts the route (allowedRoutes, sectionName, port,
  protocol, hostnames: the Gateway API system's `route_parents`); ``filterHostnames``: the route's hostnames
  narrowed to the listeners' (none: the listeners' hostnames, or any host when one has none).
* ``translate_httproute.go`` ``validateHTTPRoute``: a route with a queryParams match is not translated (the
  traditional router has no query matching).
* ``subtranslator/httproute.go``: rules of one HTTPRoute grouped by backendRefs (one Kong service
  ``httproute.<ns>.<name>.<first rule>``), then by filters, then matches by (method, headers, query): one Kong
  route ``httproute.<ns>.<name>.<rule>.<match>`` per match group, ``preserve_host: true``, ``strip_path: false``;
  ``generateKongRoutePathFromHTTPRouteMatch``: ``Exact v`` → ``~v$``, ``PathPrefix v`` → ``~v$`` and ``v/``
  (``v`` when it ends in ``/``), ``RegularExpression v`` → ``~v``, not regex-escaped; header ``Exact`` → the value,
  ``RegularExpression`` → ``~*value``; a rule without matches → one route on the hostnames only; a URLRewrite
  ``ReplacePrefixMatch`` filter replaces the paths by ``~p$`` and ``~p(/.*)`` (``~/$``, ``~/(.*)`` for ``/``).
  Unsupported filter types and a header named twice fail the translation of the Kong service (its rules
  are not programmed).
* ``kongstate/route.go`` ``overrideByAnnotation``: the HTTPRoute's ``konghq.com/*`` annotations (`kic.overrides`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cnverify.errors import Span
from cnverify.model.base import Node
from cnverify.model.gateway import Gateway, GatewayClass, HTTPRoute, HTTPRouteMatch, HTTPRouteRule, PathMatch
from cnverify.run_context import context_of
from cnverify.snapshot import Snapshot
from cnverify.systems.gateway.attach import PARENT_READS, route_parents
from cnverify.systems.kong.kic import KONG_CLASS, Overrides, TranslatedPath, ingress_translated_paths, overrides

KIC_CONTROLLER = "konghq.com/kic-gateway-controller"  # gatewayclass_controller.go _controllerName
FILTERS = ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", "ExtensionRef")
DEFAULT_MATCH = PathMatch()  # the CRD defaults a match's path (and a rule's matches) to PathPrefix /


def kic_class(snap: Snapshot, gw: Gateway) -> tuple[bool, tuple[str, Span] | None]:
    """Is ``gw`` served by KIC, and the assumption that rests on (None: the inputs show it)."""
    name = gw.spec.gateway_class_name
    cls = snap.get(GatewayClass, "", name)
    if cls is not None:
        return cls.spec.controller_name == KIC_CONTROLLER, None
    if name != KONG_CLASS:
        return False, None
    why = (
        f"GatewayClass {name} is not in the inputs: taken to be the Kong Ingress Controller's "
        f"(controllerName {KIC_CONTROLLER}), as KIC's documentation names it"
    )
    return True, (why, gw.spec.at("gatewayClassName"))


@dataclass
class Programmed:
    """An HTTPRoute KIC programs: its hostnames in Kong (None: any host) and whether the inputs settle it."""

    route: HTTPRoute
    hostnames: list[str] | None
    sure: bool
    gateways: list[str] = field(default_factory=list)  # "ns/name" of the KIC Gateways it attaches to
    assumes: list[tuple[str, Span]] = field(default_factory=list)
    unsure: str = ""  # why KIC may not accept it


def programmed(snap: Snapshot) -> list[Programmed]:
    """The HTTPRoutes attached (or perhaps attached) to a listener of a Gateway KIC serves."""
    out = []
    for hr in snap.all(HTTPRoute):
        sure: list[tuple[Gateway, str]] = []
        maybe: list[tuple[Gateway, str]] = []
        why: list[str] = []
        assumes: list[tuple[str, Span]] = []
        for pr in route_parents(snap, hr):
            for b, group in [(b, sure) for b in pr.bindings] + [(b, maybe) for b in pr.maybe]:
                kic, assumed = kic_class(snap, b.gateway)
                if kic:
                    group.append((b.gateway, pr.pref.section_name or ""))
                    assumes += [assumed] if assumed and assumed not in assumes else []
                    why += pr.undecided if group is maybe else []
        if not sure and not maybe:
            continue
        hosts = filter_hostnames(sure or maybe, list(hr.spec.hostnames or []))
        if hosts == []:
            continue  # ErrNoMatchingListenerHostname: not programmed
        unsure = "" if sure else "; ".join(dict.fromkeys(why)) or "KIC may not accept it"
        refs = list(dict.fromkeys(f"{g.namespace}/{g.name}" for g, _ in sure or maybe))
        out.append(Programmed(hr, hosts, bool(sure), refs, assumes, unsure))
    return out


def filter_hostnames(gateways: list[tuple[Gateway, str]], names: list[str]) -> list[str] | None:
    """``filterHostnames``: None = any host; [] = no listener hostname intersects (the route is not programmed)."""
    if not names:
        union: list[str] = []
        for gw, section in gateways:
            for ln in gw.spec.listeners:
                if ln.name != section if section else ln.protocol not in ("HTTP", "HTTPS", "TLS"):
                    continue  # getUnionOfGatewayHostnames: the named listener, else every one with a hostname
                if not ln.hostname:
                    return None
                union.append(ln.hostname)
        return union or None
    out = []
    for h in names:
        best = _minimum_intersection(gateways, h)
        out += [best] if best else []
    return out


def _minimum_intersection(gateways: list[tuple[Gateway, str]], host: str) -> str:
    for gw, section in gateways:
        for ln in gw.spec.listeners:
            if section and ln.name != section:
                continue
            if not ln.hostname or _covers(ln.hostname, host):
                return host
            if _covers(host, ln.hostname):
                return ln.hostname
    return ""


def _covers(mask: str, host: str) -> bool:
    """``util.HostnamesMatch(mask, host)``: label by label, a ``*`` label of ``mask`` standing for one or more."""
    a_labels, b_labels = mask.split("."), host.split(".")
    a = b = 0
    wildcard = False
    while a < len(a_labels) and b < len(b_labels):
        if wildcard:
            while b < len(b_labels) and a_labels[a] != b_labels[b]:
                b += 1
            if b == len(b_labels):
                return False
        if a_labels[a] == "*":
            wildcard = True
        elif a_labels[a] != b_labels[b]:
            return False
        else:
            wildcard = False
        a, b = a + 1, b + 1
    return len(b_labels) - b == len(a_labels) - a


@dataclass
class KongPath:
    """One Kong path of a translated route and the HTTPRoute match it comes from."""

    kong: str
    rule: int
    match: int | None  # None: the CRD's default match of a rule without matches
    node: Node


@dataclass
class HttpKongRoute:
    """One Kong route KIC generates from an HTTPRoute."""

    name: str
    route: HTTPRoute
    service: str
    rules: list[int]
    node: Node  # the rule of its first match
    hosts: list[str] | None
    paths: list[KongPath] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)
    over: Overrides = field(default_factory=Overrides)
    dropped: str = ""  # why KIC does not program it (a translation failure)
    unsupported: str = ""  # why its translation is not modelled


def translate(hr: HTTPRoute, hostnames: list[str] | None) -> list[HttpKongRoute]:
    """Every Kong route of ``hr`` with ``hostnames`` (those `filter_hostnames` leaves), sorted by name."""
    rules = list(hr.spec.rules or [HTTPRouteRule()])
    query = next((i for i, r in enumerate(rules) for m in _matches(r) if m and m.query_params), None)
    out: list[HttpKongRoute] = []
    services: dict[str, list[int]] = {}
    for i, rule in enumerate(rules):
        services.setdefault(_key([_dump(b) for b in rule.backend_refs or []]), []).append(i)
    over = overrides(hr.annotations)
    for group in services.values():
        service = f"httproute.{hr.namespace}.{hr.name}.{group[0]}"
        routes = _service_routes(hr, rules, group, service, hostnames, over)
        failure = next((r.dropped for r in routes if r.dropped), "")
        if query is not None:
            failure = (
                f"rule {query} has a queryParams match, which KIC translates only for the expressions router "
                "(validateHTTPRoute): the HTTPRoute is not programmed"
            )
        for r in routes:
            r.dropped = failure
        out += routes
    return sorted(out, key=lambda r: r.name)


def _service_routes(
    hr: HTTPRoute, rules: list[HTTPRouteRule], group: list[int], service: str, hosts: list[str] | None, over: Overrides
) -> list[HttpKongRoute]:
    by_filters: dict[str, list[int]] = {}
    for i in group:
        by_filters.setdefault(_key([json.dumps(f, sort_keys=True) for f in rules[i].filters or []]), []).append(i)
    out = []
    for same in by_filters.values():
        filters = rules[same[0]].filters or []
        bad = next((str(f.get("type")) for f in filters if f.get("type") not in FILTERS), None)
        matches: dict[str, list[tuple[int, int | None, HTTPRouteMatch | None]]] = {}
        for i in sorted(same, key=lambda n: f"{hr.namespace}/{hr.name}.{n}"):  # getRuleKey: a string order
            ms = _matches(rules[i])
            if not ms:
                name = f"httproute.{hr.namespace}.{hr.name}.{i}.0"
                out.append(HttpKongRoute(name, hr, service, [i], rules[i], hosts, over=over))
            for j, m in enumerate(ms):
                matches.setdefault(_match_key(m), []).append((i, None if rules[i].matches is None else j, m))
        for ms_ in matches.values():
            i0, j0 = ms_[0][0], ms_[0][1] or 0
            r = HttpKongRoute(f"httproute.{hr.namespace}.{hr.name}.{i0}.{j0}", hr, service, [], rules[i0], hosts)
            r.over = over
            for ri, mj, m in ms_:
                r.rules += [ri] if ri not in r.rules else []
                path = m.path if m is not None and m.path is not None else DEFAULT_MATCH
                node = path if m is not None and m.path is not None else (m or rules[ri])
                r.paths += [KongPath(p, ri, mj, node) for p in route_paths(path)]
                method = m.method if m is not None else None
                r.methods += [method] if method and method not in r.methods else []
            r.headers, r.dropped = _headers(ms_[0][2])
            _rewrite(r, filters, ms_[0][2])
            if len(ms_) > 1 and any(f.get("type") == "RequestRedirect" for f in filters):
                r.unsupported = "a RequestRedirect rule with several matches (one Kong route per match) is not modelled"
            out.append(r)
        if bad is not None:
            for r in out:
                r.dropped = r.dropped or f"filter type {bad} is not supported by KIC (httpFilter unsupported)"
    return out


def _matches(rule: HTTPRouteRule) -> list[HTTPRouteMatch | None]:
    """The rule's matches; the CRD default (one match, PathPrefix /) when absent, none when written empty."""
    return [None] if rule.matches is None else list(rule.matches)


def route_paths(path: PathMatch) -> list[str]:
    """``generateKongRoutePathFromHTTPRouteMatch``."""
    if path.type == "Exact":
        return [f"~{path.value}$"]
    if path.type == "PathPrefix":
        return [f"~{path.value}$", path.value if path.value.endswith("/") else path.value + "/"]
    return [f"~{path.value}"]


def _headers(m: HTTPRouteMatch | None) -> tuple[dict[str, list[str]], str]:
    """``convertGatewayMatchHeadersToKongRouteMatchHeaders`` of the group's first match."""
    out: dict[str, list[str]] = {}
    for h in (m.headers or []) if m is not None else []:
        if h.name in out:
            return {}, f"header {h.name} is matched twice (multiple header matches for the same header)"
        out[h.name] = ["~*" + h.value if h.type == "RegularExpression" else h.value]
    return out, ""


def _rewrite(r: HttpKongRoute, filters: list[dict[str, Any]], first: HTTPRouteMatch | None) -> None:
    """``generateKongRouteModifierForURLRewritePrefixMatch``: the paths of a ReplacePrefixMatch rewrite."""
    for f in filters:
        rw = f.get("urlRewrite") if f.get("type") == "URLRewrite" else None
        p = rw.get("path") if isinstance(rw, dict) else None
        if not isinstance(p, dict) or p.get("type") != "ReplacePrefixMatch":
            continue
        value = (
            (first.path.value if first is not None and first.path is not None else "/")
            if "replacePrefixMatch" in p
            else ""
        )
        base = "/" if value in ("", "/") else value.rstrip("/")
        kong = [f"~{base}$", "~/(.*)" if base == "/" else f"~{base}(/.*)"]
        keep = r.paths[0] if r.paths else KongPath("", r.rules[0], None, r.node)
        r.paths = [KongPath(k, keep.rule, keep.match, keep.node) for k in kong]


def _match_key(m: HTTPRouteMatch | None) -> str:
    """``httpRouteMatchMeta.getKey`` (the parent is the same HTTPRoute here)."""
    if m is None:
        return json.dumps([None, [], []])
    seen: dict[str, Any] = {}
    for h in m.headers or []:
        seen.setdefault(h.name.lower(), (h.type, h.value))
    query: dict[str, Any] = {}
    for q in m.query_params or []:
        query.setdefault(q.name, (q.type, q.value))
    return json.dumps([m.method, sorted(seen.items()), list(query.items())])


def _dump(node: Node) -> str:
    return json.dumps(node.model_dump(exclude_none=True), sort_keys=True, default=str)


def _key(items: list[str]) -> str:
    return ";".join(sorted(items))


READS = (HTTPRoute, Gateway, GatewayClass, *PARENT_READS)


def kic_routes(snap: Snapshot) -> list[tuple[Programmed, HttpKongRoute]]:
    """Every Kong route KIC generates from the snapshot's HTTPRoutes, with the attachment it rests on."""
    return context_of(snap).memo(
        ("systems.kong.httproutes.kic_routes",),
        lambda: [(p, r) for p in programmed(snap) for r in translate(p.route, p.hostnames)],
        reads=READS,
    )


def translated_paths(snap: Snapshot) -> list[TranslatedPath]:
    """Exact/Prefix paths of Ingresses of class ``kong`` and of HTTPRoutes KIC programs, with their Kong paths."""
    out = ingress_translated_paths(snap)
    for prog, r in kic_routes(snap):
        if r.dropped or not prog.sure:
            continue
        by: dict[tuple[int, int | None], list[KongPath]] = {}
        for p in r.paths:
            by.setdefault((p.rule, p.match), []).append(p)
        for (i, j), ps in by.items():
            pm = ps[0].node
            if j is None or not isinstance(pm, PathMatch) or pm.type not in ("Exact", "PathPrefix"):
                continue
            where = f"spec.rules[{i}].matches[{j}].path"
            owner = f"Gateway {prog.gateways[0]}"
            out.append(TranslatedPath(r.route, pm, where, pm.type, pm.value, [p.kong for p in ps], owner))
    return out
