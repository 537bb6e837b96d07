"""Entries a table's order leaves to a tie-break outside the manifests (Kong: matcher UUIDs), and a request
two of them both match: the input of CNV106 for tables whose ``ties`` name every tie group."""

from __future__ import annotations

from collections.abc import Iterator

import z3
from cnverify.encodings.http import METHODS, Entry, MatchTable, Request, SymbolicRequest, entry_formula, entry_matches
from cnverify.encodings.http_precheck import candidates, disjoint
from cnverify.run_context import RunContext
from cnverify.systems.routing.tables import Table


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
