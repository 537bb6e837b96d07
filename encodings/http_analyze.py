"""Per-entry reachability of a first-match-wins `MatchTable`.

`analyze(table, *, limits=None, precheck=True) -> list[EntryVerdict]`: for entry i,
is there a request that matches it and none of the earlier entries? One verdict per entry
(these are the per-clause results for CNV105; a route is reachable iff one clause is):

* `reachable` + `witness` — a `Request`, always confirmed by `first_sure` (a disagreement
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
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import Literal

import z3
from cnverify import smt

from .http_ir import (
    METHODS,
    Entry,
    HostPattern,
    Match,
    MatchTable,
    Request,
    StrMatch,
    UnsupportedMatch,
    entry_matches,
    first_sure,
    routed,
    surely_misses,
)
from .http_precheck import candidates, covers, disjoint, search
from .http_rewrite import rewrite_sensitive
from .http_z3 import SymbolicRequest, entry_formula, match_formula, regex_normal_form, relaxed_formula
from .regex import RegexError, charset_z3

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
    assumes_rewrite: bool = False  # the verdict holds for the table's `Rewrite`, not for every one


def _blocker(i: int, e: Entry) -> Blocker:
    return Blocker(i, e.route_id, e.clause_id)


def _name(i: int, e: Entry) -> str:
    return f"#{i} {e.route_id}/{e.clause_id}"


def _safe_matches(e: Entry, r: Request | None) -> bool | None:
    if r is None:
        return False
    try:
        return entry_matches(e, r)
    except (UnsupportedMatch, RegexError):
        return False if surely_misses(e, r) else None


def _safe_first(table: MatchTable, r: Request) -> Entry | None:
    try:
        return first_sure(table, r)
    except (UnsupportedMatch, RegexError):
        return None


def _without_header(r: Request, name: str) -> Request:
    return replace(r, headers={k: v for k, v in r.headers.items() if k != name})


def _without_query(r: Request, name: str) -> Request:
    return replace(r, query={k: v for k, v in r.query.items() if k != name})


def _sendable_method(r: Request, method: str) -> Request:
    """``r`` with ``method`` unless its method is already one HTTP/1 clients send."""
    return replace(r, method=method) if r.method not in METHODS else r


def encoding_error(entry: Entry) -> str | None:
    """Why ``entry`` cannot be encoded (``entry_formula`` raises), or None.

    A function of the entry's match and hosts alone: a table's probe request holds every header and query
    key its entries name, and an entry's formula reads only its own, so the error is the same in every
    table and variant (and under every route name). ``entry_formula`` encodes the match, then the hosts:
    each part is tried once per distinct value, in that order."""
    match = entry.match
    error = None if _plain(match) else _match_error(match)
    return error or (None if entry.hosts is None else _hosts_error(entry.hosts))


_LITERAL_KINDS = frozenset({"exact", "prefix", "suffix", "contains", "present"})
_PLAIN_PATH_KINDS = frozenset({"exact", "prefix", "segment_prefix", "path_separated_prefix"})


def _plain(match: Match) -> bool:
    """Can no part of ``match`` fail to encode? Nothing unsupported, no header (the request model refuses some
    names), no regex or range, every literal a string: ``match_formula`` then only builds literal regexes, which
    never raise, and ``_match_error`` (a Z3 encoding per distinct match) would answer None."""
    if match.unsupported or match.headers:
        return False
    p = match.path
    if p is not None and (p.kind not in _PLAIN_PATH_KINDS or not isinstance(p.value, str)):
        return False
    if not (_literal(match.method) and _literal(match.authority)):
        return False
    return not match.query or all(_literal(q.match) for q in match.query)


def _literal(m: StrMatch | None) -> bool:
    return m is None or (m.kind in _LITERAL_KINDS and isinstance(m.value, str))


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


@lru_cache(maxsize=65536)
def _match_error(match: Match) -> str | None:
    try:
        match_formula(match, SymbolicRequest.from_table(MatchTable((Entry("", "", match),)), single_values=True))
    except (UnsupportedMatch, RegexError) as exc:
        return _error(exc)
    return None


@lru_cache(maxsize=4096)
def _hosts_error(hosts: tuple[HostPattern, ...]) -> str | None:
    try:
        entry_formula(Entry("", "", Match(), hosts), SymbolicRequest())
    except (UnsupportedMatch, RegexError) as exc:
        return _error(exc)
    return None


class _Analyzer:
    def __init__(self, table: MatchTable, precheck: bool) -> None:
        self.table = table
        self.entries = table.entries
        self.use_precheck = precheck
        self._errors: list[str | None] | None = None

    @property
    def errors(self) -> list[str | None]:
        """Why each entry cannot be encoded (None: it can); computed when first asked (`_known` may answer all)."""
        if self._errors is None:
            self._errors = [encoding_error(e) for e in self.entries]
        return self._errors

    def verdict(self, i: int, status: Status, **kw: object) -> EntryVerdict:
        e = self.entries[i]
        return EntryVerdict(i, e.route_id, e.clause_id, status, **kw)  # type: ignore[arg-type]

    def run(self, i: int, known: dict[int, _Known] | None = None) -> EntryVerdict:
        """Entry i's verdict; ``known``: what the steps before the solver gave for entry i of a table of the same
        values (`_known`), filled here on a miss."""
        if known is not None and (got := known.get(i)) is not None:
            v, relevant, covering = got
            return self.solve(i, relevant) if v is None else _relabel(v, i, self.entries, covering)
        v, relevant = self.before_solver(i)
        if known is not None:
            known[i] = (v, relevant, v is not None and v.step.startswith(_COVERED))
        return self.solve(i, relevant) if v is None else v

    def before_solver(self, i: int) -> tuple[EntryVerdict | None, list[int]]:
        """Entry i decided without the solver (encoding error or pre-check), else None; and the earlier entries that
        may share a request with it. A function of the table's values (matches, hosts, rewrite), never its ids."""
        e = self.entries[i]
        if self.errors[i] is not None:
            return self.verdict(i, "unknown", reason=self.errors[i], decided_by="none"), []
        relevant = [j for j in range(i) if not disjoint(self.entries[j], e)]
        return (self.precheck(i, relevant) if self.use_precheck else None), relevant

    def confirm(self, i: int, w: Request, how: str) -> Request:
        got = first_sure(self.table, w)
        if got is not self.entries[i]:
            other = "no entry" if got is None else got.route_id + "/" + got.clause_id
            raise AssertionError(f"{how} witness {w.to_json()} for {_name(i, self.entries[i])} takes {other}")
        return w

    def tidy(self, i: int, w: Request) -> Request:
        """Replace solver-chosen values by plain defaults where the entry is still taken."""
        e = self.entries[i]
        edits: list[Callable[[Request], Request]] = [
            *(partial(_without_header, name=n) for n in w.headers),
            *(partial(_without_query, name=n) for n in w.query),
        ]
        if w.method not in METHODS:  # prefer a method HTTP/1 clients can send
            edits += [partial(_sendable_method, method=m) for m in METHODS]
        edits += [
            lambda r: replace(r, method="GET"),
            lambda r: replace(r, host="example.com"),
            lambda r: replace(r, port=80),
        ]
        for edit in edits:
            cand = edit(w)
            if cand != w and not cand.problems() and _safe_first(self.table, cand) is e:
                w = cand
        return w

    def precheck(self, i: int, relevant: list[int]) -> EntryVerdict | None:
        e = self.entries[i]
        if disjoint(e, e):
            return self.verdict(
                i,
                "unreachable",
                decided_by="precheck",
                step="its own conditions cannot hold together (literal values conflict)",
            )
        nonempty = False
        earlier = [self.entries[j] for j in relevant]
        for c in itertools.chain(candidates(e), search(e, earlier, seed=i)):
            seen = routed(self.table.rewrite, c) if not c.problems() else None
            if seen is None or not _safe_matches(e, seen):
                continue
            nonempty = True
            if all(_safe_matches(self.entries[j], seen) is False for j in relevant):
                w = self.confirm(i, c, "pre-check")
                return self.verdict(
                    i,
                    "reachable",
                    witness=w,
                    decided_by="precheck",
                    assumes_rewrite=_assumes(w),
                    step="a request built from the table's literals reaches it",
                )
        if nonempty:
            for j in relevant:
                if covers(self.entries[j], e):
                    return self.verdict(
                        i,
                        "unreachable",
                        blockers=(_blocker(j, self.entries[j]),),
                        decided_by="precheck",
                        step=f"{_COVERED}{_name(j, self.entries[j])}",
                    )
        return None

    def query(self, i: int, encoded: list[int], skipped: list[int]) -> _Query:
        """Symbolic request sized for entry i against `encoded`: a header gets one value slot
        per matcher that may need a witness value (i's plain string matchers, the blockers'
        inverted ones), since a header may be sent several times."""
        slots: dict[str, int] = {}
        for j in [i] + encoded:
            for h in self.entries[j].match.headers:
                if h.match is not None and h.invert == (j != i):
                    slots[h.name] = slots.get(h.name, 0) + 1
        sub = MatchTable(tuple(self.entries[j] for j in [i] + encoded + skipped))
        req = SymbolicRequest.from_table(sub)
        req = SymbolicRequest(req.headers, req.query, header_slots=slots)
        formulas = {j: entry_formula(self.entries[j], req) for j in [i] + encoded}
        formulas.update({j: relaxed_formula(self.entries[j], req) for j in skipped})
        return _Query(req, formulas, req.domain(self.table.rewrite), i, req.domain())

    def check(
        self, q: _Query, blockers: list[int], plain: bool = False, extra: tuple[z3.BoolRef, ...] = ()
    ) -> tuple[z3.CheckSatResult, _Solved]:
        """domain ∧ own ∧ no blocker matches, each attempt with half the run's per-query budget:
        first in regex normal form (fast for regex-heavy queries), then as written (fast when
        the contradiction is propositional, e.g. a header matcher repeated verbatim)."""
        domain = q.plain_domain if plain else q.domain
        query = z3.And(domain + [q.formulas[q.own]] + [z3.Not(q.formulas[j]) for j in blockers] + list(extra))
        for form in (regex_normal_form(query), query):
            answer = smt.check([form], share=0.5, preprocess=True)  # the run's budget, halved
            if answer.result != "unknown" or answer.reason == smt.DEADLINE_REASON:
                break
        return _RESULT[answer.result], _Solved(answer)

    def solve(self, i: int, relevant: list[int]) -> EntryVerdict:
        if smt.current().spent():  # building the query (regex normal form) is work of its own
            return self.verdict(i, "unknown", decided_by="none", reason=f"solver: {smt.DEADLINE_REASON}")
        encoded = [j for j in relevant if self.errors[j] is None]
        skipped = [(j, self.errors[j]) for j in relevant if self.errors[j] is not None]
        q = self.query(i, encoded, [j for j, _ in skipped])
        # with earlier entries that cannot be encoded, first look for a request that surely misses them
        res, s, plain = self.first_check(q, encoded + [j for j, _ in skipped])
        if res != z3.sat and skipped:
            res, s, plain = self.first_check(q, encoded)
            if res == z3.sat:
                j, why = skipped[0]
                return self.verdict(
                    i,
                    "unknown",
                    decided_by="none",
                    reason=f"earlier entry {_name(j, self.entries[j])} cannot be encoded: {why}",
                )
        if res == z3.sat:
            seen = q.req.witness(s.model())  # the routes' view of a request is sent as is
            if any(c > "\x7f" for c in seen.path):  # prefer a path an HTTP/1 client can send
                ascii_path = z3.InRe(q.req.path, z3.Star(charset_z3(((0x21, 0x7E),))))
                again = self.check(q, encoded + [j for j, _ in skipped], plain, (ascii_path,))
                other = q.req.witness(again[1].model()) if again[0] == z3.sat else seen
                seen = other if routed(self.table.rewrite, other) == other else seen
            witness = self.tidy(i, seen)
            return self.verdict(
                i,
                "reachable",
                witness=self.confirm(i, witness, "solver"),
                step="the solver found a request that reaches it",
                assumes_rewrite=_assumes(witness),
            )
        if res == z3.unsat:
            core = self.core(q, encoded, plain)
            blockers = tuple(_blocker(j, self.entries[j]) for j in core)
            step = (
                "its own conditions cannot hold together"
                if not blockers
                else "every request it matches is taken by " + ", ".join(_name(j, self.entries[j]) for j in core)
            )
            assumes = not plain and self.check(q, core, plain=True)[0] != z3.unsat
            return self.verdict(i, "unreachable", blockers=blockers, step=step, assumes_rewrite=assumes)
        return self.verdict(i, "unknown", decided_by="none", reason=f"solver: {s.reason_unknown()}")

    def first_check(self, q: _Query, encoded: list[int]) -> tuple[z3.CheckSatResult, _Solved, bool]:
        """Check on every request first (the rewrite's image is costly for z3): unsat there holds
        for every rewrite; a model whose request the rewrite leaves alone is a model of the image.
        Only otherwise check again inside the image. The flag: decided on every request."""
        res, s = self.check(q, encoded, plain=not self.table.rewrite.identity)
        if self.table.rewrite.identity or res == z3.unsat:
            return res, s, True
        if res == z3.sat:
            seen = q.req.witness(s.model())
            if routed(self.table.rewrite, seen) == seen:
                return res, s, True
        res, s = self.check(q, encoded)
        return res, s, False

    def core(self, q: _Query, encoded: list[int], plain: bool = False) -> list[int]:
        """A minimal subset of `encoded` whose negations contradict entry `q.own` (deletion-based;
        a check that does not answer unsat keeps the entry, so the result is always a core)."""
        if self.check(q, [], plain)[0] == z3.unsat:
            return []
        for j in encoded:  # the common case: one earlier entry covers it
            if self.check(q, [j], plain)[0] == z3.unsat:
                return [j]
        keep = sorted(encoded)
        k = 0
        while k < len(keep):
            trial = keep[:k] + keep[k + 1 :]
            if self.check(q, trial, plain)[0] == z3.unsat:
                keep = trial
            else:
                k += 1
        return keep


