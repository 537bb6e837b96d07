"""Istio Gateway virtual hosts → match tables, as pilot builds them.

istio/istio ``pilot/pkg/networking/core/gateway.go`` ``buildGatewayHTTPRouteConfig``: servers that
share a route name (``pilot/pkg/model/gateway.go`` ``gatewayRDSRouteName``: ``http.<port>`` for
HTTP/HTTP2/GRPC/GRPC-Web/HTTP_PROXY servers, one per server for HTTPS that is not passthrough)
on one workload form one route configuration.  Per server, each VirtualService bound to the
server's Gateway (``VirtualServicesForGateway``) adds its routes, built for the server's port, to
the virtual host of every host in the intersection of its hosts with the server's hosts; then
``SortVHostRoutes`` moves the catch-all routes to the end.  Envoy picks the virtual host by
domain (exact, longest suffix, ``*``; port ignored: ``IgnorePortInHostMatching``).  Gateways
with equal selectors share a workload; others are assumed apart (said in a step).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnverify.encodings.http import Entry, HostPattern
from cnverify.errors import Span
from cnverify.model import VirtualService
from cnverify.model.istio import IstioGateway, Server
from cnverify.snapshot import Snapshot
from cnverify.systems.istio import scope
from cnverify.systems.istio.hosts import gateway_ref
from cnverify.systems.istio.tables import Block, generate, scope_variants
from cnverify.systems.routing.tables import Table, host_blockers, tie_orders

NOBODY = "(visible to no proxy)"
HTTP_PROTOCOLS = {"http", "http2", "http_proxy", "grpc", "grpc-web"}  # protocol.Instance.IsHTTP


ConfigKey = tuple[tuple[tuple[str, str], ...], str]
"""A route configuration: the gateway workload's selector (sorted items) and the route name."""


@dataclass
class _Config:
    """One route configuration: its servers in order and the virtual hosts they build."""

    servers: list[tuple[IstioGateway, Server]] = field(default_factory=list)
    vhosts: dict[str, list[tuple[VirtualService, IstioGateway, int]]] = field(default_factory=dict)
    redirect: set[str] = field(default_factory=set)  # virtual hosts a server with httpsRedirect answers


def route_name(gw: IstioGateway, server: Server) -> str | None:
    if server.port is None or server.port.number is None:
        return None
    proto = (server.port.protocol or "").lower()
    bind = f".{server.bind_address}" if server.bind_address else ""
    if proto in HTTP_PROTOCOLS:
        return f"http.{server.port.number}{bind}"
    passthrough = server.tls is not None and (server.tls.mode or "").upper() in ("PASSTHROUGH", "AUTO_PASSTHROUGH")
    if proto == "https" and not passthrough:
        return f"https.{server.port.number}.{server.port.name}.{gw.name}.{gw.namespace}{bind}"
    return None


def _configs(snap: Snapshot, vss: list[VirtualService]) -> dict[ConfigKey, _Config]:
    bound: dict[str, list[VirtualService]] = {}
    for vs in sorted(vss, key=scope.order_key):
        for g in vs.spec.gateways or []:
            bound.setdefault(gateway_ref(g, vs.namespace), []).append(vs)
    configs: dict[ConfigKey, _Config] = {}
    for gw in snap.all(IstioGateway):
        workload = tuple(sorted((gw.spec.selector or {}).items()))
        for server in gw.spec.servers or []:
            name = route_name(gw, server)
            if name is None or server.port is None or server.port.number is None:  # route_name: None for these
                continue
            port = server.port.number
            cfg = configs.setdefault((workload, name), _Config())
            cfg.servers.append((gw, server))
            redirect = server.tls is not None and bool(server.tls.https_redirect)
            if redirect:
                cfg.redirect |= {h.rpartition("/")[2].lower() for h in server.hosts}
            for vs in bound.get(f"{gw.namespace}/{gw.name}", []):
                for host in scope.intersection(scope.server_hosts(server, gw, vs.namespace), scope.vs_hosts(vs)):
                    got = cfg.vhosts.setdefault(host, [])
                    if redirect:
                        cfg.redirect.add(host)
                    if not any(v is vs for v, _, _ in got):
                        got.append((vs, gw, port))
    return configs


def _visibility(vs: VirtualService, gw: IstioGateway) -> str | None:
    """None when every gateway proxy sees ``vs``; else why that is unknown (or ``~``: no proxy)."""
    ex = scope.exports(vs)
    if "*" in ex:
        return None
    if not ex:
        return f"VirtualService {vs.namespace}/{vs.name} has exportTo ~ {NOBODY}"
    return (
        f"VirtualService {vs.namespace}/{vs.name} is exported to {sorted(ex)} only: gateway {gw.namespace}/"
        f"{gw.name} sees it only if its pods run there, which the inputs do not show"
    )


Generated = dict[tuple[int, int, int], tuple[list[tuple[Entry, bool]], dict[str, str]]]


