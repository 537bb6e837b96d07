"""Contour virtual hosts → match tables: one per root fqdn, routes in Contour's order (docs/SEMANTICS.md#contour-httpproxy).

Contour sorts a virtual host's routes before it writes them to Envoy (xdscache/v3/route.go ``sortRoutes``,
``sorter.routeSorter``; `conditions.less`). The routes come out of a Go map, so routes the sorter finds equal keep
an order nobody fixes: each such cluster is covered by `tie_orders` variants (and CNV106 asks whether it matters).
An include of a proxy outside the inputs is covered by three variants (Contour's 502 route, everything it may
match taken first, nothing): a verdict they agree on holds whatever that proxy holds.
"""

from __future__ import annotations

from functools import cmp_to_key
from itertools import product

from cnverify.encodings.http import Entry, HostPattern, Match, Rewrite
from cnverify.errors import Span
from cnverify.model import Resource
from cnverify.snapshot import Snapshot
from cnverify.systems.contour.conditions import Conditions, less, merge, sorted_conditions, to_match
from cnverify.systems.contour.dag import READS, TLS, FlatRoute, Installation, Vhost, config_step, installations
from cnverify.systems.routing.rewrites import RewriteSource
from cnverify.systems.routing.tables import Clause, Table, clause_key, host_blockers, scoped, tie_orders

__all__ = ["READS", "clause_id", "envoy_routes", "order", "order_conditions", "translate"]
UNCHECKED = (
    "assumes: the policies of its routes Contour also validates (timeouts, retries, header and cookie rewrites, rate "
    "limits, health checks, redirects, JWT, IP filters, upstream TLS) are valid: one it rejects drops the HTTPProxy's "
    "routes (not checked)"
)
VHOST_UNCHECKED = (
    "assumes: the virtual host's other settings (authorization, JWT providers, CORS, rate limits, IP filters, TLS "
    "client validation and versions) are valid: Contour rejects the virtual host over an invalid one (not checked)"
)
REWRITE = RewriteSource(
    Rewrite(normalize_path=True, merge_slashes=True),
    "Contour's listeners normalize paths (normalize_path, envoy/v3/listener.go) and merge slashes (assumed: "
    "disableMergeSlashes is false by default)",
    None,
)
MODELLED = frozenset(
    {"conditions", "services", "permitInsecure", "pathRewritePolicy", "enableWebsockets", "directResponsePolicy"}
)
SERVICE_MODELLED = frozenset({"name", "port", "weight", "mirror", "protocol"})


def route_label(r: FlatRoute) -> str:
    if r.bad_gateway:
        return f"the 502 route Contour adds for HTTPProxy {r.owner.namespace}/{r.owner.name} includes[{r.index}] ({r.bad_gateway})"
    return f"HTTPProxy {r.owner.namespace}/{r.owner.name} routes[{r.index}] ({r.conds.describe()})"


def clause_id(r: FlatRoute) -> str:
    via = "/".join(f"{h.parent.namespace}.{h.parent.name}.{h.index}" for h in r.via)
    return clause_key(f"{r.owner.ref}:{r.path}", r.path) + f"|{r.root.ref}|{via}|{r.conds.path}"


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    tables: list[Table] = []
    for inst in installations(snap):
        for host in inst.vhosts:
            for r in [*host.routes, *(old for old, _ in host.replaced)]:
                if not r.bad_gateway:
                    _clause(clauses, r)
        tables += [_table(inst, host) for host in inst.vhosts]
        tables.append(_nowhere(inst, clauses))
    return clauses, tables


def _clause(clauses: dict[str, Clause], r: FlatRoute) -> str:
    key = clause_id(r)
    node, rkey = r.node, f"{r.owner.ref}:{r.path}"
    clauses[key] = Clause(r.owner, rkey, route_label(r), node.at(), r.path, node.at(), r.path, 1, key=key)
    return key


def order(routes: list[FlatRoute]) -> tuple[list[FlatRoute], list[list[int]]]:
    """The routes in Contour's order, and the clusters (indices into that order) whose order is open."""
    idx, clusters = order_conditions([r.conds for r in routes])
    return [routes[i] for i in idx], clusters


