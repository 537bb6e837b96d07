"""Istio ``tcp`` and ``tls`` routes: which match blocks pilot never generates (dead in every order).

Per VirtualService, per proxy it is bound to (``mesh`` or a gateway), pilot builds (istio/istio
``pilot/pkg/networking/core``):

* sidecar tcp (``tls.go`` ``buildSidecarOutboundTCPFilterChainOpts``): routes in order; a route
  without match, or a block passing its static predicates (``matchTCP``: port, gateways,
  sourceLabels ⊆ proxy labels, sourceNamespace) without ``destinationSubnets``, ends generation;
* sidecar tls (``buildSidecarOutboundTLSFilterChainOpts``): a block whose runtime predicates
  (``sniHosts`` and ``destinationSubnets`` as written, ``hashRuntimeTLSMatchPredicates``) repeat
  an earlier generated block's is not generated;
* gateway tcp (``gateway.go`` ``buildGatewayNetworkFiltersFromTCPRoutes``): the first route whose
  match passes ``l4MultiMatch`` (port, gateways) serves the server;
* gateway tls (``buildGatewayNetworkFiltersFromTLSRoutes``): a block with an SNI host an earlier
  block on the port registered is skipped (``CheckDuplicates``).

A block is decided for its least proxy (exactly its sourceLabels and sourceNamespace), on its
port or, without one, on every port the VirtualService names and one it does not: a block that
is not generated there is not generated for any proxy (the predicates are monotone).  Whether a
generated block then receives connections (Envoy's filter-chain choice by destination address
and SNI, other VirtualServices, the Gateway's servers) is not modelled: ``unknown``.
"""

from __future__ import annotations

from cnverify.encodings.http import Blocker, EntryVerdict
from cnverify.model import VirtualService
from cnverify.model.istio import IstioGateway, L4MatchAttributes, L4Route, Server
from cnverify.snapshot import Snapshot
from cnverify.systems.istio import scope
from cnverify.systems.istio.hosts import gateway_ref
from cnverify.systems.routing.tables import Clause, Outcome, Results, Table, add_clauses

READS = (VirtualService, IstioGateway)
OTHER_PORT = -1  # a port no block names
Block = tuple[int, str, L4MatchAttributes | None]  # route index, clause key, match (None: route without match)


def _passes(m: L4MatchAttributes | None, vs: VirtualService, ctx: str, port: int, least: L4MatchAttributes) -> bool:
    """Static predicates of ``m`` for the least proxy of block ``least`` in context ``ctx`` on ``port``."""
    if m is None:
        return True
    if m.port and m.port != port:
        return False
    if m.gateways and ctx not in {gateway_ref(g, vs.namespace) for g in m.gateways}:
        return False
    if ctx != "mesh":  # l4SingleMatch tests only port and gateways
        return True
    mine, theirs = least.source_labels or {}, m.source_labels or {}
    return all(mine.get(k) == v for k, v in theirs.items()) and m.source_namespace in (None, least.source_namespace)


def _generated(
    kind: str, vs: VirtualService, blocks: list[Block], ctx: str, port: int, target: Block
) -> tuple[bool, Block | None]:
    """Is ``target`` generated in ``ctx`` on ``port`` for its least proxy; if not, the block that prevents it."""
    least = target[2] or L4MatchAttributes()
    seen: dict[object, Block] = {}
    for b in blocks:
        i, _, m = b
        ok = _passes(m, vs, ctx, port, least)
        if kind == "tcp" and ctx == "mesh" and ok and (m is None or not m.destination_subnets):
            return b is target, None if b is target else b  # the terminal chain
        if kind == "tcp" and ctx != "mesh" and ok:  # the first passing route serves the server
            mine = i == target[0] and _passes(target[2], vs, ctx, port, least)
            return mine, None if i == target[0] else b
        if kind == "tls" and ok and m is not None:
            keys = (
                [("|".join(m.sni_hosts or []), "|".join(m.destination_subnets or []))]
                if ctx == "mesh"
                else list(m.sni_hosts or [])
            )
            hit = next((seen[k] for k in keys if k in seen), None)
            if b is target:
                return hit is None, hit
            if hit is None:
                seen.update({k: b for k in keys})
        elif b is target:
            return ok, None
    return False, None


def _routes(vs: VirtualService, kind: str) -> list[L4Route]:
    return list((vs.spec.tcp if kind == "tcp" else vs.spec.tls) or [])


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    for vs in snap.all(VirtualService):
        for kind in ("tcp", "tls"):
            for i, route in enumerate(_routes(vs, kind)):
                label = f"VirtualService {vs.namespace}/{vs.name} {kind}[{i}]"
                add_clauses(clauses, vs, f"spec.{kind}[{i}]", label, route, route.match, "match")
    return clauses, []