def _entries(
    order: list[tuple[VirtualService, IstioGateway, int]],
    per_vs: dict[int, list[Block]],
    drops: dict[str, str],
    present: bool,
    made: Generated,
) -> list[Entry]:
    """The virtual host's entries for one order; ``present``: whether the VirtualServices whose
    visibility the inputs do not fix are seen (all or none: the two extremes decide every mix).
    ``made``: what `generate` gave for each (VirtualService, Gateway, port) of the table, built once for all its
    orders (a pure function of those; the orders share the entries, which nothing mutates)."""
    head: list[Entry] = []
    tail: list[Entry] = []
    for vs, gw, port in order:
        why = _visibility(vs, gw)
        key = (id(vs), id(gw), port)
        if key not in made:
            made[key] = generate(vs, per_vs[id(vs)], f"{gw.namespace}/{gw.name}", port, gw.spec.selector)
        gen, dropped = made[key]
        drops.update(dropped)
        if why is not None and (not present or why.endswith(NOBODY)):
            for e, _ in gen:
                drops.setdefault(e.clause_id, why)
            continue
        moved = False
        for e, catch in gen:
            moved = moved or catch
            (tail if moved else head).append(e)
    return head + tail


def _shared_workload(snap: Snapshot, key: ConfigKey, configs: dict[ConfigKey, _Config]) -> list[tuple[str, Span]]:
    """A step naming Gateways with other, compatible selectors on the same route name (assumed apart)."""
    mine = dict(key[0])
    others = [
        gw
        for (w, name), cfg in configs.items()
        if name == key[1] and w != key[0]
        for gw, _ in cfg.servers
        if all(mine.get(k, v) == v for k, v in (gw.spec.selector or {}).items())
    ]
    if not others:
        return []
    names = ", ".join(sorted({f"{g.namespace}/{g.name}" for g in others}))
    return [
        (
            f"Gateway(s) {names} have another selector that may select the same pods; their routes are "
            "assumed to run on other pods",
            others[0].spec.at("selector"),
        )
    ]


def tables(snap: Snapshot, vss: list[VirtualService], per_vs: dict[int, list[Block]]) -> list[Table]:
    out = []
    configs = _configs(snap, vss)
    for key, cfg in configs.items():
        shared = _shared_workload(snap, key, configs)
        for host, members in cfg.vhosts.items():
            owners = [vs for vs, _, _ in members]
            fixed = (
                scope.order_fixed(owners)
                and len({id(gw) for _, gw, _ in members}) == 1
                and all("*" in scope.exports(vs) for vs in owners)
            )
            orders = [members] if fixed else tie_orders(members)
            names = ", ".join(f"{v.namespace}/{v.name}" for v in owners)
            gws = sorted({f"{g.namespace}/{g.name}" for _, g, _ in members})
            note = (
                ""
                if fixed
                else (
                    f"Istio orders VirtualServices {names} by creation time (and exportTo)"
                    + (
                        f", and the servers of Gateways {', '.join(gws)} (one workload) by the order it merges them"
                        if len(gws) > 1
                        else ""
                    )
                    + ", which the manifests do not fix"
                )
            )
            unsure = [f"{vs.namespace}/{vs.name}" for vs, gw, _ in members if _visibility(vs, gw) is not None]
            if unsure:
                note += (" and " if note else "") + (
                    f"whether the gateway sees VirtualService(s) {', '.join(unsure)} "
                    "(exportTo) depends on where its pods run"
                )
            drops: dict[str, str] = {}
            others = {h: f"VirtualServices for host {h}" for h in cfg.vhosts if h != host}
            made: Generated = {}
            raw = [
                _entries(order, per_vs, drops, present, made)
                for order in orders
                for present in ((True, False) if unsure else (True,))
            ]
            variants, sample = scope_variants(
                raw,
                HostPattern(host, ignore_port=True),
                host_blockers(host, others, lambda d: HostPattern(d, ignore_port=True)),
            )
            gw, server = cfg.servers[0]
            port = server.port.number if server.port else None
            table = Table(
                "istio",
                f"gateway {', '.join(sorted({f'{g.namespace}/{g.name}' for _, g, _ in members}))}"
                f" port {port}, host {host}",
                owners[0].spec.at("hosts"),
                variants,
                note,
                host_sample=sample,
                owners=owners,
                drop_reasons=drops,
            )
            table.members = [b.key for vs in owners for b in per_vs[id(vs)]]
            if host in cfg.redirect:  # RequireTls ALL: Envoy redirects every request before routing
                table.variants, table.ties, table.drop_reasons = [[]], {}, {}
                table.drop_reason = f"a server of this route configuration redirects every request for {host} to HTTPS"
            if not fixed:
                table.ties = {b.key: ("", vs.ref) for vs in owners for b in per_vs[id(vs)]}
            table.defaults = scope.default_note(owners) + shared
            out.append(table)
    return out
