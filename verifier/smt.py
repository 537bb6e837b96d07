"""The one way cnverify asks Z3 anything: ``check(assertions, tracked=...)``.

Policy (every Z3 query of the code base goes through here):

* **A fresh ``z3.Context`` per query.**  Z3's global context keeps every term ever built and the
  caches of its rewriters; term ids, and with them the solver's search, depend on what ran before
  in the process (the same quota query cost 3.4M rlimit units alone and 27M–487M after unrelated
  queries).  The query's terms are moved into a new context with one ``AstVector.translate`` (one
  translation cache for the whole query, so shared subterms stay shared); its ids then depend on
  the query alone.  Measured on the corpus's 1,268 queries (CPU per query): translate 0.03–0.08 ms,
  SMT-LIB2 round trip (print, parse, re-typecheck) 0.9 ms, creating the context 0.75 ms; building
  the facts in the fresh context directly would need every property to take a context.
* **Seeded and limited**: ``random_seed`` 0 and the deterministic ``rlimit`` per query.  A wall-clock
  timer is armed only where it buys something (``Budget.wall_clock_ms``): routing queries (regexes,
  ``preprocess=True``) get the per-query timeout, and with a run deadline (``Limits.run_timeout_ms``)
  every query is cut to the time left.  Arming a timer per ``check()`` starts a timer thread; an
  rlimit-bounded query needs none, and its outcome then depends on nothing but the query.
  Once the deadline has passed, queries answer ``unknown`` without calling Z3.
* **Asked once per run, up to renaming**: a query is solved in its canonical form (:mod:`cnverify.alpha`:
  constants renamed by first occurrence, literals and structure kept), so queries that differ only in
  the names of their constants — one chart in forty namespaces — are one query; inside ``budget()``
  its answer is remembered by the canonical terms (:class:`TermMemo`: hash-consed, the same ids, kept
  alive by the memo).  The fresh-context policy makes the answer a function of the canonical form
  alone (whichever query asked first); its model is handed back under each query's own constants,
  its core is indexes of ``tracked`` already.  ``unknown`` is never remembered (asked again).
  Measured on the generated 10k cluster: 2,269 Z3 queries → 617; the corpus, 2k and 10k outputs
  byte-identical to solving every query under its own names.
* **``unknown`` in one place**: an ``Answer`` is ``sat`` (with a model in the caller's context),
  ``unsat`` (with the unsat core as indexes of ``tracked``) or ``unknown`` with Z3's reason.

The limits of a run are installed with ``with budget(limits):`` (the engine does it); code deep
in an encoding reads them through ``current()`` and never sets its own.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

import z3
from cnverify import alpha
from z3 import z3core

SEED = 0
T = TypeVar("T")
Result = Literal["sat", "unsat", "unknown"]


@dataclass(frozen=True)
class Limits:
    """Solver limits: per query (wall-clock timeout, deterministic rlimit) and for the whole run."""

    timeout_ms: int = 10_000
    rlimit: int = 50_000_000
    run_timeout_ms: int | None = None  # every query of the run together; None: no run deadline


class TermMemo:
    """Outcomes of deterministic functions of Z3 terms (a query's answer, its exact evaluation), keyed by
    the terms' identity: in one context structurally equal terms are one AST with one id, and the memo
    keeps the terms of every entry alive so that no id is reused for another term.  Bounded: past
    ``size`` entries the oldest is dropped (it is asked again: the same outcome, only slower)."""

    def __init__(self, size: int = 65_536) -> None:
        self.size = size
        self._entries: dict[Hashable, tuple[Sequence[z3.AstRef], Any]] = {}
        self.hits = 0

    def get(self, tag: Hashable, terms: Sequence[z3.AstRef], compute: Callable[[], T], keep: Callable[[T], bool]) -> T:
        """``compute()``, or the value it gave for the same ``tag`` and terms (when ``keep`` took it)."""
        if not terms:
            return compute()
        ctx = terms[0].ctx
        key = (tag, id(ctx), tuple(_ast_id(ctx.ref(), t.as_ast()) for t in terms))
        found = self._entries.get(key)
        if found is not None:
            self.hits += 1
            return found[1]
        value = compute()
        if keep(value):
            if len(self._entries) >= self.size:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = (list(terms), value)
        return value


_ast_id = z3core.Z3_get_ast_id.__defaults__[0].f  # the C function, no error check


@dataclass(frozen=True)
class Budget:
    """The limits of one run, with its deadline (``time.monotonic()`` seconds) when it has one, and the
    run's memo of decided queries (None outside a ``budget()`` block: nothing remembered)."""

    limits: Limits
    deadline: float | None = None
    memo: TermMemo | None = field(default=None, compare=False)

    def timeout_ms(self, share: float = 1.0) -> int:
        """This query's wall-clock timeout: its share of the per-query timeout, cut to the deadline
        (0 once the deadline has passed)."""
        ms = max(1, int(self.limits.timeout_ms * share))
        if self.deadline is None:
            return ms
        left = int((self.deadline - time.monotonic()) * 1000)
        return max(0, min(ms, left))

    def wall_clock_ms(self, share: float = 1.0, regex: bool = False) -> int | None:
        """The wall-clock timeout a query needs, or None when its rlimit bounds it alone.

        The deterministic rlimit bounds every query; a wall-clock timer is armed only where it still
        buys something: routing queries (``regex``: Z3's regex and string preprocessing can run long
        between rlimit checks) get the per-query timeout, and with a run deadline every query is cut
        to the time left (0 once it has passed).
        """
        if regex:
            return self.timeout_ms(share)
        if self.deadline is None:
            return None
        return max(0, int((self.deadline - time.monotonic()) * 1000))

    def rlimit(self, share: float = 1.0) -> int:
        return max(1, int(self.limits.rlimit * share))

    def spent(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline


_UNLIMITED = Budget(Limits())  # the budget outside any ``budget()`` block
_current: ContextVar[Budget] = ContextVar("cnverify_budget", default=_UNLIMITED)


def current() -> Budget:
    """The budget of the run in progress (the default limits outside a run)."""
    return _current.get()


@contextmanager
def budget(limits: Limits) -> Iterator[Budget]:
    """Install ``limits`` for the queries made inside the block; the run deadline starts now."""
    run = limits.run_timeout_ms
    b = Budget(limits, None if run is None else time.monotonic() + run / 1000, TermMemo())
    token = _current.set(b)
    try:
        yield b
    finally:
        _current.reset(token)


@contextmanager
def using(limits: Limits | None) -> Iterator[Budget]:
    """The run's budget when ``limits`` is None or already installed, else a new budget of ``limits``."""
    if limits is None or limits == current().limits:
        yield current()
    else:
        with budget(limits) as b:
            yield b


DEADLINE_REASON = "the run's time budget (--run-timeout) is spent"


@dataclass
class Answer:
    """One query's outcome: ``model`` (caller's context) when sat, ``core`` (indexes into
    ``tracked``) when unsat, ``reason`` when unknown; ``rlimit`` is the units the query used."""

    result: Result
    reason: str = ""
    model: z3.ModelRef | None = None
    core: tuple[int, ...] = ()
    rlimit: int = 0


def check(
    assertions: Sequence[z3.BoolRef],
    tracked: Sequence[z3.BoolRef] = (),
    *,
    share: float = 1.0,
    preprocess: bool = False,
) -> Answer:
    """Is ``assertions ∧ tracked`` satisfiable?  Solved in a fresh context under the run's budget.

    ``tracked`` formulas are asserted with ``assert_and_track`` so an unsat answer names a minimal
    core of them.  ``share`` scales the per-query limits (for a query tried in several forms).
    ``preprocess`` selects Z3's default solver (simplification tactics first) over ``SimpleSolver``;
    those queries (routing tables: regexes) also get the wall-clock timeout (see ``Budget.wall_clock_ms``).
    """
    b = current()
    wall = b.wall_clock_ms(share, preprocess)
    if wall is not None and wall <= 0:
        return Answer("unknown", DEADLINE_REASON)
    memo, tag = b.memo, ("check", share, preprocess, len(assertions))

    def renamed() -> Answer:
        """The answer to the canonical query (remembered), under the caller's constants."""
        terms, renaming = alpha.canonical([*assertions, *tracked])
        n = len(assertions)
        answer = (
            _check(b, wall, terms[:n], terms[n:], share, preprocess)
            if memo is None
            else memo.get(
                (*tag, "renamed"), terms, lambda: _check(b, wall, terms[:n], terms[n:], share, preprocess), _decided
            )
        )
        if answer.model is None or renaming.ctx is None:
            return answer
        return replace(answer, model=renaming.model(answer.model))

    if preprocess:  # routing queries (strings, regexes): Z3's string models depend on the constants' names
        return (
            _check(b, wall, assertions, tracked, share, preprocess)
            if memo is None
            else memo.get(
                tag, [*assertions, *tracked], lambda: _check(b, wall, assertions, tracked, share, preprocess), _decided
            )
        )
    if memo is None:
        return renamed()
    return memo.get(tag, [*assertions, *tracked], renamed, _decided)  # the very terms first: no renaming


def _decided(answer: Answer) -> bool:
    return answer.result != "unknown"


def _check(
    b: Budget,
    wall: int | None,
    assertions: Sequence[z3.BoolRef],
    tracked: Sequence[z3.BoolRef],
    share: float,
    preprocess: bool,
) -> Answer:
    """:func:`check` in a fresh context, always asking Z3."""
    _keep_heap()
    home = next((a.ctx for a in [*assertions, *tracked]), z3.main_ctx())
    ctx = z3.Context()
    moved = _translate([*assertions, *tracked], home, ctx)
    s = z3.Solver(ctx=ctx) if preprocess else z3.SimpleSolver(ctx=ctx)
    _configure(s, wall, b.rlimit(share), bool(tracked))
    ref, solver = ctx.ref(), s.solver
    n = len(assertions)
    for a in moved[:n]:
        z3core.Z3_solver_assert(ref, solver, a.as_ast())
    labels = _labels(ctx, len(tracked))
    for label, t in zip(labels, moved[n:], strict=True):
        z3core.Z3_solver_assert_and_track(ref, solver, t.as_ast(), label.as_ast())
    result = s.check()
    used = _rlimit_used(s)
    if result == z3.sat:
        return Answer("sat", model=s.model().translate(home), rlimit=used)
    if result == z3.unsat:
        index = {lab.get_id(): i for i, lab in enumerate(labels)}
        core = tuple(sorted(index[c.get_id()] for c in s.unsat_core() if c.get_id() in index))
        return Answer("unsat", core=core, rlimit=used)
    reason = s.reason_unknown() or "unknown"
    if b.spent():
        reason = f"{reason}; {DEADLINE_REASON}"
    return Answer("unknown", reason=reason, rlimit=used)


def _configure(s: z3.Solver, wall_ms: int | None, rlimit: int, cores: bool) -> None:
    """One parameter set for the query (one C call): seed, rlimit, the wall-clock timeout only when
    ``wall_ms`` is given (arming it starts a timer thread per check), core minimisation for cores."""
    p = z3.ParamsRef(s.ctx)
    if wall_ms is not None:
        p.set("timeout", wall_ms)
    p.set("rlimit", rlimit)
    p.set("random_seed", SEED)
    if cores:
        p.set("core.minimize", True)
    z3core.Z3_solver_set_params(s.ctx.ref(), s.solver, p.params)


def _labels(ctx: z3.Context, n: int) -> list[z3.BoolRef]:
    """The tracking constants ``__fact0``..``__fact{n-1}``, made by the C API directly (``z3.Bool``
    re-checks its arguments and makes a sort object per call); same terms, same order, same ids."""
    ref = ctx.ref()
    bool_sort = z3core.Z3_mk_bool_sort(ref)
    return [
        z3.BoolRef(z3core.Z3_mk_const(ref, z3core.Z3_mk_string_symbol(ref, f"__fact{i}"), bool_sort), ctx)
        for i in range(n)
    ]


@functools.cache
def _keep_heap() -> None:
    """Keep freed memory in the process heap (glibc only; once per process).

    Each fresh context allocates and frees a few MB; with glibc's default thresholds those pages go
    back to the kernel and fault in again for the next context (the corpus run spent 13.7 s in the
    kernel against 0.7 s with this).  ``M_TRIM_THRESHOLD``/``M_MMAP_THRESHOLD`` both at 256 MiB keep
    them; elsewhere (musl, macOS) this does nothing.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        return
    if mallopt is not None:
        m_trim_threshold, m_mmap_threshold = -1, -3
        mallopt(m_trim_threshold, 256 << 20)
        mallopt(m_mmap_threshold, 256 << 20)


def _translate(exprs: Sequence[z3.BoolRef], home: z3.Context, ctx: z3.Context) -> list[z3.BoolRef]:
    """``exprs`` rebuilt in ``ctx`` by one translation (shared subterms translated once)."""
    vec = z3.AstVector(ctx=home)
    for e in exprs:
        vec.push(e)
    out = vec.translate(ctx)
    return [out[i] for i in range(len(out))]


def _rlimit_used(s: z3.Solver) -> int:
    stats = s.statistics()
    return int(stats.get_key_value("rlimit count")) if "rlimit count" in stats.keys() else 0
