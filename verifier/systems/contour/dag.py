"""What Contour builds from HTTPProxies: one virtual host per root fqdn with the routes of its include tree
(docs/SEMANTICS.md#contour-httpproxy).

Read from contour 31c4bb38, ``internal/dag/httpproxy_processor.go``:

* ``validHTTPProxies``: roots sharing an fqdn (case-insensitive) are all ``DuplicateVhost``; ``computeHTTPProxy``:
  a root with nothing defined, a TLS block with both or neither of secretName/passthrough, or a tcpproxy without
  TLS is invalid before its routes are computed; ``rootAllowed`` (every namespace by default).
* ``computeRoutes``: includes first (in order: ``PathMatchConditionsNotValid`` / header / query errors and
  ``DuplicateMatchConditions`` skip the include; ``IncludeNotFound`` and ``RootIncludesRoot`` add a 502 route on
  the include's own conditions; a proxy already on the path is ``IncludeCreatesCycle``), then the proxy's routes;
  an invalid route (action count, path, header or query conditions, prefix replacement without a prefix) makes
  the proxy return no routes at all, its includes' routes with them.
* ``Run``: a non-root proxy no computed root reaches is ``Orphaned``; ``expandPrefixMatches`` adds ``prefix/``
  beside a lone rewritten prefix. ``ingressclass.MatchesHTTPProxy``: one Contour sees the proxies of its class.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from cnverify.errors import Span
from cnverify.model.contour import HTTPProxy, Include, MatchCondition, ProxyRoute
from cnverify.run_context import context_of
from cnverify.snapshot import Snapshot
from cnverify.systems.contour.conditions import (
    Conditions,
    Header,
    header_error,
    include_error,
    merge,
    path_error,
    query_error,
)
from cnverify.systems.routing.targets import inventory_namespaces

READS = (HTTPProxy,)
DEFAULT_CLASS = "contour"  # ingressclass.DefaultClassName
WILDCARD_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?"  # dag.go singleDNSLabelWildcardRegex
IGNORE_PORT = "(:[0-9]+)?"
CONFIG = (
    "assumes: Contour's default configuration: no ingress class configured (it serves HTTPProxies without one or of "
    "class contour), no rootNamespaces (roots may live in any namespace)"
)
CLASS = "assumes: a Contour is configured with ingress class {} (it serves only HTTPProxies of that class)"
TLS = "assumes: Secret {} exists and holds a certificate Contour accepts (else it programs no virtual host for {})"


@dataclass(frozen=True)
class Hop:
    """One include followed: ``parent.spec.includes[index]``."""

    parent: HTTPProxy
    include: Include
    index: int


@dataclass
class FlatRoute:
    """One route of a virtual host: a proxy's ``routes[index]`` reached through ``via``, or (``bad_gateway``) the
    502 route Contour adds for ``includes[index]``, or (``open_``) the part an include outside the inputs covers."""

    root: HTTPProxy
    owner: HTTPProxy
    index: int
    node: ProxyRoute | Include
    via: tuple[Hop, ...]
    conds: Conditions
    bad_gateway: str = ""
    open_: str = ""

    @property
    def path(self) -> str:
        return f"spec.{'includes' if isinstance(self.node, Include) else 'routes'}[{self.index}]"


@dataclass(frozen=True)
class _Walk:
    """Where ``computeRoutes`` stands: the root, its virtual host, the chain's conditions, proxies and includes."""

    root: HTTPProxy
    host: Vhost
    conds: tuple[MatchCondition, ...] = ()
    visited: tuple[HTTPProxy, ...] = ()
    via: tuple[Hop, ...] = ()


@dataclass
class Problem:
    """A condition Contour sets on an HTTPProxy's status (``Valid`` false, with its reason)."""

    proxy: HTTPProxy
    reason: str
    message: str
    at: Span


