"""Entries a table's order leaves to a tie-break outside the manifests (Kong: matcher UUIDs), and a request
two of them both match: the input of CNV106 for tables whose ``ties`` name every tie group."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import z3
from cnverify.encodings.http import METHODS, Entry, MatchTable, Request, SymbolicRequest, entry_formula, entry_matches
from cnverify.encodings.http_precheck import candidates, disjoint
from cnverify.model import Resource
from cnverify.obligation import Obligation
from cnverify.registry import Property
from cnverify.run_context import RunContext
from cnverify.systems.kong.tables import UNNORMALIZED
from cnverify.systems.routing.tables import Results, Table


def tied_pairs(table: Table) -> Iterator[tuple[Entry, Entry]]:
    """Pairs of entries of one tie group and different owners that may share a request (table order)."""
    entries = [e for e in table.variants[0] if e.clause_id in table.ties] if table.variants else []
    for i, a in enumerate(entries):
        ga, oa = table.ties[a.clause_id]
        for b in entries[i + 1 :]:
            gb, ob = table.ties[b.clause_id]
            if ga == gb and oa != ob and not disjoint(a, b):
                yield a, b


def both_match(ctx: RunContext, a: Entry, b: Entry) -> tuple[Request | None, str]:
    """A request ``a`` and ``b`` both match (None and why not found: ``""`` = proved none exists)."""
    for r in (*candidates(a), *candidates(b)):
        try:
            if not r.problems() and entry_matches(a, r) and entry_matches(b, r):
                return r, ""
        except ValueError:  # an entry the evaluator cannot decide (UnsupportedMatch, regex errors)
            break
    if a.match.unsupported or b.match.unsupported:
        return None, a.match.unsupported or b.match.unsupported or ""
    try:
        req = SymbolicRequest.from_table(MatchTable((a, b)), tag="tie")
        query = [*req.domain(), entry_formula(a, req), entry_formula(b, req)]
        plain = [z3.Or([req.method == m for m in METHODS])]  # a request any HTTP/1 client sends, if one exists
        if a.hosts is None and b.hosts is None:
            plain.append(req.host == "example.com")
        ans = ctx.check(query + plain, preprocess=True)
        if ans.result != "sat":
            ans = ctx.check(query, preprocess=True)
    except ValueError as exc:
        return None, str(exc)
    if ans.result == "sat" and ans.model is not None:
        return req.witness(ans.model), ""
    return None, "" if ans.result == "unsat" else ans.reason or "the solver gave no answer"


@dataclass(frozen=True)
class TieRules:
    """What differs between the systems whose tables leave ties to an order outside the manifests."""

    odd: Callable[[Request], str]  # why a request found is not one the system reads as sent ("" = it is)
    tie: Callable[[str], str]  # the step saying the two routes tie (given the tie group)
    order: Callable[[bool, str], str]  # who wins, given whether every variant orders them alike and the first's label
    proved: str  # the proof's claim, with {table} for the table's name
    tidy: Callable[[Request, Entry, Entry], Request] = lambda r, a, b: r  # the request as the system reads it
    claimed: Callable[[str], str] = lambda group: "have equal priority"  # the tie as the claim says it


KONG = TieRules(
    odd=lambda r: (
        f"the request found ({r.host}{r.path}) is one Kong reads differently (normalized, dotted host)"
        if UNNORMALIZED.search(r.path) or r.host.strip(".") != r.host
        else ""
    ),
    tie=lambda group: f"have equal priority {group}",
    order=lambda fixed, first: (
        "Kong orders them by matcher UUID ("
        + (
            f"with the route ids of this config Kong takes {first} (the higher matcher UUID)"
            if fixed
            else "the inputs fix no route id, so the UUIDs and the winner are chosen when the routes are created"
        )
        + ")"
    ),
    proved="no two routes of equal priority match one request ({table}): the UUID order decides nothing",
)


def tie_obligations(
    prop: Property, ctx: RunContext, res: Results, table: Table, rules: TieRules = KONG
) -> Iterator[Obligation]:
    """CNV106 on a table whose equal-priority routes are ordered by something the user does not choose (Kong:
    matcher UUIDs; Traefik: its map order) — one finding per two tied routes a request both matches, else one
    proof for the table."""
    done: set[tuple[str, str]] = set()
    for a, b in tied_pairs(table):
        ca, cb = res.clauses[a.clause_id], res.clauses[b.clause_id]
        if (ca.route_key, cb.route_key) in done:
            continue
        found, why = both_match(ctx, a, b)
        found = rules.tidy(found, a, b) if found is not None else None
        odd = rules.odd(found) if found is not None else ""
        if odd:
            found, why = None, odd
        if found is None and not why:
            continue  # proved disjoint
        done.add((ca.route_key, cb.route_key))
        ob = prop.obligation(cb.subject, at=cb.route_at, path=cb.route_path)
        ob.note(f"entry point: {table.name}", table.at)
        for says, at in table.defaults:
            ob.note(says, at)
        names = f"{ca.route_label} and {cb.route_label}"
        ob.note(f"{names} {rules.tie(table.ties[a.clause_id][0])}", cb.clause_at)
        if found is None:
            claim = f"no request was found nor excluded that {names} both match ({why})"
            ob.unknown(claim)
            ob.on(violated=claim, proved=claim)
            yield ob
            continue
        for c in (ca, cb):
            ob.note(f"{c.route_label} matches the request", c.clause_at)
        fixed = all(
            [e.clause_id for e in v].index(a.clause_id) < [e.clause_id for e in v].index(b.clause_id)
            for v in table.variants
        )
        req = found.to_json()
        req.pop("port", None)
        claim = (
            f"{names} {rules.claimed(table.ties[a.clause_id][0])} and both match {found.method} {found.host}{found.path}: "
            + rules.order(fixed, ca.route_label)
        )
        ob.decide("violated", claim, witness={"request": req, "routes": [ca.route_label, cb.route_label]})
        ob.on(violated=claim, proved=claim)
        yield ob
    if not done:
        ob = prop.obligation(res_subject(res, table), at=table.at)
        claim = rules.proved.format(table=table.name)
        ob.note(f"entry point: {table.name}", table.at)
        ob.decide("proved", claim)
        ob.on(violated=claim, proved=claim)
        yield ob


def res_subject(res: Results, table: Table) -> Resource:
    """The object a table's entries belong to (its first clause's subject)."""
    keys = [*(e.clause_id for v in table.variants for e in v), *table.members]  # members: a table whose routes all drop
    return next(res.clauses[k].subject for k in keys if k in res.clauses)
