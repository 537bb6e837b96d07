"""Turning per-table outcomes into one verdict with located steps (shared by CNV101 and CNV105)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnverify.errors import Span
from cnverify.obligation import Obligation
from cnverify.proof import Verdict
from cnverify.systems.routing.tables import Clause, Outcome, Results


@dataclass
class Judgement:
    verdict: Verdict
    claim: str
    steps: list[tuple[str, Span | None]] = field(default_factory=list)
    witness: dict[str, Any] | None = None


def witness_json(o: Outcome) -> dict[str, Any] | None:
    w = o.verdict.witness
    if w is None:
        return None
    out = w.to_json()
    out.pop("port", None)
    if o.table.host_sample:
        out["host"] = o.table.host_sample
    return out


def _rewrite_step(o: Outcome) -> list[tuple[str, Span | None]]:
    """The step naming the request rewriting a verdict rests on (none when it holds for every rewrite)."""
    rw = o.table.rewrite
    return [(rw.note, rw.at)] if rw is not None and rw.note and o.verdict.assumes_rewrite else []


def judge(res: Results, clauses: list[Clause], what: str) -> Judgement:
    """Reachable if one clause is reachable in one table; unreachable only if unreachable everywhere."""
    outcomes = [(c, o) for c in clauses for o in res.outcomes.get(_key(c), [])]
    if not outcomes:
        return Judgement(
            "unknown",
            f"{what} belongs to no entry point (no hosts, a delegate, or not bound to a "
            "gateway or server of the inputs that takes its hosts)",
        )
    for c, o in outcomes:
        if o.status == "reachable":
            steps: list[tuple[str, Span | None]] = [(f"entry point: {o.table.name}", o.table.at), *o.table.defaults]
            steps += _rewrite_step(o)
            how = "pre-check" if o.verdict.decided_by == "precheck" else "solver"
            steps.append((f"{how}: {o.verdict.step or 'a request reaches it'}", c.clause_at))
            return Judgement("proved", f"{what} is reached by a request ({o.table.name})", steps, witness_json(o))
    for _, o in outcomes:
        if o.status == "unknown":
            return Judgement(
                "unknown",
                f"{o.reason or o.verdict.reason} ({o.table.name})",
                [(f"entry point: {o.table.name}", o.table.at)],
            )
    steps = []
    takers: set[str] = set()  # the routes (and clauses) that take the requests first
    for c, o in outcomes:
        steps += [(f"entry point: {o.table.name}", o.table.at), *o.table.defaults]
        steps += _rewrite_step(o)
        if o.verdict.index < 0:
            steps.append((o.verdict.step, c.clause_at))
            continue
        how = "pre-check" if o.verdict.decided_by == "precheck" else "solver"
        if o.status == "unreachable" and o.verdict.step and o.verdict.blockers:
            steps.append((f"{how}: every request it matches is taken by a route of higher precedence", c.clause_at))
        if not o.verdict.blockers:
            steps.append(("its own conditions cannot hold together", c.clause_at))
        for b in o.verdict.blockers:
            blocker = res.clauses.get(b.clause_id)
            label = blocker.route_label if blocker else b.route_id
            taker = label + (f" {blocker.clause_path.rsplit('.', 1)[-1]}" if blocker and blocker.n_clauses > 1 else "")
            takers.add(taker)
            steps.append((f"taken first by {taker}", blocker.clause_at if blocker else o.table.places.get(b.clause_id)))
    names = sorted(takers)
    verb = " takes" if len(names) == 1 else " take"
    claim = f"no request reaches {what}: " + (
        "; ".join(names) + verb + " every request it matches" if names else outcomes[0][1].verdict.step or "unreachable"
    )
    return Judgement("violated", claim, _dedupe(steps))


def _dedupe(steps: list[tuple[str, Span | None]]) -> list[tuple[str, Span | None]]:
    out: list[tuple[str, Span | None]] = []
    for s in steps:
        if s not in out:
            out.append(s)
    return out


def _key(c: Clause) -> str:
    return c.key or f"{c.route_key}|{c.clause_path}"


def apply(ob: Obligation, j: Judgement) -> Obligation:
    for says, at in j.steps:
        ob.note(says, at)
    if j.verdict == "unknown":
        ob.unknown(j.claim)
    else:
        ob.decide(j.verdict, j.claim, witness=j.witness)
    ob.on(violated=j.claim, proved=j.claim)
    return ob
