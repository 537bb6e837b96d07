"""Consul service-router → a first-match table per router (docs/SEMANTICS.md#consul).

Consul's xDS generation (agent/xds/routes.go ``makeUpstreamRouteForDiscoveryChain``,
``makeRouteMatchForDiscoveryRoute``) gives the upstream one virtual host whose routes are the router's routes in
order, then the compiler's implicit catch-all (``PathPrefix "/"`` to the service itself: compile.go
``newDefaultServiceRoute``). A route without ``Match`` or with an empty HTTP match is a catch-all; ``PathExact``
→ Envoy ``path``, ``PathPrefix`` → ``prefix`` (a string prefix), ``PathRegex`` → ``safe_regex``,
``CaseInsensitive`` → the path's ``case_sensitive: false``, each ``Header`` a header matcher (``Invert`` inverts
it), ``QueryParam`` a query matcher, ``Methods`` one ``:method`` regex ``M1|M2``.
"""

from __future__ import annotations

from cnverify.encodings.http import Entry, HeaderMatch, HostPattern, Match, PathMatch, QueryMatch, StrMatch
from cnverify.encodings.http_ir import StrKind
from cnverify.model.consul import HTTP_LIKE, HTTPMatch, ProxyDefaults, ServiceDefaults, ServiceRoute, ServiceRouter
from cnverify.model.consul import HeaderMatch as ConsulHeader
from cnverify.snapshot import Snapshot
from cnverify.systems.consul.chain import protocol
from cnverify.systems.routing.tables import Clause, Table, add_clauses, scoped

READS = (ServiceRouter, ServiceDefaults, ProxyDefaults)
CATCH_ALL = Match(path=PathMatch("prefix", "/"))


def route_match(route: ServiceRoute) -> Match:
    """The Envoy match Consul generates for one route."""
    http = route.match.http if route.match else None
    if http is None or http.is_empty:
        return CATCH_ALL
    return Match(
        path=_path(http),
        headers=tuple(_header(h) for h in http.header or []),
        query=tuple(
            QueryMatch(
                q.name,
                None if q.present else StrMatch("exact", q.exact) if q.exact else StrMatch("regex", q.regex or ""),
            )
            for q in http.query_param or []
        ),
        method=StrMatch("regex", "|".join(m.upper() for m in http.methods)) if http.methods else None,
    )


def _path(http: HTTPMatch) -> PathMatch:
    ci = bool(http.case_insensitive)
    if http.path_exact:
        return PathMatch("exact", http.path_exact, ci)
    if http.path_prefix:
        return PathMatch("prefix", http.path_prefix, ci)
    if http.path_regex:
        return PathMatch("regex", http.path_regex)
    return PathMatch("prefix", "/", ci)


def _header(h: ConsulHeader) -> HeaderMatch:
    invert, name = bool(h.invert), h.name
    kinds: tuple[StrKind, ...] = ("exact", "regex", "prefix", "suffix")  # routes.go tests them in this order
    for kind in kinds:
        value = getattr(h, kind)
        if value:
            return HeaderMatch(name, StrMatch(kind, value), invert=invert)
    return HeaderMatch(name, present=True, invert=invert)


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    tables: list[Table] = []
    for router in snap.all(ServiceRouter):
        proto = protocol(snap, router, router.namespace, router.name)
        if proto.value is not None and proto.value not in HTTP_LIKE:
            continue  # Consul rejects the router (CNV102 says why): its routes never apply
        defaults = proto.steps or [
            (
                f"assumes: service {router.name}'s protocol is http, http2 or grpc (no ServiceDefaults or "
                "ProxyDefaults in the inputs sets it; on Consul's default tcp the router is rejected)",
                router.metadata.at("name"),
            )
        ]
        entries = []
        for i, route in enumerate(router.spec.routes or []):
            d = route.destination
            to = ((d.service if d else None) or router.name) + (
                f" subset {d.service_subset}" if d and d.service_subset else ""
            )
            label = f"ServiceRouter {router.namespace}/{router.name} routes[{i}] (→ {to})"
            for _, rkey, ck in add_clauses(clauses, router, f"spec.routes[{i}]", label, route, None, "match"):
                entries.append(Entry(rkey, ck, route_match(route)))
        if not entries:
            continue
        scoped_entries, sample = scoped(entries, HostPattern("*"), [])
        tables.append(
            Table(
                "consul",
                f"ServiceRouter {router.namespace}/{router.name} (upstream {router.name}: routes in order, then "
                "the implicit catch-all to the service itself)",
                router.spec.at("routes"),
                [scoped_entries],
                host_sample=sample,
                defaults=defaults,
            )
        )
    return clauses, tables