@dataclass(frozen=True)
class _Query:
    req: SymbolicRequest
    formulas: dict[int, z3.BoolRef]
    domain: list[z3.BoolRef]  # as the routes see requests after the table's rewrite
    own: int
    plain_domain: list[z3.BoolRef]  # every request, as if nothing were rewritten


def _assumes(w: Request) -> bool:
    """Would some other rewrite change this witness (a path or host a rewrite option touches)?"""
    return rewrite_sensitive(w.path) or ":" in w.host


def analyze(
    table: MatchTable, *, limits: smt.Limits | None = None, precheck: bool = True, only: Collection[str] | None = None
) -> list[EntryVerdict]:
    """One `EntryVerdict` per entry, in table order (see module docstring); with ``only``, just for the
    entries whose clause_id is in it (the others still block them).  Queries run under ``limits``, by
    default the run's budget (``cnverify.smt.current()``)."""
    a = _Analyzer(table, precheck)
    known = _known(table) if precheck else None
    with smt.using(limits):
        return [a.run(i, known) for i, e in enumerate(table.entries) if only is None or e.clause_id in only]


_Known = tuple[EntryVerdict | None, list[int], bool]
"""What an entry's steps before the solver gave: its verdict (None: the solver decides), the earlier entries that may
share a request with it, and whether the verdict names its covering blocker in its step."""

