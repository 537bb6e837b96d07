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
  byte-identical to solving every query under its own names.  Across the forked workers of one
  run, unsat answers are shared by their SMT-LIB2 text (:mod:`cnverify.shared_answers`).
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
from types import SimpleNamespace
from typing import Any, Literal, TypeVar

import z3
from cnverify import alpha, shared_answers
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
    the terms' identity: in one context structurally equal terms are one AST (one id, one address), and
    the memo keeps the terms of every entry alive so that no address is reused for another term.  The key
    is the terms' addresses (``ast.value``: read off the wrapper, where the id costs a C call per term;
    the same partition of queries, since both name one live AST).  Bounded: past ``size`` entries the
    oldest is dropped (it is asked again: the same outcome, only slower)."""

    def __init__(self, size: int = 65_536) -> None:
        self.size = size
        self._entries: dict[Hashable, tuple[Sequence[z3.AstRef], Any]] = {}
        self.hits = 0

    def get(self, tag: Hashable, terms: Sequence[z3.AstRef], compute: Callable[[], T], keep: Callable[[T], bool]) -> T:
        """``compute()``, or the value it gave for the same ``tag`` and terms (when ``keep`` took it)."""
        if not terms:
            return compute()
        key = (tag, id(terms[0].ctx), tuple([t.ast.value for t in terms]))
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
            else memo.get((*tag, "renamed"), terms, lambda: _shared(b, wall, terms, n, share, preprocess), _decided)
        )
        if answer.model is None or renaming.ctx is None:
            return answer
        return replace(answer, model=renaming.model(answer.model))

    if preprocess:  # routing queries (strings, regexes): Z3's string models depend on the constants' names
        if memo is None:
            return _check(b, wall, assertions, tracked, share, preprocess)
        terms = [*assertions, *tracked]
        return memo.get(tag, terms, lambda: _shared(b, wall, terms, len(assertions), share, preprocess), _decided)
    if memo is None:
        return renamed()
    return memo.get(tag, [*assertions, *tracked], renamed, _decided)  # the very terms first: no renaming


def _decided(answer: Answer) -> bool:
    return answer.result != "unknown"


def _shared(b: Budget, wall: int | None, terms: Sequence[z3.BoolRef], n: int, share: float, preprocess: bool) -> Answer:
    """:func:`_check` of ``terms`` (the first ``n`` asserted, the rest tracked), or the unsat answer another
    process of the run found for the same query (:mod:`cnverify.shared_answers`; published when found here)."""
    store = shared_answers.current()
    key = None if store is None else store.key((n, share, preprocess, b.rlimit(share)), terms)
    if key is not None and store is not None and (found := store.get(key)) is not None:
        return Answer("unsat", core=found[0], rlimit=found[1])
    answer = _check(b, wall, terms[:n], terms[n:], share, preprocess)
    if key is not None and store is not None and answer.result == "unsat":
        store.put(key, (answer.core, answer.rlimit))
    return answer


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
    nobody holds dies when the next one is made) and released before the context is deleted (a context
    deleted with its terms still held sweeps them in ``~ast_manager``: a fifth of the query's time)."""
    _keep_heap()
    home = next((a.ctx for a in [*assertions, *tracked]), z3.main_ctx())
    ctx = z3.Context()
    ref, n = ctx.ref(), len(assertions)
    held = _Held(ref)
    try:
        moved = _translate([*assertions, *tracked], home, ref, held)
        solver = held.add(
            _c.solver_dec_ref, _c.mk_solver(ref) if preprocess else _c.mk_simple_solver(ref), _c.solver_inc_ref
        )
        _configure(ref, solver, wall, b.rlimit(share), bool(tracked))
        for a in moved[:n]:
            _c.solver_assert(ref, solver, a)
        labels = _labels(ref, len(tracked), held)
        for label, t in zip(labels, moved[n:], strict=True):
            _c.solver_assert_and_track(ref, solver, t, label)
        result = z3core.Z3_solver_check_assumptions(ref, solver, 0, None)  # may fail: the error check kept
        used = _rlimit_used(ref, solver)
        if result == z3.Z3_L_TRUE:
            model = held.add(_c.model_dec_ref, _c.solver_get_model(ref, solver), _c.model_inc_ref)
            return Answer("sat", model=z3.ModelRef(_c.model_translate(ref, model, home.ref()), home), rlimit=used)
        if result == z3.Z3_L_FALSE:
            index = {_id(ref, label): i for i, label in enumerate(labels)}
            core = held.add(_c.ast_vector_dec_ref, _c.solver_get_unsat_core(ref, solver), _c.ast_vector_inc_ref)
            ids = (_id(ref, _c.ast_vector_get(ref, core, i)) for i in range(_c.ast_vector_size(ref, core)))
            return Answer("unsat", core=tuple(sorted(index[i] for i in ids if i in index)), rlimit=used)
        reason = z3core.Z3_solver_get_reason_unknown(ref, solver) or "unknown"
        if b.spent():
            reason = f"{reason}; {DEADLINE_REASON}"
        return Answer("unknown", reason=reason, rlimit=used)
    finally:
        held.release()


