"""Gateway API HTTPRoute → match tables: one per (Gateway listener, route hostname), by precedence
(docs/SEMANTICS.md#httproute-matching-and-precedence).

A route sits on the listeners that accept it (`gateway_attach`) with the intersection of its
hostnames and the listener's; with listener isolation (Extended) routes on different listeners
never compete and a listener on the same port with a more specific hostname takes its hosts
first; without it they compete for the hosts they share (both are variants).  Within one table,
across all rules of all its routes: the route's own hostname (Extended, a variant), Exact path,
then the longest PathPrefix, then a method match, most headers, most query params, oldest route,
``"{namespace}/{name}"``, rule order (httproute_types.go, Hostnames and HTTPRouteRule.Matches).  PathPrefix is segment-wise.  When routes tie
up to the creation timestamp and the manifests do not fix it, every route order is a variant.
A route that attaches nowhere gets a table that drops it; one that may attach where the inputs
do not show gets ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnverify.encodings.hosts import matches
from cnverify.encodings.http import Entry, HeaderMatch, HostPattern, Match, PathMatch, QueryMatch, StrMatch
from cnverify.errors import Span
from cnverify.model.gateway import GatewayClass, HTTPRoute, HTTPRouteMatch, ValueMatch
from cnverify.snapshot import Snapshot
from cnverify.systems.gateway import attach as gateway_attach
from cnverify.systems.gateway.attach import Binding, route_parents
from cnverify.systems.kong.httproutes import kic_class
from cnverify.systems.routing.tables import (
    STAMPS_AS_RECORDED,
    Clause,
    Table,
    add_clauses,
    creation_order,
    host_blockers,
    host_rank,
    scoped,
    tie_orders,
)

READS = (HTTPRoute, *gateway_attach.READS, GatewayClass)


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
    match = Match(
        path=path, headers=tuple(headers), query=tuple(query), method=method, unsupported="; ".join(why) or None
    )
    return match, (*rank, 0 if method else 1, -len(headers), -len(query))


@dataclass
class _Point:
    """One entry point: a listener of a Gateway (or a Service parent) and one route hostname on it."""

    where: str
    at: Span
    host: str
    routes: list[HTTPRoute] = field(default_factory=list)
    maybe: list[HTTPRoute] = field(default_factory=list)  # routes the listener may or may not accept
    listener_blockers: list[tuple[str, str, Span]] = field(default_factory=list)  # (hostname, owner, where)
    defaults: list[tuple[str, Span]] = field(default_factory=list)  # defaults the attachments rest on
    binding: Binding | None = None  # the listener (None for a Service parent)


def _listener_blockers(b: Binding) -> list[tuple[str, str, Span]]:
    """Listeners on the same port and protocol whose hostname the Gateway matches first (listener isolation).

    gateway_types.go, Listeners: "inbound request hostnames MUST match from the most specific to least
    specific Hostname values to choose the correct Listener and its associated set of Routes"; that a
    request reaches no other listener's routes (requests "SHOULD match at most one Listener") is the
    Extended feature Listener Isolation ("Implementations that do not support Listener Isolation MUST
    clearly document this"), so `_table` analyses the entry point with and without these blockers.
    """
    mine = host_rank(b.listener.hostname or "*")
    return [
        (ln.hostname, f"listener {ln.name} of Gateway {b.gateway.namespace}/{b.gateway.name}", ln.at("hostname"))
        for ln in b.gateway.spec.listeners
        if ln is not b.listener
        and ln.hostname
        and ln.port == b.listener.port
        and ln.protocol == b.listener.protocol
        and host_rank(ln.hostname) < mine
    ]


def _attach(
    snap: Snapshot, route: HTTPRoute, points: dict[tuple[str, str], _Point]
) -> tuple[list[str], list[str], list[tuple[str, Span]], bool]:
    """Put ``route`` on its entry points; return why it may attach elsewhere (unknown), why it does not
    attach, the defaults those verdicts rest on, and whether a Gateway of the Kong Ingress Controller takes it
    (its listeners are Kong's: systems/kong translates and orders the route there)."""
    unknown, rejected, defaults, kong = [], [], [], False
    for pr in route_parents(snap, route):
        if pr.service is not None:
            for h in route.spec.hostnames or ["*"]:
                where = f"Service {pr.service}"
                point = points.setdefault((where, h), _Point(where, pr.pref.at(), h))
                point.routes += [route] if route not in point.routes else []
        for b, sure in [(b, True) for b in pr.bindings] + [(b, False) for b in pr.maybe]:
            if kic_class(snap, b.gateway)[0]:
                kong = True
                continue
            ln, gw = b.listener, b.gateway
            where = f"Gateway {gw.namespace}/{gw.name} listener {ln.name} ({ln.protocol} {ln.port})"
            for h in b.hostnames:
                point = points.setdefault(
                    (where, h), _Point(where, ln.at("name"), h, binding=b, listener_blockers=_listener_blockers(b))
                )
                group = point.routes if sure else point.maybe
                if route not in group:
                    group.append(route)
                point.defaults += [d for d in b.defaults if d not in point.defaults]
        if pr.verdict == "unknown" and not pr.bindings and not pr.maybe:
            unknown.append(pr.claim)
        elif pr.verdict == "violated" and pr.absent:  # CNV102 reports the missing parent, once
            unknown.append(
                f"{pr.claim} in the inputs (CNV102 reports it; objects that exist elsewhere are "
                "declared with --context or assume:)"
            )
        elif pr.verdict == "violated":
            rejected.append(pr.claim)
            defaults += pr.defaults
    if not route.spec.parent_refs:
        rejected.append("it has no parentRefs")
    return unknown, [] if kong else rejected, defaults, kong


def _route_table(
    route: HTTPRoute, keys: list[str], unknown: list[str], rejected: list[str], defaults: list[tuple[str, Span]]
) -> Table | None:
    """A route that may attach where the inputs do not show (unknown), or that attaches nowhere (dead)."""
    at = route.spec.at("parentRefs")
    if unknown:
        why = "whether it attaches: " + "; ".join(unknown)
        return Table(
            "gateway",
            f"HTTPRoute {route.namespace}/{route.name} parents",
            at,
            [[Entry(k.split("|")[0], k, Match(unsupported=why)) for k in keys]],
        )
    if rejected:
        return Table(
            "gateway",
            f"HTTPRoute {route.namespace}/{route.name} parents",
            at,
            [[]],
            members=keys,
            drop_reason="it attaches to no listener: " + "; ".join(rejected),
            defaults=defaults,
        )
    return None


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    rows: dict[str, list[tuple[tuple[int, ...], str, Entry]]] = {}  # route ref → (precedence, clause) rows
    points: dict[tuple[str, str], _Point] = {}
    tables = []
    for route in snap.all(HTTPRoute):
        rows[route.ref] = []
        if not route.spec.rules:  # the CRD defaults rules to one rule matching PathPrefix /
            label = f"HTTPRoute {route.namespace}/{route.name} (no rules: the default rule matches PathPrefix /)"
            for m, rkey, ck in add_clauses(clauses, route, "spec", label, route.spec, None, "matches"):
                match, prec = gateway_match(m)
                rows[route.ref].append(((*prec, 0, 0), ck, Entry(rkey, ck, match)))
        for i, rule in enumerate(route.spec.rules or []):
            label = f"HTTPRoute {route.namespace}/{route.name} rules[{i}]" + (f" ({rule.name})" if rule.name else "")
            added = add_clauses(clauses, route, f"spec.rules[{i}]", label, rule, rule.matches, "matches")
            for j, (m, rkey, ck) in enumerate(added):
                match, prec = gateway_match(m)
                rows[route.ref].append(((*prec, i, j), ck, Entry(rkey, ck, match)))
        keys = [ck for _, ck, _ in rows[route.ref]]
        unknown, rejected, defaults, kong = _attach(snap, route, points)
        if kong and not unknown and not any(route in p.routes + p.maybe for p in points.values()):
            for ck in keys:  # only Kong serves it: its clauses are the Kong table's (systems/kong)
                del clauses[ck]
            continue
        extra = _route_table(route, keys, unknown, rejected, defaults)
        tables += [extra] if extra is not None else []
    for (where, host), point in points.items():
        tables.append(
            _table(point, rows, [p for (w, p) in points if w == where and p != host], _merged(point, points), clauses)
        )
    return clauses, tables


def _merged(point: _Point, points: dict[tuple[str, str], _Point]) -> list[tuple[str, HTTPRoute, bool]]:
    """Without listener isolation, the routes other listeners on the port hold for this entry point's hosts:
    ``(hostname they share, route, sure)``."""
    b = point.binding
    if b is None:
        return []
    out = []
    for q in points.values():
        o = q.binding
        if (
            o is None
            or o.gateway is not b.gateway
            or o.listener is b.listener
            or o.listener.port != b.listener.port
            or o.listener.protocol != b.listener.protocol
        ):
            continue
        both = gateway_attach.intersect(point.host if point.host != "*" else None, [q.host])
        if both:
            out += [(both[0], r, r in q.routes) for r in q.routes + q.maybe]
    return out


def _route_host_rank(route: HTTPRoute, host: str) -> tuple[int, int]:
    """The route's own hostname specificity on the entry point ``host`` (smaller = earlier).

    httproute_types.go, Hostnames: "precedence must be given to rules from the HTTPRoute with the largest
    number of: Characters in a matching non-wildcard hostname. Characters in a matching hostname." Of the
    route's hostnames that cover ``host`` (each request of the entry point matches them) the most specific
    counts; a route without hostnames has none.
    """
    best = (0, 0)
    for h in route.spec.hostnames or []:
        if matches(h, host):
            best = max(best, (0 if h.startswith("*") else len(h), len(h)))
    return (-best[0], -best[1])


def _host_spec(host: str) -> tuple[int, int]:
    """An intersected hostname's precedence (smaller = earlier): its characters if not a wildcard, then all."""
    return (0, 0) if host == "*" else (-(0 if host.startswith("*") else len(host)), -len(host))


def _within(route: HTTPRoute, routes: list[HTTPRoute]) -> bool:
    """``route in routes`` (equality), with the common case — the very object is there — found by identity first,
    as ``in`` itself does, without comparing models field by field along the way."""
    return any(r is route for r in routes) or route in routes


def _table(
    point: _Point,
    rows: dict[str, list[tuple[tuple[int, ...], str, Entry]]],
    hosts: list[str],
    merged: list[tuple[str, HTTPRoute, bool]],
    clauses: dict[str, Clause],
) -> Table:
    """The match table of one entry point, one variant per route order the manifests leave open.

    Variants also cover two Extended features the manifests cannot show: ranking routes that share the
    intersected hostname by their own hostnames (GatewayRouteHostnameIntersectionPrecedence: "Implementations
    that do not support this feature MAY evaluate precedence using the calculated Listener/Route hostname
    intersection") and listener isolation (`_listener_blockers`): without it, the routes other listeners on
    the port hold for these hosts (``merged``) compete here, ranked by the intersected hostname first (as
    blockers only).  A verdict they change is unknown.
    """

    def pattern(d: str) -> HostPattern:
        return HostPattern(d, ignore_port=True)

    others = {h: f"HTTPRoutes for hostname {h}" for h in hosts}
    blockers = host_blockers(point.host, others, pattern)
    isolation, places = [], {}
    for h, owner, at in point.listener_blockers:
        e = Entry(f"{owner} (hostname {h}, matched first)", f"listener:{owner}:{h}", Match(), (pattern(h),))
        isolation.append(e)
        places[e.clause_id] = at
    maybe = [r for r in point.maybe if r not in point.routes]  # accepted through another parentRef: sure
    routes = point.routes + maybe
    foreign = [(h, r) for h, r, _ in merged if r not in routes]
    unsure = [(h, r) for h, r, sure in merged if not sure and r not in routes]
    everyone = list({id(r): r for r in routes + [r for _, r in foreign]}.values())
    base, fixed = creation_order(everyone, lambda r: f"{r.namespace}/{r.name}")
    orders = [base] if fixed else tie_orders(base)
    own = {r.ref: _route_host_rank(r, point.host) for r in routes}
    ranks = set(own.values()) | {_route_host_rank(r, h) for h, r in foreign}
    by_own = [True, False] if len(ranks) > 1 else [False]
    isolated = [True, False] if isolation or foreign else [True]
    sample = (
        None
        if foreign
        else scoped([e for r in routes for _, _, e in rows[r.ref]], pattern(point.host), blockers + isolation)[1]
    )
    variants: list[list[Entry]] = []
    drops: list[list[HTTPRoute]] = [[]] + ([maybe] if maybe else [])
    here = pattern(point.host)
    held = {
        r.ref: [(prec, Entry(e.route_id, e.clause_id, e.match, (here,))) for prec, _, e in rows[r.ref]] for r in routes
    }
    for order in orders:
        placed = [(n, r) for n, r in enumerate(order) if _within(r, routes)]  # the same for every variant below
        for drop in drops:
            kept = [(n, r) for n, r in placed if not _within(r, drop)]
            for ranked in by_own:
                for iso in isolated:
                    for skip in [[]] if iso else [[]] + ([unsure] if unsure else []):
                        keyed = [
                            ((own[r.ref] if ranked else _host_spec(point.host)), prec[:5], n, prec[5:], e)
                            for n, r in kept
                            for prec, e in held[r.ref]
                        ]
                        keyed += [
                            (
                                (_route_host_rank(r, h) if ranked else _host_spec(h)),
                                prec[:5],
                                n,
                                prec[5:],
                                Entry(e.route_id, f"maybe:{e.clause_id}", e.match, (pattern(h),)),
                            )
                            for n, r in enumerate(order)
                            for h, x in foreign
                            if x is r and (h, r) not in skip and not iso
                            for prec, _, e in rows[r.ref]
                        ]
                        keyed.sort(key=lambda x: x[:4])
                        entries = [e for *_, e in keyed]
                        variant = (
                            [Entry(e.route_id, e.clause_id, e.match) for e in entries]
                            if sample
                            else blockers + (isolation if iso else []) + entries
                        )
                        if variant not in variants:
                            variants.append(variant)
    for _, r in foreign:
        for _, ck, _ in rows[r.ref]:
            places[f"maybe:{ck}"] = clauses[ck].clause_at
    ties = {e.clause_id: (str(prec[:5]), r.ref) for r in routes for prec, _, e in rows[r.ref]}
    note = (
        ""
        if fixed
        else (
            "Gateway API breaks ties by route creation time, which the manifests do not fix: "
            + ", ".join(dict.fromkeys(f"{r.namespace}/{r.name}" for r in base))
        )
    )
    maybe_keys = [ck for r in maybe for _, ck, _ in rows[r.ref]]
    owners: dict[str, set[str]] = {}
    for r in everyone:
        for prec, _, _ in rows[r.ref]:
            owners.setdefault(str(prec[:5]), set()).add(r.ref)
    facts = list(point.defaults)
    if fixed and any(len(refs) > 1 for refs in owners.values()):
        facts.append(
            (
                f"on equal match precedence the older route wins ({STAMPS_AS_RECORDED}; then "
                '"{namespace}/{name}"): ' + ", ".join(dict.fromkeys(f"{r.namespace}/{r.name}" for r in base)),
                base[0].metadata.at("creationTimestamp"),
            )
        )
    uncertain = []
    if maybe:
        uncertain.append(
            "whether the listener accepts " + ", ".join(f"HTTPRoute {r.namespace}/{r.name}" for r in maybe)
        )
    if len(by_own) > 1:
        uncertain.append(
            f"whether routes sharing hostname {point.host} rank by their own hostnames (Extended: "
            "GatewayRouteHostnameIntersectionPrecedence; without it the intersection decides: "
            "httproute_types.go, Hostnames)"
        )
    if len(isolated) > 1:
        shared = sorted({h for h, _, _ in point.listener_blockers} | {h for h, _ in foreign})
        uncertain.append(
            "whether the implementation supports listener isolation (Extended, gateway_types.go "
            "Listeners: without it requests for " + ", ".join(shared) + " may reach the routes of "
            "every listener on the port)"
        )
    return Table(
        "gateway",
        f"{point.where}, hostname {point.host}",
        point.at,
        variants,
        note,
        members=maybe_keys,
        drop_reason="the listener may not accept its route",
        ties=ties,
        host_sample=sample,
        uncertain="; ".join(uncertain),
        places=places,
        defaults=facts,
    )
