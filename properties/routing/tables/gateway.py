"""Gateway API HTTPRoute → match tables: one per (parent Gateway, hostname), ordered by precedence (§6.1).

Across all rules of all HTTPRoutes attached to the same Gateway and hostname: Exact path,
then the longest PathPrefix, then a method match, most headers, most query params, oldest
route, route name (namespace/name), rule order.  PathPrefix is segment-wise.  When routes tie
up to the creation timestamp and the manifests do not fix it, every route order is a variant.
"""
from __future__ import annotations


from cnverify.encodings.http import Entry, HeaderMatch, HostPattern, Match, PathMatch, QueryMatch, StrMatch
from cnverify.model.gateway import GATEWAY_API, HTTPRoute, HTTPRouteMatch, ValueMatch
from cnverify.properties.routing.tables import Clause, Table, add_clauses, host_blockers, scoped, tie_orders
from cnverify.snapshot import Snapshot

READS = (HTTPRoute,)


def _value(v: ValueMatch) -> StrMatch | str:
    if v.type == "Exact":
        return StrMatch("exact", v.value)
    if v.type == "RegularExpression":
        return StrMatch("regex", v.value)
    return f"{v.name}: match type {v.type}"


def gateway_match(m: HTTPRouteMatch | None) -> tuple[Match, tuple[int, int, int, int, int]]:
    """The IR match and its precedence key (smaller = earlier) of one HTTPRouteMatch."""
    why: list[str] = []
    p = m.path if m is not None and m.path is not None else None
    ptype, pvalue = (p.type, p.value) if p is not None else ("PathPrefix", "/")
    if ptype == "Exact":
        path, rank = PathMatch("exact", pvalue), (0, 0)
    elif ptype == "PathPrefix":
        path, rank = PathMatch("segment_prefix", pvalue), (1, -len(pvalue))
    else:
        path, rank = None, (2, 0)
        why.append(f"path type {ptype}: its precedence is implementation-specific")
    headers, seen = [], set()
    for h in (m.headers or []) if m is not None else []:
        if h.name.lower() in seen:
            continue
        seen.add(h.name.lower())
        x = _value(h)
        why += [x] if isinstance(x, str) else []
        headers += [HeaderMatch(h.name, match=x)] if not isinstance(x, str) else []
    query, qseen = [], set()
    for q in (m.query_params or []) if m is not None else []:
        if q.name in qseen:
            continue
        qseen.add(q.name)
        x = _value(q)
        why += [x] if isinstance(x, str) else []
        query += [QueryMatch(q.name, x)] if not isinstance(x, str) else []
    method = StrMatch("exact", m.method) if m is not None and m.method else None
    match = Match(path=path, headers=tuple(headers), query=tuple(query), method=method,
                  unsupported="; ".join(why) or None)
    return match, (*rank, 0 if method else 1, -len(headers), -len(query))


def _parents(route: HTTPRoute) -> list[str]:
    out = []
    for p in route.spec.parent_refs or []:
        kind, group = p.kind or "Gateway", p.group if p.group is not None else GATEWAY_API
        if (kind, group) == ("Gateway", GATEWAY_API) or (kind == "Service" and group in ("", "core")):
            key = ("" if kind == "Gateway" else "Service ") + f"{p.namespace or route.namespace}/{p.name}"
            if key not in out:
                out.append(key)
    return out


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    rows: dict[str, list[tuple[tuple[int, ...], str, Entry]]] = {}  # route ref → (precedence, clause) rows
    groups: dict[tuple[str, str], list[HTTPRoute]] = {}
    for route in snap.all(HTTPRoute):
        rows[route.ref] = []
        for i, rule in enumerate(route.spec.rules or []):
            label = f"HTTPRoute {route.namespace}/{route.name} rules[{i}]" + (f" ({rule.name})" if rule.name else "")
            added = add_clauses(clauses, route, f"spec.rules[{i}]", label, rule, rule.matches, "matches")
            for j, (m, rkey, ck) in enumerate(added):
                match, prec = gateway_match(m)
                rows[route.ref].append(((*prec, i, j), ck, Entry(rkey, ck, match)))
        for parent in _parents(route):
            for h in route.spec.hostnames or ["*"]:
                groups.setdefault((parent, h.lower()), []).append(route)
    tables = []
    for (parent, host), routes in groups.items():
        pattern = (lambda d: HostPattern(d, ignore_port=True))
        others = {h: f"HTTPRoutes for hostname {h}" for (p, h) in groups if p == parent and h != host}
        blockers = host_blockers(host, others, pattern)
        base = sorted(routes, key=lambda r: (str(r.metadata.creation_timestamp or ""), r.namespace, r.name))
        stamps = [str(r.metadata.creation_timestamp or "") for r in base]
        fixed = len(base) < 2 or ("" not in stamps and len(set(stamps)) == len(stamps))
        orders = [base] if fixed else tie_orders(base)
        variants = []
        for order in orders:
            keyed = [(prec[:5], n, prec[5:], e) for n, r in enumerate(order) for prec, _, e in rows[r.ref]]
            keyed.sort(key=lambda x: (x[0], x[1], x[2]))
            variant, sample = scoped([e for *_, e in keyed], pattern(host), blockers)
            variants.append(variant)
        ties = {e.clause_id: (str(prec[:5]), r.ref) for r in routes for prec, _, e in rows[r.ref]}
        note = "" if fixed else ("Gateway API breaks ties by route creation time, which the manifests do not fix: "
                                 + ", ".join(f"{r.namespace}/{r.name}" for r in base))
        where = parent if parent.startswith("Service ") else f"Gateway {parent}"
        tables.append(Table("gateway", f"{where}, hostname {host}", routes[0].spec.at("parentRefs"),
                            variants, note, ties=ties, host_sample=sample))
    return clauses, tables