class _Held:
    """The objects a query holds in its fresh context ``ref``, each with the C function releasing it."""

    def __init__(self, ref: Any) -> None:
        self.ref = ref
        self.objects: list[tuple[Callable[[Any, Any], None], Any]] = []

    def add(self, release: Callable[[Any, Any], None], obj: Any, hold: Callable[[Any, Any], None]) -> Any:
        """``obj`` held from now on (``hold``: its ``inc_ref``) until :meth:`release`."""
        hold(self.ref, obj)
        self.objects.append((release, obj))
        return obj

    def release(self) -> None:
        """Release everything held, last first."""
        for release, obj in reversed(self.objects):
            release(self.ref, obj)
        self.objects.clear()


_C_NAMES = """
    mk_solver mk_simple_solver solver_inc_ref solver_dec_ref solver_assert solver_assert_and_track solver_set_params
    solver_get_model model_inc_ref model_dec_ref model_translate solver_get_unsat_core inc_ref dec_ref mk_const
    mk_ast_vector ast_vector_inc_ref ast_vector_dec_ref ast_vector_push ast_vector_translate ast_vector_get
    ast_vector_size mk_bool_sort mk_string_symbol mk_params params_inc_ref params_dec_ref params_set_uint
    params_set_bool solver_get_statistics stats_inc_ref stats_dec_ref stats_size stats_get_key stats_is_uint
    stats_get_uint_value stats_get_double_value
"""
_c: Any = SimpleNamespace(**{name: raw(f"Z3_{name}") for name in _C_NAMES.split()})
"""Z3's C functions for the fresh context (:func:`cnverify.alpha.raw`: no wrapper, no error check)."""


def _configure(ref: Any, solver: Any, wall_ms: int | None, rlimit: int, cores: bool) -> None:
    """One parameter set for the query (one C call): seed, rlimit, the wall-clock timeout only when
    ``wall_ms`` is given (arming it starts a timer thread per check), core minimisation for cores."""
    p = _c.mk_params(ref)
    _c.params_inc_ref(ref, p)
    if wall_ms is not None:
        _c.params_set_uint(ref, p, _c.mk_string_symbol(ref, b"timeout"), wall_ms)
    _c.params_set_uint(ref, p, _c.mk_string_symbol(ref, b"rlimit"), rlimit)
    _c.params_set_uint(ref, p, _c.mk_string_symbol(ref, b"random_seed"), SEED)
    if cores:
        _c.params_set_bool(ref, p, _c.mk_string_symbol(ref, b"core.minimize"), True)
    _c.solver_set_params(ref, solver, p)
    _c.params_dec_ref(ref, p)


def _labels(ref: Any, n: int, held: _Held) -> list[Any]:
    """The tracking constants ``__fact0``..``__fact{n-1}`` (the terms ``z3.Bool`` makes, in order), each
    held as soon as it is made (the next ``Z3_mk_const`` would drop the context's own reference)."""
    bool_sort = _c.mk_bool_sort(ref)
    return [
        held.add(_c.dec_ref, _c.mk_const(ref, _c.mk_string_symbol(ref, f"__fact{i}".encode()), bool_sort), _c.inc_ref)
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


def _translate(exprs: Sequence[z3.BoolRef], home: z3.Context, ref: Any, held: _Held) -> list[Any]:
    """``exprs`` rebuilt in the context ``ref`` by one translation (shared subterms translated once):
    the moved ASTs, held by the translated vector."""
    home_ref = home.ref()
    vec = _c.mk_ast_vector(home_ref)
    _c.ast_vector_inc_ref(home_ref, vec)
    try:
        for e in exprs:
            _c.ast_vector_push(home_ref, vec, e.as_ast())
        out = _c.ast_vector_translate(home_ref, vec, ref)
    finally:
        _c.ast_vector_dec_ref(home_ref, vec)
    held.add(_c.ast_vector_dec_ref, out, _c.ast_vector_inc_ref)
    return [_c.ast_vector_get(ref, out, i) for i in range(_c.ast_vector_size(ref, out))]


def _rlimit_used(ref: Any, solver: Any) -> int:
    """The solver's ``rlimit count`` statistic (0 when it has none)."""
    stats = _c.solver_get_statistics(ref, solver)
    _c.stats_inc_ref(ref, stats)
    try:
        for i in range(_c.stats_size(ref, stats)):
            if _c.stats_get_key(ref, stats, i) == b"rlimit count":
                return int(
                    _c.stats_get_uint_value(ref, stats, i)
                    if _c.stats_is_uint(ref, stats, i)
                    else _c.stats_get_double_value(ref, stats, i)
                )
        return 0
    finally:
        _c.stats_dec_ref(ref, stats)
