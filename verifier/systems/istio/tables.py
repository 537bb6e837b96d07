"""Istio VirtualService → match tables: sidecars per host (and consumer namespace), gateways per virtual host.

docs/SEMANTICS.md#virtualservice-route-order, docs/SEMANTICS.md#virtualservice-match-conditions and
docs/SEMANTICS.md#several-virtualservices-for-one-host, as built by istio/istio
``pilot/pkg/networking/core/route/route.go``:
``BuildHTTPRoutesForVirtualService`` flattens routes and match blocks in order and stops after
the first catch-all; ``TranslateRoute`` generates a block only on a listener of its ``port`` and
for a proxy its ``gateways`` (else ``sourceLabels``/``sourceNamespace``) select
(``sourceMatchHTTP``); ``IsCatchAllRoute`` is a translated route with path prefix ``/`` (also a
block without ``uri``) or regex ``.*`` and no header (``method``, ``authority``, ``scheme``,
``headers``, ``withoutHeaders``) or query condition.  Sidecars use one VirtualService per host
(``istio_scope``); gateways are in ``istio_gateway``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cnverify.encodings.http import Entry, HeaderMatch, HostPattern, Match, PathMatch, QueryMatch, StrMatch
from cnverify.model import Service, VirtualService
from cnverify.model.istio import HTTPMatchRequest, IstioGateway
from cnverify.model.istio import StringMatch as IstioStringMatch
from cnverify.run_context import context_of
from cnverify.snapshot import Snapshot
from cnverify.systems.istio import delegate, scope
from cnverify.systems.istio.hosts import gateway_ref, service_fqdn
from cnverify.systems.routing.tables import Clause, Results, Table, add_clauses, host_blockers, scoped
from cnverify.systems.routing.targets import inventory_namespaces

READS = (VirtualService, IstioGateway, Service)
JWT_CLAIM = "@request.auth.claims"


def str_match(s: IstioStringMatch) -> StrMatch | None:
    """Istio StringMatch → IR (None when no match type is set)."""
    for kind in ("exact", "prefix", "regex"):
        value = getattr(s, kind)
        if value is not None:
            return StrMatch(kind, value)
    return None


def istio_match(m: HTTPMatchRequest, *, port: bool = True, sources: bool = True) -> Match:
    """One HTTPMatchRequest as an IR `Match` (fields ANDed); ``port``/``sources``: keep those conditions."""
    unsupported = None
    path = None
    if m.uri is not None and (u := str_match(m.uri)) is not None:
        path = PathMatch(u.kind, u.value, bool(m.ignore_uri_case) and u.kind != "regex")  # type: ignore[arg-type]
    headers: list[HeaderMatch] = []
    for name, sm in (m.headers or {}).items():
        x = str_match(sm)
        if x is None or (x.kind == "regex" and x.value == "*"):
            headers.append(HeaderMatch(name, present=True))
        else:
            headers.append(HeaderMatch(name, match=x))
    for name, sm in (m.without_headers or {}).items():
        x = str_match(sm)
        if x is None or (x.kind == "regex" and x.value == "*"):
            headers.append(HeaderMatch(name, present=True, invert=True))
        else:
            headers.append(HeaderMatch(name, match=x, invert=True, treat_missing_as_empty=True))
    if any(h.name.startswith(JWT_CLAIM) for h in headers):
        unsupported = "a JWT claim match (@request.auth.claims: dynamic metadata, not a request header)"
    query = [QueryMatch(k, str_match(v)) for k, v in (m.query_params or {}).items()]
    if m.scheme is not None:
        unsupported = "a scheme match (the request model has no scheme)"
    if sources and (m.source_labels or m.source_namespace):
        unsupported = "sourceLabels/sourceNamespace select client proxies, not requests"
    method = str_match(m.method) if m.method is not None else None
    authority = str_match(m.authority) if m.authority is not None else None
    return Match(
        path=path,
        headers=tuple(headers),
        query=tuple(query),
        method=method,
        authority=authority,
        port=m.port if port else None,
        unsupported=unsupported,
    )


def is_catch_all(m: HTTPMatchRequest | None) -> bool:
    """Istio ``IsCatchAllRoute`` on the translated block: path prefix ``/`` or regex ``.*``, nothing else tested."""
    if m is None:
        return True
    uri = str_match(m.uri) if m.uri is not None else None
    return (uri is None or (uri.kind, uri.value) in (("prefix", "/"), ("regex", ".*"))) and not (
        m.headers or m.query_params or m.without_headers or m.method or m.authority or m.scheme
    )


@dataclass
class Block:
    """One flattened match block (None: a route without match) of a VirtualService; ``drop``: why pilot
    never generates it (``drop.unknown`` when the inputs cannot tell)."""

    key: str
    route_key: str
    route: int
    match: HTTPMatchRequest | None
    drop: delegate.Skip | None = None


def _aliases(snap: Snapshot) -> dict[str, list[str]]:
    """Root route clause → the delegate clauses merged in its place; filled by ``blocks``, read by ``decide``."""
    aliases: dict[str, list[str]] = context_of(snap).memo(
        ("systems.istio.tables.aliases",), dict, reads=(VirtualService,)
    )
    return aliases


def blocks(snap: Snapshot, vs: VirtualService, clauses: dict[str, Clause]) -> list[Block]:
    """The blocks pilot flattens ``vs`` into, delegate routes replaced by the delegate's (merged) routes."""
    out: list[Block] = []
    aliases = _aliases(snap)
    for i, route in enumerate(vs.spec.http or []):
        label = f"VirtualService {vs.namespace}/{vs.name} http[{i}]" + (f" ({route.name})" if route.name else "")
        own = add_clauses(clauses, vs, f"spec.http[{i}]", label, route, route.match, "match")
        if route.delegate is None:
            out += [Block(key, rkey, i, m) for m, rkey, key in own]
            continue
        d, why = delegate.resolve(snap, vs, route)
        if d is None:
            out += [Block(key, rkey, i, m, why) for m, rkey, key in own]
            continue
        via = f"{vs.ref}:spec.http[{i}]"
        for j, leaf in enumerate(d.spec.http or []):
            merged = delegate.merge_matches(route.match or [], leaf.match or [])
            if merged is None or leaf.delegate is not None:
                key = delegate.leaf_clause(clauses, d, j, None, via)
                out.append(
                    Block(
                        key,
                        clauses[key].route_key,
                        i,
                        None,
                        delegate.Skip(f"its matches conflict with {label}: Istio drops it there")
                        if merged is None
                        else delegate.Skip("a delegate cannot delegate again", unknown=True),
                    )
                )
                continue
            for rm, k, m in merged:
                key = delegate.leaf_clause(clauses, d, j, k, via + (f".match[{rm}]" if rm is not None else ""))
                out.append(Block(key, clauses[key].route_key, i, m))
                aliases.setdefault(own[rm or 0][2], []).append(key)
        out += [
            Block(
                key, rkey, i, m, delegate.Skip(f"no route of delegate {d.namespace}/{d.name} fits it: Istio drops it")
            )
            for m, rkey, key in own
            if key not in aliases
        ]
    return out


