"""Per-entry reachability of a first-match-wins `MatchTable`.

`analyze(table, *, limits=None, precheck=True) -> list[EntryVerdict]`: for entry i,
is there a request that matches it and none of the earlier entries? One verdict per entry
(these are the per-clause results for CNV105; a route is reachable iff one clause is):

* `reachable` + `witness` — a `Request`, always confirmed by `first_match` (a disagreement
  between Z3 and the evaluator raises `AssertionError`: it is a bug);
* `unreachable` + `blockers` — a minimal set of earlier entries that together cover it
  (empty when the entry's own match is unsatisfiable);
* `unknown` + `reason` — unsupported construct (in the entry or an earlier entry that may
  overlap it), solver timeout / resource limit.

Strategy: earlier entries that provably share no request with entry i are dropped
(`http_precheck.disjoint`). The pre-check then decides plain cases exactly — a candidate
request built from the entry's literals that the evaluator confirms (reachable), or one
earlier entry that syntactically covers it (unreachable) — and records the step. The rest
goes to Z3 through `cnverify.smt.check` (a fresh context per query, the run's `rlimit`, timeout and
deadline), the query put in
`regex_normal_form` (one regex membership per variable where possible: z3 5.4 is orders of
magnitude faster on that); cores are minimised by deletion, trying single blockers first.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Callable, Literal

import z3

from cnverify import smt

from .http_ir import METHODS, Entry, MatchTable, Request, UnsupportedMatch, entry_matches, first_match
from .http_precheck import candidates, covers, disjoint, search
from .http_z3 import SymbolicRequest, entry_formula, regex_normal_form
from .regex import RegexError

Status = Literal["reachable", "unreachable", "unknown"]


@dataclass(frozen=True)
class Blocker:
    index: int
    route_id: str
    clause_id: str


@dataclass(frozen=True)
class EntryVerdict:
    index: int
    route_id: str
    clause_id: str
    status: Status
    witness: Request | None = None
    blockers: tuple[Blocker, ...] = ()
    reason: str = ""
    decided_by: Literal["precheck", "solver", "none"] = "solver"
    step: str = ""  # one sentence describing the deciding step


def _blocker(i: int, e: Entry) -> Blocker:
    return Blocker(i, e.route_id, e.clause_id)


def _name(i: int, e: Entry) -> str:
    return f"#{i} {e.route_id}/{e.clause_id}"


def _safe_matches(e: Entry, r: Request) -> bool | None:
    try:
        return entry_matches(e, r)
    except (UnsupportedMatch, RegexError):
        return None


def _safe_first(table: MatchTable, r: Request) -> Entry | None:
    try:
        return first_match(table, r)
    except (UnsupportedMatch, RegexError):
        return None


class _Analyzer:
    def __init__(self, table: MatchTable, precheck: bool) -> None:
        self.table = table
        self.entries = table.entries
        self.use_precheck = precheck
        probe = SymbolicRequest.from_table(table, single_values=True)
        self.errors: list[str | None] = []  # why an entry cannot be encoded
        for e in self.entries:
            try:
                entry_formula(e, probe)
                self.errors.append(None)
            except (UnsupportedMatch, RegexError) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")

    def verdict(self, i: int, status: Status, **kw: object) -> EntryVerdict:
        e = self.entries[i]
        return EntryVerdict(i, e.route_id, e.clause_id, status, **kw)  # type: ignore[arg-type]

    def run(self, i: int) -> EntryVerdict:
        e = self.entries[i]
        if self.errors[i] is not None:
            return self.verdict(i, "unknown", reason=self.errors[i], decided_by="none")
        relevant = [j for j in range(i) if not disjoint(self.entries[j], e)]
        if self.use_precheck:
            v = self.precheck(i, relevant)
            if v is not None:
                return v
        return self.solve(i, relevant)

    def confirm(self, i: int, w: Request, how: str) -> Request:
        got = first_match(self.table, w)
        if got is not self.entries[i]:
            other = "no entry" if got is None else got.route_id + "/" + got.clause_id
            raise AssertionError(f"{how} witness {w.to_json()} for {_name(i, self.entries[i])} takes {other}")
        return w

    def tidy(self, i: int, w: Request) -> Request:
        """Replace solver-chosen values by plain defaults where the entry is still taken."""
        e = self.entries[i]
        edits: list[Callable[[Request], Request]] = [
            lambda r, n=n: replace(r, headers={k: v for k, v in r.headers.items() if k != n}) for n in w.headers
        ] + [lambda r, n=n: replace(r, query={k: v for k, v in r.query.items() if k != n}) for n in w.query]
        if w.method not in METHODS:  # prefer a method HTTP/1 clients can send
            edits += [lambda r, m=m: replace(r, method=m) if r.method not in METHODS else r for m in METHODS]
        edits += [lambda r: replace(r, method="GET"), lambda r: replace(r, host="example.com"),
                  lambda r: replace(r, port=80)]
        for edit in edits:
            cand = edit(w)
            if cand != w and not cand.problems() and _safe_first(self.table, cand) is e:
                w = cand
        return w

    def precheck(self, i: int, relevant: list[int]) -> EntryVerdict | None:
        e = self.entries[i]
        if disjoint(e, e):
            return self.verdict(i, "unreachable", decided_by="precheck",
                                step="its own conditions cannot hold together (literal values conflict)")
        nonempty = False
        earlier = [self.entries[j] for j in relevant]
        for c in itertools.chain(candidates(e), search(e, earlier, seed=i)):
            if c.problems() or not _safe_matches(e, c):
                continue
            nonempty = True
            if all(_safe_matches(self.entries[j], c) is False for j in relevant):
                w = self.confirm(i, c, "pre-check")
                return self.verdict(i, "reachable", witness=w, decided_by="precheck",
                                    step="a request built from the table's literals reaches it")
        if nonempty:
            for j in relevant:
                if covers(self.entries[j], e):
                    return self.verdict(i, "unreachable", blockers=(_blocker(j, self.entries[j]),),
                                        decided_by="precheck",
                                        step=f"every request it matches is taken by {_name(j, self.entries[j])}")
        return None

    def query(self, i: int, encoded: list[int]) -> "_Query":
        """Symbolic request sized for entry i against `encoded`: a header gets one value slot
        per matcher that may need a witness value (i's plain string matchers, the blockers'
        inverted ones), since a header may be sent several times."""
        slots: dict[str, int] = {}
        for j in [i] + encoded:
            for h in self.entries[j].match.headers:
                if h.match is not None and h.invert == (j != i):
                    slots[h.name] = slots.get(h.name, 0) + 1
        sub = MatchTable(tuple(self.entries[j] for j in [i] + encoded))
        req = SymbolicRequest.from_table(sub)
        req = SymbolicRequest(req.headers, req.query, header_slots=slots)
        return _Query(req, {j: entry_formula(self.entries[j], req) for j in [i] + encoded}, req.domain(), i)

    def check(self, q: "_Query", blockers: list[int]) -> smt.Answer:
        """domain ∧ own ∧ no blocker matches, each attempt with half the run's per-query budget
        (``cnverify.smt``): first in regex normal form (fast for regex-heavy queries), then as
        written (fast when the contradiction is propositional, e.g. a header matcher repeated verbatim)."""
        query = z3.And(q.domain + [q.formulas[q.own]] + [z3.Not(q.formulas[j]) for j in blockers])
        for form in (regex_normal_form(query), query):
            answer = smt.check([form], share=0.5, preprocess=True)
            if answer.result != "unknown" or answer.reason == smt.DEADLINE_REASON:
                break
        return answer

    def solve(self, i: int, relevant: list[int]) -> EntryVerdict:
        if smt.current().spent():  # building the query (regex normal form) is work of its own
            return self.verdict(i, "unknown", decided_by="none", reason=f"solver: {smt.DEADLINE_REASON}")
        encoded = [j for j in relevant if self.errors[j] is None]
        skipped = [(j, self.errors[j]) for j in relevant if self.errors[j] is not None]
        q = self.query(i, encoded)
        answer = self.check(q, encoded)
        if answer.result == "sat":
            if skipped:
                j, why = skipped[0]
                return self.verdict(i, "unknown", decided_by="none",
                                    reason=f"earlier entry {_name(j, self.entries[j])} cannot be encoded: {why}")
            assert answer.model is not None
            witness = self.tidy(i, q.req.witness(answer.model))
            return self.verdict(i, "reachable", witness=self.confirm(i, witness, "solver"),
                                step="the solver found a request that reaches it")
        if answer.result == "unsat":
            core = self.core(q, encoded)
            blockers = tuple(_blocker(j, self.entries[j]) for j in core)
            step = ("its own conditions cannot hold together" if not blockers else
                    "every request it matches is taken by " + ", ".join(_name(j, self.entries[j]) for j in core))
            return self.verdict(i, "unreachable", blockers=blockers, step=step)
        return self.verdict(i, "unknown", decided_by="none", reason=f"solver: {answer.reason}")

    def core(self, q: "_Query", encoded: list[int]) -> list[int]:
        """A minimal subset of `encoded` whose negations contradict entry `q.own` (deletion-based;
        a check that does not answer unsat keeps the entry, so the result is always a core)."""
        if self.check(q, []).result == "unsat":
            return []
        for j in encoded:  # the common case: one earlier entry covers it
            if self.check(q, [j]).result == "unsat":
                return [j]
        keep = sorted(encoded)
        k = 0
        while k < len(keep):
            trial = keep[:k] + keep[k + 1 :]
            if self.check(q, trial).result == "unsat":
                keep = trial
            else:
                k += 1
        return keep


@dataclass(frozen=True)
class _Query:
    req: SymbolicRequest
    formulas: dict[int, z3.BoolRef]
    domain: list[z3.BoolRef]
    own: int


def analyze(table: MatchTable, *, limits: smt.Limits | None = None, precheck: bool = True,
            only: Collection[str] | None = None) -> list[EntryVerdict]:
    """One `EntryVerdict` per entry, in table order (see module docstring); with ``only``, just for the
    entries whose clause_id is in it (the others still block them).  Queries run under ``limits``, by
    default the run's budget (``cnverify.smt.current()``)."""
    a = _Analyzer(table, precheck)
    with smt.using(limits):
        return [a.run(i) for i, e in enumerate(table.entries) if only is None or e.clause_id in only]