_COVERED = "every request it matches is taken by "
_TABLES: dict[tuple[object, ...], dict[int, _Known]] = {}
_TABLES_MAX = 4096


def _known(table: MatchTable) -> dict[int, _Known]:
    """The pre-solver results of entries of tables with ``table``'s values (each entry's match and hosts, in order,
    and the rewrite): the same in every unit and namespace whatever the routes are called (one chart's table in
    forty namespaces, a generated cluster's services) — a bounded value-keyed cache (oldest table dropped)."""
    key = (tuple([(e.match, e.hosts) for e in table.entries]), table.rewrite)
    known = _TABLES.get(key)
    if known is None:
        known = _TABLES[key] = {}
        if len(_TABLES) > _TABLES_MAX:
            del _TABLES[next(iter(_TABLES))]
    return known


def _relabel(v: EntryVerdict, i: int, entries: tuple[Entry, ...], covering: bool) -> EntryVerdict:
    """``v``, decided for entry i of a table of the same values, as entry i of ``entries`` (ids, blockers' ids)."""
    e = entries[i]
    blockers = tuple(_blocker(b.index, entries[b.index]) for b in v.blockers) if v.blockers else ()
    step = _COVERED + ", ".join(_name(b.index, entries[b.index]) for b in blockers) if covering else v.step
    return EntryVerdict(
        i, e.route_id, e.clause_id, v.status, v.witness, blockers, v.reason, v.decided_by, step, v.assumes_rewrite
    )


_RESULT = {"sat": z3.sat, "unsat": z3.unsat, "unknown": z3.unknown}


@dataclass(frozen=True)
class _Solved:
    """An ``smt.Answer`` read as the solver it came from (``model()``, ``reason_unknown()``)."""

    answer: smt.Answer

    def model(self) -> z3.ModelRef:
        assert self.answer.model is not None
        return self.answer.model

    def reason_unknown(self) -> str:
        return self.answer.reason