def decide(snap: Snapshot, res: Results) -> None:
    """A root route with ``delegate`` is reached exactly when one of the routes merged in its place is."""
    for root, merged in _aliases(snap).items():
        outs = [o for k in merged for o in res.outcomes.get(k, [])]
        if outs:
            res.outcomes[root] = outs


def _source(
    m: HTTPMatchRequest | None,
    vs: VirtualService,
    gw: str,
    selector: dict[str, str] | None,
    proxy: dict[str, str] | None = None,
) -> delegate.Skip | None:
    """``sourceMatchHTTP``: None (generated), else why not (``unknown`` when it depends on the client proxy);
    ``proxy``: the exact labels of the client proxy a sidecar table is for (None: any proxy)."""
    if m is None:
        return None
    if m.gateways:
        names = {gateway_ref(g, vs.namespace) for g in m.gateways}
        return None if gw in names else delegate.Skip(f"its match gateways {sorted(names)} do not include {gw}")
    if not (m.source_labels or m.source_namespace):
        return None
    if gw == "mesh" and proxy is not None and not m.source_namespace:
        if all(proxy.get(k) == v for k, v in (m.source_labels or {}).items()):
            return None
        return delegate.Skip(f"its sourceLabels {m.source_labels} do not select these client proxies")
    if (
        gw != "mesh"
        and not m.source_namespace
        and selector is not None
        and all(selector.get(k) == v for k, v in (m.source_labels or {}).items())
    ):
        return None  # the gateway's pods carry its selector's labels
    return delegate.Skip(
        "sourceLabels/sourceNamespace: the block exists only for the client proxies they select", unknown=True
    )


