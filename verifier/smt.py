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
* **Seeded and limited**: ``random_seed`` 0, the deterministic ``rlimit`` and a wall-clock timeout
  per query, the timeout cut to what is left of the run's deadline (``Limits.run_timeout_ms``).
  Once the deadline has passed, queries answer ``unknown`` without calling Z3.
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

import z3

SEED = 0
Result = Literal["sat", "unsat", "unknown"]


@dataclass(frozen=True)
class Limits:
    """Solver limits: per query (wall-clock timeout, deterministic rlimit) and for the whole run."""

    timeout_ms: int = 10_000
    rlimit: int = 50_000_000
    run_timeout_ms: int | None = None  # every query of the run together; None: no run deadline


@dataclass(frozen=True)
class Budget:
    """The limits of one run, with its deadline (``time.monotonic()`` seconds) when it has one."""

    limits: Limits
    deadline: float | None = None

    def timeout_ms(self, share: float = 1.0) -> int:
        """This query's wall-clock timeout: its share of the per-query timeout, cut to the deadline
        (0 once the deadline has passed)."""
        ms = max(1, int(self.limits.timeout_ms * share))
        if self.deadline is None:
            return ms
        left = int((self.deadline - time.monotonic()) * 1000)
        return max(0, min(ms, left))

    def rlimit(self, share: float = 1.0) -> int:
        return max(1, int(self.limits.rlimit * share))

    def spent(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline


_current: ContextVar[Budget] = ContextVar("cnverify_budget", default=Budget(Limits()))


def current() -> Budget:
    """The budget of the run in progress (the default limits outside a run)."""
    return _current.get()


@contextmanager
def budget(limits: Limits) -> Iterator[Budget]:
    """Install ``limits`` for the queries made inside the block; the run deadline starts now."""
    run = limits.run_timeout_ms
    b = Budget(limits, None if run is None else time.monotonic() + run / 1000)
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


def check(assertions: Sequence[z3.BoolRef], tracked: Sequence[z3.BoolRef] = (), *, share: float = 1.0,
          preprocess: bool = False) -> Answer:
    """Is ``assertions ∧ tracked`` satisfiable?  Solved in a fresh context under the run's budget.

    ``tracked`` formulas are asserted with ``assert_and_track`` so an unsat answer names a minimal
    core of them.  ``share`` scales the per-query limits (for a query tried in several forms).
    ``preprocess`` selects Z3's default solver (simplification tactics first) over ``SimpleSolver``.
    """
    b = current()
    timeout = b.timeout_ms(share)
    if timeout <= 0:
        return Answer("unknown", DEADLINE_REASON)
    _keep_heap()
    home = next((a.ctx for a in [*assertions, *tracked]), z3.main_ctx())
    ctx = z3.Context()
    moved = _translate([*assertions, *tracked], home, ctx)
    s = z3.Solver(ctx=ctx) if preprocess else z3.SimpleSolver(ctx=ctx)
    s.set("timeout", timeout)
    s.set("rlimit", b.rlimit(share))
    s.set("random_seed", SEED)
    if tracked:
        s.set("core.minimize", True)
    n = len(assertions)
    for a in moved[:n]:
        s.add(a)
    labels = [z3.Bool(f"__fact{i}", ctx) for i in range(len(tracked))]
    for label, t in zip(labels, moved[n:]):
        s.assert_and_track(t, label)
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
    return [out[i] for i in range(len(out))]  # type: ignore[misc]


def _rlimit_used(s: z3.Solver) -> int:
    stats = s.statistics()
    return int(stats.get_key_value("rlimit count")) if "rlimit count" in stats.keys() else 0
