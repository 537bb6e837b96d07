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
from cnverify.alpha import _id, raw
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
        key = (tag, id(ctx), tuple(_id(ctx.ref(), t.as_ast()) for t in terms))
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
    """:func:`check` in a fresh context, always asking Z3.

    The fresh context is driven by Z3's C functions directly (:func:`cnverify.alpha.raw`: no wrapper
    object, no per-call error check where no error can arise).  It makes the very calls, in the very
    order, that the Python API makes for ``Solver``/``assert_and_track``/``check``/``unsat_core``/
    ``model``/``statistics``, so every term, id and answer is the same.  Everything made in the fresh
    context is held by one reference (``Z3_*_inc_ref``: in a reference-counted context an object
    nobody holds dies when the next one is made) and freed with the context; the home context's
    translation vector is released."""
    _keep_heap()
    home = next((a.ctx for a in [*assertions, *tracked]), z3.main_ctx())
    ctx = z3.Context()
    ref, n = ctx.ref(), len(assertions)
    moved = _translate([*assertions, *tracked], home, ref)
    solver = _mk_solver(ref) if preprocess else _mk_simple_solver(ref)
    _solver_inc_ref(ref, solver)
    _configure(ref, solver, wall, b.rlimit(share), bool(tracked))
    for a in moved[:n]:
        _assert(ref, solver, a)
    labels = _labels(ref, len(tracked))
    for label, t in zip(labels, moved[n:], strict=True):
        _assert_and_track(ref, solver, t, label)
    result = z3core.Z3_solver_check_assumptions(ref, solver, 0, None)  # may fail: the error check kept
    used = _rlimit_used(ref, solver)
    if result == z3.Z3_L_TRUE:
        model = _get_model(ref, solver)
        _model_inc_ref(ref, model)
        return Answer("sat", model=z3.ModelRef(_model_translate(ref, model, home.ref()), home), rlimit=used)
    if result == z3.Z3_L_FALSE:
        index = {_id(ref, label): i for i, label in enumerate(labels)}
        core = _get_core(ref, solver)
        _vector_inc_ref(ref, core)
        ids = (_id(ref, _vector_get(ref, core, i)) for i in range(_vector_size(ref, core)))
        return Answer("unsat", core=tuple(sorted(index[i] for i in ids if i in index)), rlimit=used)
    reason = z3core.Z3_solver_get_reason_unknown(ref, solver) or "unknown"
    if b.spent():
        reason = f"{reason}; {DEADLINE_REASON}"
    return Answer("unknown", reason=reason, rlimit=used)


_mk_solver, _mk_simple_solver, _solver_inc_ref = raw("Z3_mk_solver"), raw("Z3_mk_simple_solver"), raw("Z3_solver_inc_ref")
_assert, _assert_and_track = raw("Z3_solver_assert"), raw("Z3_solver_assert_and_track")
_get_model, _model_inc_ref, _model_translate = raw("Z3_solver_get_model"), raw("Z3_model_inc_ref"), raw("Z3_model_translate")
_get_core, _vector_inc_ref, _vector_dec_ref = raw("Z3_solver_get_unsat_core"), raw("Z3_ast_vector_inc_ref"), raw("Z3_ast_vector_dec_ref")
_mk_vector, _vector_push, _vector_translate = raw("Z3_mk_ast_vector"), raw("Z3_ast_vector_push"), raw("Z3_ast_vector_translate")
_vector_get, _vector_size, _inc_ref = raw("Z3_ast_vector_get"), raw("Z3_ast_vector_size"), raw("Z3_inc_ref")
_mk_params, _params_inc_ref, _symbol = raw("Z3_mk_params"), raw("Z3_params_inc_ref"), raw("Z3_mk_string_symbol")
_set_uint, _set_bool, _set_params = raw("Z3_params_set_uint"), raw("Z3_params_set_bool"), raw("Z3_solver_set_params")
_mk_const, _bool_sort = raw("Z3_mk_const"), raw("Z3_mk_bool_sort")
_statistics, _stats_inc_ref, _stats_size = raw("Z3_solver_get_statistics"), raw("Z3_stats_inc_ref"), raw("Z3_stats_size")
_stats_key, _stats_is_uint = raw("Z3_stats_get_key"), raw("Z3_stats_is_uint")
_stats_uint, _stats_double = raw("Z3_stats_get_uint_value"), raw("Z3_stats_get_double_value")


def _configure(ref: Any, solver: Any, wall_ms: int | None, rlimit: int, cores: bool) -> None:
    """One parameter set for the query (one C call): seed, rlimit, the wall-clock timeout only when
    ``wall_ms`` is given (arming it starts a timer thread per check), core minimisation for cores."""
    p = _mk_params(ref)
    _params_inc_ref(ref, p)
    if wall_ms is not None:
        _set_uint(ref, p, _symbol(ref, b"timeout"), wall_ms)
    _set_uint(ref, p, _symbol(ref, b"rlimit"), rlimit)
    _set_uint(ref, p, _symbol(ref, b"random_seed"), SEED)
    if cores:
        _set_bool(ref, p, _symbol(ref, b"core.minimize"), True)
    _set_params(ref, solver, p)


def _labels(ref: Any, n: int) -> list[Any]:
    """The tracking constants ``__fact0``..``__fact{n-1}`` (the terms ``z3.Bool`` makes, in order), each
    held as soon as it is made (the next ``Z3_mk_const`` would drop the context's own reference)."""
    bool_sort, labels = _bool_sort(ref), []
    for i in range(n):
        label = _mk_const(ref, _symbol(ref, f"__fact{i}".encode()), bool_sort)
        _inc_ref(ref, label)
        labels.append(label)
    return labels


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


def _translate(exprs: Sequence[z3.BoolRef], home: z3.Context, ref: Any) -> list[Any]:
    """``exprs`` rebuilt in the context ``ref`` by one translation (shared subterms translated once):
    the moved ASTs, held by the translated vector."""
    home_ref = home.ref()
    vec = _mk_vector(home_ref)
    _vector_inc_ref(home_ref, vec)
    try:
        for e in exprs:
            _vector_push(home_ref, vec, e.as_ast())
        out = _vector_translate(home_ref, vec, ref)
    finally:
        _vector_dec_ref(home_ref, vec)
    _vector_inc_ref(ref, out)
    return [_vector_get(ref, out, i) for i in range(_vector_size(ref, out))]


def _rlimit_used(ref: Any, solver: Any) -> int:
    """The solver's ``rlimit count`` statistic (0 when it has none)."""
    stats = _statistics(ref, solver)
    _stats_inc_ref(ref, stats)
    for i in range(_stats_size(ref, stats)):
        if _stats_key(ref, stats, i) == b"rlimit count":
            return int(_stats_uint(ref, stats, i) if _stats_is_uint(ref, stats, i) else _stats_double(ref, stats, i))
    return 0