def decide(snap: Snapshot, res: Results) -> None:
    """Add an outcome per tcp/tls match block: unreachable when never generated, else unknown."""
    for vs in snap.all(VirtualService):
        for kind in ("tcp", "tls"):
            blocks: list[Block] = []
            for i, route in enumerate(_routes(vs, kind)):
                if route.route:  # pilot skips routes without destinations
                    blocks += [
                        (
                            i,
                            f"{vs.ref}:spec.{kind}[{i}]|"
                            + (f"spec.{kind}[{i}].match[{j}]" if m else f"spec.{kind}[{i}]"),
                            m,
                        )
                        for j, m in enumerate(route.match or [None])
                    ]
            ports = sorted({m.port for _, _, m in blocks if m is not None and m.port} | {OTHER_PORT})
            for ctx in sorted({gateway_ref(g, vs.namespace) for g in vs.spec.gateways or ["mesh"]}):
                sole = _sole_tcp_servers(snap, vs, ctx) if kind == "tcp" and ctx != "mesh" else []
                if not blocks:  # no outcome to add: no table to name (what it reads is still read)
                    continue
                table = Table(
                    "istio",
                    f"{kind} routes of VirtualService {vs.namespace}/{vs.name} on "
                    + ("sidecars (mesh)" if ctx == "mesh" else f"gateway {ctx}"),
                    vs.spec.at(kind),
                    [],
                )
                for b in blocks:
                    proof = next(
                        (
                            _served(vs, blocks, ctx, b, gw, server, table)
                            for gw, server, number in sole
                            if _generated(kind, vs, blocks, ctx, number, b)[0]
                        ),
                        None,
                    )
                    res.outcomes.setdefault(b[1], []).append(proof or _outcome(kind, vs, blocks, ctx, b, ports, table))


def _sole_tcp_servers(snap: Snapshot, vs: VirtualService, ctx: str) -> list[tuple[IstioGateway, Server, int]]:
    """Servers of gateway ``ctx`` that proxy plain or terminated TCP, whose hosts ``vs`` matches
    (``pickMatchingGatewayHosts``), where no other VirtualService of the inputs with tcp routes could
    come first and no other Gateway on the same workload listens on the same port; with that port number."""
    ns, _, name = ctx.partition("/")
    gws = [g for g in snap.all(IstioGateway) if (g.namespace, g.name) == (ns, name)]
    rivals = [
        o
        for o in snap.all(VirtualService)
        if o is not vs and o.spec.tcp and ctx in {gateway_ref(g, o.namespace) for g in o.spec.gateways or []}
    ]
    out = []
    for gw in gws[:1] if len(gws) == 1 else []:
        for server in gw.spec.servers or []:
            proto = (server.port.protocol or "").upper() if server.port else ""
            mode = (server.tls.mode or "").upper() if server.tls else ""
            if (
                server.port is None
                or server.port.number is None
                or not (
                    (proto == "TCP" and server.tls is None)
                    or (proto == "TLS" and mode not in ("", "PASSTHROUGH", "AUTO_PASSTHROUGH"))
                )
            ):
                continue
            hosts = scope.server_hosts(server, gw, vs.namespace)
            if not any(scope.intersection(hosts, scope.vs_hosts(o)) for o in [vs]) or any(
                scope.intersection(scope.server_hosts(server, gw, o.namespace), scope.vs_hosts(o)) for o in rivals
            ):
                continue
            if any(
                o is not gw
                and o.spec.selector == gw.spec.selector
                and any(x.port is not None and x.port.number == server.port.number for x in o.spec.servers or [])
                for o in snap.all(IstioGateway)
            ):
                continue
            out.append((gw, server, server.port.number))
    return out


def _served(
    vs: VirtualService, blocks: list[Block], ctx: str, b: Block, gw: IstioGateway, server: Server, table: Table
) -> Outcome:
    i, key, _ = b
    port = server.port.number if server.port else None
    step = (
        f"Gateway {gw.namespace}/{gw.name} server port {port} proxies TCP and no other "
        f"VirtualService of the inputs binds it; tcp[{i}] is the first route pilot matches there "
        "(buildGatewayNetworkFiltersFromTCPRoutes), so every connection to the port takes it"
    )
    return Outcome(
        table,
        "reachable",
        EntryVerdict(i, key.split("|", 1)[0], key, "reachable", decided_by="precheck", step=step),
        step,
    )


def _outcome(
    kind: str, vs: VirtualService, blocks: list[Block], ctx: str, b: Block, ports: list[int], table: Table
) -> Outcome:
    i, key, m = b
    route_key = key.split("|", 1)[0]
    for port in [m.port] if m is not None and m.port else ports:
        ok, _ = _generated(kind, vs, blocks, ctx, port, b)
        if ok:
            return Outcome(
                table,
                "unknown",
                EntryVerdict(i, route_key, key, "unknown"),
                f"whether a generated {kind} route receives connections (Envoy's filter-chain choice, "
                "other VirtualServices, the gateway's servers) is not modelled",
            )
    blockers = {
        by[1]: by
        for port in ([m.port] if m is not None and m.port else ports)
        if (by := _generated(kind, vs, blocks, ctx, port, b)[1]) is not None
    }
    step = f"pilot does not generate it for {table.name.split(' on ', 1)[1]}" + (
        "" if blockers else ": its static predicates (port, gateways) never hold there"
    )
    return Outcome(
        table,
        "unreachable",
        EntryVerdict(
            i,
            route_key,
            key,
            "unreachable",
            blockers=tuple(Blocker(x[0], k.split("|", 1)[0], k) for k, x in blockers.items()),
            decided_by="precheck",
            step=step,
        ),
        step,
    )
