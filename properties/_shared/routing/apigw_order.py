"""CNV106 on API Gateway route tables (``cnverify.systems.lambda_sam.apis``): two routes that API Gateway's documented
precedence does not order (each more specific than the other in one respect: ``ANY /pets/{id}`` and
``GET /{proxy+}``, ``/a/{x}`` and ``/{y}/b``) and that one request both matches — which one serves it is not
documented. A table's ``ties`` name the route and the routes of undecided order (owner = their clause key)."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.obligation import Obligation
from cnverify.properties._shared.routing.ties import both_match
from cnverify.registry import Property
from cnverify.run_context import RunContext
from cnverify.systems.routing.tables import Results


def undecided_obligations(prop: Property, ctx: RunContext, res: Results) -> Iterator[Obligation]:
    """One finding per pair of undecided routes a request both matches (once per pair), else one proof per route."""
    done: set[frozenset[str]] = set()
    involved: set[str] = set()  # routes of a pair found: no proof for them
    for table in res.tables:
        if table.system != "lambda" or not table.ties:
            continue
        order = table.variants[-1]
        route = next(e for e in reversed(order) if e.clause_id in res.clauses)
        own = res.clauses[route.clause_id]
        found_any, unknown = False, ""
        for other in order:
            owner = table.ties.get(other.clause_id, ("", route.clause_id))[1]
            pair = frozenset((route.clause_id, owner))
            if owner == route.clause_id or pair in done:
                continue
            done.add(pair)
            request, why = both_match(ctx, route, other)
            if request is None:
                unknown = unknown or why
                continue
            found_any = True
            involved |= pair
            theirs = res.clauses[owner]
            ob = prop.obligation(own.subject, at=own.route_at, path=own.route_path)
            ob.note(f"entry point: {table.name}", table.at)
            for says, at in table.defaults:
                ob.note(says, at)
            ob.note(f"{own.route_label} matches the request", own.clause_at)
            ob.note(f"{theirs.route_label} matches the request", theirs.clause_at)
            sent = request.to_json()
            sent.pop("port", None)
            claim = (
                f"{request.method} {request.path} matches {own.route_label} and {theirs.route_label}; API Gateway's "
                "documented precedence (full match before greedy, literal before parameter, method before ANY) "
                "orders neither first: which one serves it is not documented"
            )
            ob.decide("violated", claim, witness={"request": sent, "routes": [own.route_label, theirs.route_label]})
            ob.on(violated=claim)
            yield ob
        if found_any or route.clause_id in involved:
            continue
        ob = prop.obligation(own.subject, at=own.route_at, path=own.route_path)
        ob.note(f"entry point: {table.name}", table.at)
        if unknown:
            ob.unknown(
                f"no request was found nor excluded that {own.route_label} and a route of undecided order "
                f"both match ({unknown})"
            )
        else:
            claim = f"no request matches both {own.route_label} and a route API Gateway's precedence does not order"
            ob.decide("proved", claim)
            ob.on(proved=claim)
        yield ob