@dataclass
class Vhost:
    root: HTTPProxy
    fqdn: str
    routes: list[FlatRoute] = field(default_factory=list)  # as programmed (a later route with the same key wins)
    replaced: list[tuple[FlatRoute, FlatRoute]] = field(default_factory=list)  # (dropped, the one that replaced it)
    opens: list[FlatRoute] = field(default_factory=list)  # includes of proxies outside the inputs (unknown)
    tcpproxy: bool = False


@dataclass
class Installation:
    """The HTTPProxies one Contour sees (its ingress class) and what it builds of them."""

    ingress_class: str
    proxies: list[HTTPProxy]
    vhosts: list[Vhost] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unrouted: dict[int, str] = field(default_factory=dict)  # id(proxy) → why none of its routes is programmed

    @property
    def rootless(self) -> bool:
        """No root HTTPProxy in the inputs: the roots that include these proxies are elsewhere."""
        return not any(p.root for p in self.proxies)

    followed: dict[tuple[int, int], HTTPProxy | None] = field(default_factory=dict)  # (id(parent), i) → target


def config_step(inst: Installation) -> str:
    """The configuration a verdict about ``inst`` rests on (an ``assumes:`` step)."""
    return CLASS.format(inst.ingress_class) if inst.ingress_class else CONFIG


def installations(snap: Snapshot) -> list[Installation]:
    return context_of(snap).memo(("systems.contour.dag.installations",), lambda: _build(snap), reads=READS)


def class_of(p: HTTPProxy) -> str:
    return "" if p.ingress_class in ("", DEFAULT_CLASS) else p.ingress_class


def _build(snap: Snapshot) -> list[Installation]:
    by: dict[str, list[HTTPProxy]] = {}
    for p in snap.all(HTTPProxy):
        by.setdefault(class_of(p), []).append(p)
    known = inventory_namespaces(snap)
    out = []
    for cls, proxies in sorted(by.items()):
        inst = Installation(cls, proxies)
        _Processor(inst, known).run()
        out.append(inst)
    return out