def order_conditions(conds: list[Conditions]) -> tuple[list[int], list[list[int]]]:
    """``sortRoutes`` on conditions: the indices in sorted order, and the clusters of positions whose order the
    sorter leaves to its input (a Go map): routes it finds equal, or all routes of one path when its comparison is
    no strict weak order there. Different paths are totally ordered by the path alone."""
    sc = [sorted_conditions(c) for c in conds]
    groups: dict[tuple[str, str], list[int]] = {}
    for i, c in enumerate(sc):
        groups.setdefault((c.kind, c.path), []).append(i)

    def path_first(a: tuple[str, str], b: tuple[str, str]) -> int:
        return -1 if less(Conditions(*a), Conditions(*b)) else 1

    path_cmp = cmp_to_key(path_first)
    out: list[int] = []
    clusters: list[list[int]] = []
    for key in sorted(groups, key=path_cmp):
        members = groups[key]
        lt = {(i, j): less(sc[i], sc[j]) for i in members for j in members}
        if _weak_order(members, lt):
            rank = {i: sum(lt[(j, i)] for j in members) for i in members}
            ranked = sorted(members, key=lambda i: rank[i])  # stable: equal routes keep the order read
            for r in set(rank.values()):
                same = [len(out) + k for k, i in enumerate(ranked) if rank[i] == r]
                if len(same) > 1:
                    clusters.append(same)
            out += ranked
        else:  # the sorter is inconsistent on these routes: their order depends on the map's
            clusters.append(list(range(len(out), len(out) + len(members))))
            out += members
    return out, clusters


def _weak_order(members: list[int], lt: dict[tuple[int, int], bool]) -> bool:
    """Is ``lt`` a strict weak order on ``members`` (then the stable sort's result is fixed up to equal routes)?"""
    for a, b, c in product(members, repeat=3):
        if lt[(a, b)] and lt[(b, a)]:
            return False
        if lt[(a, b)] and lt[(b, c)] and not lt[(a, c)]:
            return False
        eq = not lt[(a, b)] and not lt[(b, a)] and not lt[(b, c)] and not lt[(c, b)]
        if eq and (lt[(a, c)] or lt[(c, a)]):
            return False
    return True


def _variants(routes: list[FlatRoute]) -> tuple[list[list[FlatRoute]], dict[str, tuple[str, str]]]:
    ordered, clusters = order(routes)
    variants = [ordered]
    for c in clusters:
        for o in tie_orders(c)[1:]:
            variants.append([ordered[o[c.index(i)]] if i in c else r for i, r in enumerate(ordered)])
    ids = [_entry(r).clause_id for r in ordered]
    ties = {ids[i]: (f"t{k}", ids[i]) for k, c in enumerate(clusters) for i in c}
    return variants, ties


def _entry(r: FlatRoute) -> Entry:
    if r.bad_gateway or r.open_:
        label = f"the routes of HTTPProxy {r.open_} (not in the inputs)" if r.open_ else route_label(r)
        return Entry(label, f"contour:{r.owner.ref}:{r.path}:{r.root.ref}:{r.open_ and 'open'}", to_match(r.conds))
    return Entry(clause_id(r), clause_id(r), to_match(r.conds))


def _table(inst: Installation, host: Vhost) -> Table:
    root = host.root
    where = f"Contour{' class ' + inst.ingress_class if inst.ingress_class else ''}, virtual host {host.fqdn}"
    where += f" (HTTPProxy {root.namespace}/{root.name})"
    routes = list(host.routes)
    modes: list[tuple[list[FlatRoute], list[FlatRoute]]] = [([], routes)]
    if host.opens:  # Contour's 502 route for it, everything it may match taken first, nothing
        bad = [
            FlatRoute(o.root, o.owner, o.index, o.node, o.via, merge(o.node.conditions), "IncludeNotFound")
            for o in host.opens
        ]
        modes = [([], routes + bad), (host.opens, routes), ([], routes)]
    variants: list[list[Entry]] = []
    ties: dict[str, tuple[str, str]] = {}
    places: dict[str, Span] = {}
    for first, rs in modes:
        orders, ties = _variants(rs)
        for o in orders:
            variants.append([_entry(r) for r in first + o])
        for r in first + rs:
            if r.bad_gateway or r.open_:
                places[_entry(r).clause_id] = r.node.at()
    pattern = HostPattern(host.fqdn)
    others = {h.fqdn: f"HTTPProxy {h.root.namespace}/{h.root.name}" for h in inst.vhosts if h is not host}
    blockers = host_blockers(host.fqdn, others, HostPattern)
    every = [e for v in variants for e in v]
    sample = scoped(every, pattern, blockers)[1]
    if sample is None:
        variants = [scoped(v, pattern, blockers)[0] for v in variants]
    table = Table("contour", where, root.spec.virtualhost.at("fqdn"), variants, host_sample=sample)  # type: ignore[union-attr]
    table.defaults = _defaults(inst, host)  # type: ignore[assignment]
    table.places, table.rewrite = places, REWRITE
    table.ties = ties if len(variants) > 1 else {}
    table.order_note = "Contour orders routes its sorter finds equal as it reads them from a Go map" if ties else ""
    replaced = {
        clause_id(old): f"Contour keeps one route per set of conditions: {route_label(new)} replaces it"
        for old, new in host.replaced
        if not old.bad_gateway
    }
    table.members = [*replaced, *(clause_id(r) for r in routes if not r.bad_gateway)]
    table.drop_reasons = replaced
    reasons = [
        f"the include of HTTPProxy {o.open_}, which is not in the inputs, is followed or answers 502"
        for o in host.opens
    ]
    if host.tcpproxy:
        reasons.append("its tcpproxy, which cnverify does not model (Contour may reject the virtual host over it)")
        table.variants.append([])
    table.uncertain = "; ".join(reasons)
    return table