def generate(
    vs: VirtualService,
    bl: list[Block],
    gw: str,
    port: int | None,
    selector: dict[str, str] | None = None,
    proxy: dict[str, str] | None = None,
) -> tuple[list[tuple[Entry, bool]], dict[str, str]]:
    """The entries Istio builds from ``vs`` for gateway ``gw`` (``mesh``) on listener ``port`` (None: any),
    each with whether it is a catch-all, and why the other blocks are absent."""
    out: list[tuple[Entry, bool]] = []
    dropped: dict[str, str] = {}
    stop = False
    for b in bl:
        m = b.match
        if stop:  # not generated (Istio stops after the catch-all): kept behind it, which takes all it would
            out.append(
                (Entry(b.route_key, b.key, istio_match(m, port=port is None, sources=False) if m else Match()), True)
            )
            continue
        if b.drop is not None and not b.drop.unknown:
            dropped[b.key] = b.drop.why
            continue
        if m is not None and m.port and port is not None and m.port != port:
            dropped[b.key] = f"its match port {m.port} is not the server port {port}: Istio does not generate it"
            continue
        src = _source(m, vs, gw, selector, proxy)
        if src is not None and not src.unknown:
            dropped[b.key] = src.why + ": Istio does not generate it there"
            continue
        match = istio_match(m, port=port is None, sources=False) if m is not None else Match()
        if src is not None:
            match = replace(match, unsupported=src.why)
        if b.drop is not None:
            match = Match(unsupported=b.drop.why)
        catch = match.unsupported is None and match.port is None and is_catch_all(m)
        out.append((Entry(b.route_key, b.key, match), catch))
        stop = catch
    return out, dropped


def scope_variants(
    variants: list[list[Entry]], pattern: HostPattern, blockers: list[Entry]
) -> tuple[list[list[Entry]], str | None]:
    """`scoped` for every variant with one witness host for all of them (else every entry tests the host)."""
    out = [scoped(v, pattern, blockers) for v in variants]
    if all(sample is not None for _, sample in out) and len({sample for _, sample in out}) == 1:
        return [v for v, _ in out], out[0][1] if out else None
    return [blockers + [Entry(e.route_id, e.clause_id, e.match, (pattern,)) for e in v] for v in variants], None


def _mesh_views(vss: list[VirtualService], snap: Snapshot) -> list[tuple[str, list[tuple[VirtualService, int]]]]:
    """Consumer namespaces that see the same VirtualServices (with their rank) for one host."""
    if all(scope.rank(vs, None) == 2 for vs in vss):
        return [("sidecars (mesh)", [(vs, 2) for vs in vss])]
    groups: dict[tuple[tuple[int, int], ...], list[str]] = {}
    seen: dict[tuple[tuple[int, int], ...], list[tuple[VirtualService, int]]] = {}
    named = {e for vs in vss for e in scope.exports(vs) if e != "*"}
    for ns in [*sorted(inventory_namespaces(snap) | named), None]:
        vis = [(vs, r) for vs in vss if (r := scope.rank(vs, ns)) is not None]
        key = tuple((id(vs), r) for vs, r in vis)
        if vis:
            groups.setdefault(key, []).append(ns or "outside the inputs")
            seen[key] = vis
    return [
        (
            f"sidecars in namespace {nss[0]}"
            if len(nss) == 1
            else f"sidecars in {len(nss)} namespaces (" + ", ".join(nss[:3]) + (", …" if len(nss) > 3 else "") + ")",
            seen[k],
        )
        for k, nss in groups.items()
    ]