class _Processor:
    def __init__(self, inst: Installation, known: frozenset[str]) -> None:
        self.inst = inst
        self.known = known
        self.source = {(p.namespace, p.name): p for p in inst.proxies}
        self.orphaned = {id(p) for p in inst.proxies if not p.root}

    def problem(self, p: HTTPProxy, reason: str, message: str, at: Span) -> None:
        """Record a status condition once (a proxy reached from several roots is checked on each path)."""
        found = Problem(p, reason, message, at)
        if not any(x.proxy is p and (x.reason, x.message, x.at) == (reason, message, at) for x in self.inst.problems):
            self.inst.problems.append(found)

    def run(self) -> None:
        fqdns: dict[str, list[HTTPProxy]] = {}
        for p in self.inst.proxies:
            if p.spec.virtualhost is not None:
                fqdns.setdefault(p.spec.virtualhost.fqdn.lower(), []).append(p)
        for fqdn, roots in fqdns.items():
            if len(roots) > 1:
                names = ", ".join(sorted(f"{r.namespace}/{r.name}" for r in roots))
                for r in roots:
                    msg = f'fqdn "{fqdn}" is used in multiple HTTPProxies: {names}'
                    self.problem(r, "DuplicateVhost", msg, r.spec.virtualhost.at("fqdn"))  # type: ignore[union-attr]
                    self.inst.unrouted[id(r)] = f"Contour marks it invalid (DuplicateVhost): {msg}"
                continue
            self._root(roots[0])
        for p in self.inst.proxies:
            if id(p) in self.orphaned:
                why = "this HTTPProxy is not part of a delegation chain from a root HTTPProxy"
                self.problem(p, "Orphaned", why, p.metadata.at("name"))
                self.inst.unrouted.setdefault(id(p), f"Contour marks it Orphaned: {why}")

    def _root(self, root: HTTPProxy) -> None:
        spec, vh = root.spec, root.spec.virtualhost
        assert vh is not None
        why = ""
        if not spec.routes and not spec.includes and spec.tcpproxy is None:
            why = "NothingDefined: HTTPProxy.Spec must have at least one Route, Include, or a TCPProxy"
        elif vh.tls is not None and vh.tls.secret_name.strip() and vh.tls.passthrough:
            why = "TLSConfigNotValid: Spec.VirtualHost.TLS: both Passthrough and SecretName were specified"
        elif vh.tls is not None and not vh.tls.secret_name.strip() and not vh.tls.passthrough:
            why = "TLSConfigNotValid: Spec.VirtualHost.TLS: neither Passthrough nor SecretName were specified"
        elif spec.tcpproxy is not None and vh.tls is None:
            why = "TLSMustBeConfigured: Spec.TCPProxy requires that either Spec.TLS.Passthrough or Spec.TLS.SecretName be set"
        if why:
            reason, msg = why.split(": ", 1)
            self.problem(root, reason, msg, vh.at())
            self.inst.unrouted[id(root)] = f"Contour marks it invalid ({why}) and programs no virtual host for it"
            return
        host = Vhost(root, vh.fqdn, tcpproxy=spec.tcpproxy is not None)
        routes = self._compute(_Walk(root, host), root) or []
        keys: dict[tuple[object, ...], int] = {}
        for r in routes:  # VirtualHost.AddRoute: one route per conditionsToString
            k = r.conds.key()
            if k in keys:
                old = host.routes[keys[k]]
                host.replaced.append((old, r))
                host.routes[keys[k]] = r
            else:
                keys[k] = len(host.routes)
                host.routes.append(r)
        if host.routes or host.opens:  # VirtualHost.Valid: a virtual host needs a route
            self.inst.vhosts.append(host)

    def _compute(self, w: _Walk, proxy: HTTPProxy) -> list[FlatRoute] | None:
        """``computeRoutes``: None when the proxy is invalid (it contributes no route)."""
        root, via = w.root, w.via
        if any(v is proxy for v in w.visited):
            path = " -> ".join(f"{v.namespace}/{v.name}" for v in [*w.visited, proxy])
            msg = f"include creates an include cycle: {path} (on the status of {proxy.namespace}/{proxy.name})"
            self.problem(via[-1].parent, "IncludeCreatesCycle", msg, via[-1].include.at())
            return None
        w = replace(w, visited=(*w.visited, proxy))
        routes: list[FlatRoute] = []
        seen: set[tuple[object, ...]] = set()
        for i, inc in enumerate(proxy.spec.includes):
            routes += self._include(w, proxy, i, inc, seen)
        for j, route in enumerate(proxy.spec.routes):
            every = [*w.conds, *route.conditions]
            why = _route_error(route, every)
            if why:
                reason, msg = why.split(": ", 1)
                self.problem(proxy, reason, msg, route.at())
                self.inst.unrouted.setdefault(
                    id(proxy), f"Contour marks it invalid ({why}) and programs none of its routes"
                )
                return None
            extra = (_wildcard(root),) if root.spec.virtualhost.fqdn.startswith("*.") else ()  # type: ignore[union-attr]
            routes.append(FlatRoute(root, proxy, j, route, via, merge(every, extra)))
        return _expand(routes)

    def _include(
        self, w: _Walk, proxy: HTTPProxy, i: int, inc: Include, seen: set[tuple[object, ...]]
    ) -> list[FlatRoute]:
        root, host, via = w.root, w.host, w.via
        ns = inc.namespace or proxy.namespace
        why = include_error(inc.conditions) or path_error(inc.conditions)
        reason = "PathMatchConditionsNotValid"
        if not why:
            why = header_error(inc.conditions) or query_error(inc.conditions)
            reason = (
                "HeaderMatchConditionsNotValid"
                if header_error(inc.conditions)
                else "QueryParameterMatchConditionsNotValid"
            )
        if why:
            self.problem(proxy, reason, f"include: {why}", inc.at())
            return []
        merged = merge(inc.conditions)
        mark = (merged.path, tuple(sorted(map(repr, merged.headers))), tuple(sorted(map(repr, merged.query))))
        if not (merged.path == "/" and not merged.headers and not merged.query) and merged.kind == "prefix":
            if mark in seen:
                self.problem(proxy, "DuplicateMatchConditions", "duplicate conditions defined on an include", inc.at())
                return []
            seen.add(mark)
        target = self.source.get((ns, inc.name))
        self.inst.followed[(id(proxy), i)] = target
        hop = Hop(proxy, inc, i)
        if target is None and ns not in self.known:
            region = merge([*w.conds, *inc.conditions])
            host.opens.append(FlatRoute(root, proxy, i, inc, (*via, hop), region, open_=f"{ns}/{inc.name}"))
            return []
        if target is None or target.root:
            if target is None:
                self.problem(proxy, "IncludeNotFound", f"include {ns}/{inc.name} not found", inc.at())
            else:
                msg = f"root httpproxy cannot include another root httpproxy ({ns}/{inc.name})"
                self.problem(proxy, "RootIncludesRoot", msg, inc.at())
            if not inc.conditions:
                return []
            why = "IncludeNotFound" if target is None else "RootIncludesRoot"
            return [FlatRoute(root, proxy, i, inc, (*via, hop), merge(inc.conditions), bad_gateway=why)]
        found = self._compute(replace(w, conds=(*w.conds, *inc.conditions), via=(*via, hop)), target)
        self.orphaned.discard(id(target))
        if found is None and not any(v is target for v in w.visited):
            self.inst.unrouted.setdefault(id(target), "Contour marks it invalid and programs none of its routes")
        return found or []