def _defaults(inst: Installation, host: Vhost) -> list[tuple[str, Span | None]]:
    from cnverify.diff.tables import raw_of

    root = host.root
    out: list[tuple[str, Span | None]] = [(config_step(inst), None)]
    tls = root.spec.virtualhost.tls  # type: ignore[union-attr]
    if tls is not None and tls.secret_name:
        out.append((TLS.format(tls.secret_name, host.fqdn), tls.at("secretName")))
    raws = [raw_of(r.node) for r in host.routes if not (r.bad_gateway or r.open_)]
    services = [s for raw in raws for s in raw.get("services") or [] if isinstance(s, dict)]
    if any(set(raw) - MODELLED for raw in raws) or any(set(s) - SERVICE_MODELLED for s in services):
        out.append((UNCHECKED, None))
    vh = raw_of(root.spec.virtualhost)
    if set(vh) - {"fqdn", "tls"} or set(vh.get("tls") or {}) - {"secretName", "passthrough"}:
        out.append((VHOST_UNCHECKED, root.spec.virtualhost.at()))  # type: ignore[union-attr]
    return out


def _nowhere(inst: Installation, clauses: dict[str, Clause]) -> Table:
    """Routes of proxies Contour programs nowhere (orphaned, invalid, a duplicate fqdn): unreachable, with why."""
    table = Table(
        "contour",
        f"Contour{' class ' + inst.ingress_class if inst.ingress_class else ''}, routes of no virtual host",
        None,
        [[]],
    )
    placed = {c.route_key for c in clauses.values()}
    for p in inst.proxies:
        for j, route in enumerate(p.spec.routes):
            rkey = f"{p.ref}:spec.routes[{j}]"
            if rkey in placed:
                continue
            key = clause_key(rkey, f"spec.routes[{j}]")
            clauses[key] = Clause(
                p,
                rkey,
                f"HTTPProxy {p.namespace}/{p.name} routes[{j}]",
                route.at(),
                f"spec.routes[{j}]",
                route.at(),
                f"spec.routes[{j}]",
                1,
            )
            table.members.append(key)
            table.drop_reasons[key] = inst.unrouted.get(id(p), "no root HTTPProxy's include tree reaches it")
    if inst.rootless and table.members:  # a root elsewhere may include them: both outcomes are variants
        table.variants.append([Entry(k, k, Match()) for k in table.members])
        table.uncertain = "whether a root HTTPProxy outside the inputs includes it (the inputs hold no root)"
    return table


def reads() -> tuple[type[Resource], ...]:
    return READS


def envoy_match(c: Conditions) -> dict[str, object]:
    """The Envoy ``RouteMatch`` Contour writes (envoy/v3/route.go ``RouteMatch``, ``headerMatcher``,
    ``queryParamMatcher``), for replaying witnesses on a real Envoy."""
    match: dict[str, object] = {"prefix": c.path} if c.kind == "prefix" else {"path": c.path}
    if c.kind == "regex":
        match = {"safe_regex": {"regex": "^" + c.path}}
    headers = []
    for h in c.headers:
        m: dict[str, object] = {"name": h.name, "invert_match": h.invert}
        if h.invert and h.missing_empty:
            m["treat_missing_header_as_empty"] = True
        if h.kind == "present":
            m["present_match"] = True
        else:
            key = "safe_regex" if h.kind == "regex" else h.kind
            value: object = {"regex": h.value} if h.kind == "regex" else h.value
            m["string_match"] = {key: value, **({"ignore_case": True} if h.ignore_case else {})}
        headers.append(m)
    query = []
    for q in c.query:
        if q.kind == "present":
            query.append({"name": q.name, "present_match": True})
        else:
            key = "safe_regex" if q.kind == "regex" else q.kind
            value = {"regex": q.value} if q.kind == "regex" else q.value
            query.append(
                {"name": q.name, "string_match": {key: value, **({"ignore_case": True} if q.ignore_case else {})}}
            )
    return {**match, **({"headers": headers} if headers else {}), **({"query_parameters": query} if query else {})}


def envoy_routes(host: Vhost) -> list[tuple[FlatRoute, dict[str, object]]]:
    """The routes Contour writes to ``host``'s Envoy virtual host, in its order (the first order when the sorter
    leaves some open), each with its Envoy match."""
    ordered, _ = order(list(host.routes))
    return [(r, envoy_match(sorted_conditions(r.conds))) for r in ordered]
