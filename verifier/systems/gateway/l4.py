"""Gateway API TCPRoute and TLSRoute rules: does the rule attach to a listener, and does it get the connections?

Neither kind has matches (``apis/v1alpha2`` tcproute_types.go, tlsroute_types.go): a rule is reached
when its route attaches to a listener (`gateway_attach`: protocol TCP for TCPRoute, TLS for TLSRoute,
sectionName/port, allowedRoutes kinds and namespaces, TLSRoute SNI hostnames) and no other route of
the same kind on that listener can take its connections.  The spec does not say which of several
TCPRoutes on one listener, or of TLSRoutes with overlapping SNI hostnames, wins: ``unknown``.  Nor
does it say which of several rules of one route takes a connection (no matches): ``unknown``.
Decided without a match table, as the Istio tcp/tls blocks are (`istio_l4`).
"""

from __future__ import annotations

from typing import Literal

from cnverify.encodings.http import EntryVerdict
from cnverify.errors import Span
from cnverify.model.gateway_l4 import TCPRoute, TLSRoute
from cnverify.snapshot import Snapshot
from cnverify.systems.gateway import attach as gateway_attach
from cnverify.systems.gateway.attach import Binding, intersect, route_parents
from cnverify.systems.routing.tables import Clause, Outcome, Results, Table, add_clauses

READS = (TCPRoute, TLSRoute, *gateway_attach.READS[1:])
Route = TCPRoute | TLSRoute


def _routes(snap: Snapshot) -> list[Route]:
    return [*snap.all(TCPRoute), *snap.all(TLSRoute)]


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    for route in _routes(snap):
        for i, rule in enumerate(route.spec.rules or []):
            label = f"{route.KIND} {route.namespace}/{route.name} rules[{i}]" + (
                f" (name: {rule.name})" if rule.name else ""
            )
            add_clauses(clauses, route, f"spec.rules[{i}]", label, rule, None, "matches")
    return clauses, []


def _listener(b: Binding) -> tuple[str, str]:
    return f"{b.gateway.namespace}/{b.gateway.name}", b.listener.name


def _overlap(kind: str, mine: list[str], theirs: list[str]) -> bool:
    """Can a connection be for both routes: always for TCPRoutes; for TLSRoutes when SNI hostnames intersect."""
    return kind == "TCPRoute" or any(intersect(a, [b]) for a in mine for b in theirs)


def decide(snap: Snapshot, res: Results) -> None:
    """One outcome per rule: unreachable when the route attaches to no listener, reachable when it is alone
    (or SNI-disjoint) on a listener, else unknown."""
    routes = _routes(snap)
    on: dict[tuple[str, str], list[tuple[Route, Binding]]] = {}  # listener → routes that (may) attach there
    for r in routes:
        for p in route_parents(snap, r):
            for b in [*p.bindings, *p.maybe]:
                on.setdefault(_listener(b), []).append((r, b))
    for route in routes:
        rules = route.spec.rules or []
        parents = route_parents(snap, route)
        name = f"parents of {route.KIND} {route.namespace}/{route.name}"
        table = Table("gateway", name, route.spec.at("parentRefs"), [])
        outcome = _decide(route, parents, on, table, len(rules))
        for i in range(len(rules)):
            key = f"{route.ref}:spec.rules[{i}]|spec.rules[{i}]"
            v = outcome.verdict
            res.outcomes.setdefault(key, []).append(
                Outcome(
                    table,
                    outcome.status,
                    EntryVerdict(
                        -1 if outcome.status == "unreachable" else i,
                        key.split("|", 1)[0],
                        key,
                        v.status,
                        decided_by=v.decided_by,
                        step=v.step,
                    ),
                    outcome.reason,
                )
            )


def _decide(
    route: Route,
    parents: list[gateway_attach.ParentResult],
    on: dict[tuple[str, str], list[tuple[Route, Binding]]],
    table: Table,
    n_rules: int,
) -> Outcome:
    def out(status: Literal["reachable", "unreachable", "unknown"], text: str) -> Outcome:
        return Outcome(
            table,
            status,
            EntryVerdict(
                -1,
                "",
                "",
                status,
                decided_by="precheck" if status != "unknown" else "none",
                step=text,
            ),
            text,
        )

    if not parents:
        table.at = route.spec.at()
        return out(
            "unreachable",
            f"{route.KIND} {route.namespace}/{route.name} has no parentRefs: it attaches "
            "to no listener and receives no connection",
        )
    steps: list[tuple[str, Span]] = []
    for p in parents:
        steps += p.steps
    bindings = [b for p in parents for b in p.bindings]
    if bindings:
        table.defaults = [d for b in bindings for d in b.defaults]
        if n_rules > 1:
            return out(
                "unknown",
                f"the route has {n_rules} rules without matches: the spec does not say which "
                "rule takes a connection (implementation-specific)",
            )
        for b in bindings:
            rivals = [
                r
                for r, o in on.get(_listener(b), [])
                if r is not route and r.KIND == route.KIND and _overlap(route.KIND, b.hostnames, o.hostnames)
            ]
            if not rivals:
                gw, ln = _listener(b)
                what = (
                    f"no other {route.KIND} of the inputs attaches to it"
                    if route.KIND == "TCPRoute"
                    else f"no other TLSRoute of the inputs there has an SNI hostname intersecting {b.hostnames}"
                )
                return out(
                    "reachable",
                    f"listener {ln} ({b.listener.protocol} {b.listener.port}) of Gateway {gw} "
                    f"accepts the route and {what}: every connection it accepts for them takes the route",
                )
        names = sorted(
            {
                f"{r.namespace}/{r.name}"
                for b in bindings
                for r, o in on.get(_listener(b), [])
                if r is not route and r.KIND == route.KIND
            }
        )
        return out(
            "unknown",
            f"implementation-specific: the spec does not say which route wins ({route.KIND} "
            f"{', '.join(names)} on the same listener"
            + (" with overlapping hostnames)" if route.KIND == "TLSRoute" else ")"),
        )
    undecided = [p for p in parents if p.verdict != "violated" or p.absent]
    if undecided:
        p = undecided[0]
        return out("unknown", p.claim + (" (CNV102 reports the missing parent)" if p.absent else ""))
    table.defaults = [(s, at) for s, at in steps]
    return out("unreachable", "it attaches to no listener: " + "; ".join(p.claim for p in parents))