def _route_error(route: ProxyRoute, every: list[MatchCondition]) -> str:
    actions = (
        bool(route.services) + (route.request_redirect_policy is not None) + (route.direct_response_policy is not None)
    )
    if actions != 1:
        return (
            "RouteActionCountNotValid: must set exactly one of route.services or route.requestRedirectPolicy or "
            "route.directResponsePolicy"
        )
    if why := path_error(route.conditions):
        return f"PathMatchConditionsNotValid: route: {why}"
    if why := header_error(every):
        return f"HeaderMatchConditionsNotValid: {why}"
    if why := query_error(every):
        return f"QueryParameterMatchConditionsNotValid: {why}"
    if route.replace_prefixes and merge(every).kind != "prefix":
        return "MustHavePrefix: cannot specify prefix replacements without a prefix condition"
    prefixes = [r.prefix for r in route.replace_prefixes]
    for k, p in enumerate(prefixes):
        if p in prefixes[:k]:
            return (
                f"DuplicateReplacement: duplicate replacement prefix '{p}'"
                if p
                else "AmbiguousReplacement: ambiguous prefix replacement"
            )
    return ""


def _wildcard(root: HTTPProxy) -> Header:
    """``wildcardDomainHeaderMatch``: a wildcard fqdn covers one DNS label (Envoy's domain covers several)."""
    import re

    fqdn = root.spec.virtualhost.fqdn  # type: ignore[union-attr]
    return Header(":authority", "regex", WILDCARD_LABEL + re.escape(fqdn[1:]) + IGNORE_PORT)


def _expand(routes: list[FlatRoute]) -> list[FlatRoute]:
    """``expandPrefixMatches``: a lone prefix route with a prefix replacement also matches ``prefix/``."""
    groups: dict[str, list[FlatRoute]] = {}
    for r in routes:
        if r.conds.kind == "prefix":
            p = r.conds.path if r.conds.path == "/" else r.conds.path.rstrip("/")
            groups.setdefault(p, []).append(r)
    out = list(routes)
    for p, group in groups.items():
        r = group[0]
        if len(group) == 1 and isinstance(r.node, ProxyRoute) and r.node.replace_prefixes and p != "/":
            i = out.index(r)
            out[i] = replace(r, conds=replace(r.conds, path=p))
            out.append(replace(r, conds=replace(r.conds, path=p + "/")))
    return out