def _proxies(visible: list[VirtualService], per_vs: dict[int, list[Block]]) -> list[dict[str, str] | None]:
    """Client proxies that decide every sidecar block (None: one table for all): a proxy with exactly a block's
    sourceLabels has the fewest blocks that block has (more labels only add blocks), plus one with none."""
    sets = [
        b.match.source_labels
        for vs in visible
        for b in per_vs[id(vs)]
        if b.match is not None and b.match.source_labels and not b.match.source_namespace and not b.match.gateways
    ]
    out: list[dict[str, str] | None] = [{}] if sets else [None]
    out += [dict(x) for i, x in enumerate(sets) if x not in sets[:i]]
    return out


def _mesh_tables(
    snap: Snapshot, host: str, vss: list[VirtualService], per_vs: dict[int, list[Block]], domains: set[str]
) -> list[Table]:
    """Sidecar tables for ``host``; ``domains``: the other virtual hosts sidecars have (other VirtualService
    hosts, Services), which Envoy picks first when more specific (a wildcard host's witness must avoid them)."""
    blockers = host_blockers(host, {d: f"virtual host {d}" for d in domains if d != host}, HostPattern)
    tables = []
    for where, vis in _mesh_views(vss, snap):
        best = min(r for _, r in vis)
        cands = sorted((vs for vs, r in vis if r == best), key=scope.order_key)
        note = ""
        if not scope.order_fixed(cands):
            note = (
                "Istio orders VirtualServices "
                + ", ".join(f"{v.namespace}/{v.name}" for v in cands)
                + " by creation time, which the manifests do not fix"
            )
        else:
            cands = cands[:1]
        visible = [vs for vs, _ in vis]
        for proxy in _proxies(visible, per_vs):
            drops: dict[str, str] = {}
            alone: dict[str, list[Entry]] = {}
            for vs in visible:
                gen, dropped = generate(vs, per_vs[id(vs)], "mesh", None, proxy=proxy)
                drops.update(dropped)
                alone[vs.ref] = [e for e, _ in gen]
            scoped_all, sample = scope_variants(list(alone.values()), HostPattern(host), blockers)
            alone = dict(zip(alone, scoped_all, strict=True))
            rivals = sorted((vs for vs, r in vis if r == best), key=scope.order_key) if not proxy else []
            labels = ",".join(f"{k}={v}" for k, v in sorted((proxy or {}).items()))
            who = f", client proxies labelled {labels}" if proxy else ""
            table = Table(
                "istio",
                f"{where}{who}, host {host}",
                cands[0].spec.at("hosts"),
                [alone[vs.ref] for vs in cands],
                note,
                host_sample=sample,
                owners=rivals,
                exclusive=True,
                drop_reasons=drops,
                alone=alone,
            )
            table.members = [b.key for vs in visible for b in per_vs[id(vs)]]
            table.drop_reason = f"sidecars use only one VirtualService for host {host}: " + (
                note or f"the first in Istio's order, {cands[0].namespace}/{cands[0].name}"
            )
            if len(visible) > 1:
                table.defaults = scope.default_note(visible)
            tables.append(table)
    return tables


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    from cnverify.systems.istio import gateways as istio_gateway

    clauses: dict[str, Clause] = {}
    vss = snap.all(VirtualService)
    _aliases(snap).clear()  # this translation fills it afresh
    used = {
        id(d)
        for vs in vss
        for r in vs.spec.http or []
        if r.delegate is not None
        for d in [delegate.resolve(snap, vs, r)[0]]
        if d is not None
    }
    per_vs = {id(vs): [] if id(vs) in used else blocks(snap, vs, clauses) for vs in vss}
    points: dict[str, list[VirtualService]] = {}
    for vs in vss:
        if "mesh" in {gateway_ref(g, vs.namespace) for g in vs.spec.gateways or ["mesh"]}:
            for host in scope.vs_hosts(vs):
                if vs not in points.setdefault(host, []):
                    points[host].append(vs)
    domains = (
        set(points) | {service_fqdn(svc) for svc in snap.all(Service)} if any("*" in h for h in points) else set(points)
    )
    tables = [t for host, group in points.items() for t in _mesh_tables(snap, host, group, per_vs, domains)]
    tables += istio_gateway.tables(snap, vss, per_vs)
    return clauses, tables
