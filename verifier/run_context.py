"""The run context handed to every property: the snapshot, the run's limits, the solver, a per-run memo.

The engine builds one ``RunContext`` per snapshot (``RunContext(snap, limits)``) and passes it to
``Property.obligations(ctx)``.  Derived data that several properties share (a namespace's view, the
owners in the inputs, routing tables …) is computed once per context with ``ctx.memo(key, compute,
reads=(Kind, ...))``, never cached in module globals keyed by the snapshot.

Kinds read: a memo declares the kinds its computation reads.  Every call of ``memo`` (hit or miss)
records them for ``ctx.kinds_read()``, and adds to the snapshot's own record (``Snapshot.kinds_read``)
the kinds the computation actually read, so a property that gets a memo another property computed
is still charged with what that data rests on.  ``ctx.memo_reads()`` gives, per key, the declared and
the measured kinds (the meta-test checks declared ⊇ measured and a property's ``reads`` ⊇ declared).

Helpers written against a ``Snapshot`` reach the same context through ``context_of(snap)``: the
context the engine built for that snapshot, else a new one under the limits installed in ``cnverify.smt``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import z3
from cnverify import smt
from cnverify.model.base import Resource
from cnverify.smt import Answer, Limits
from cnverify.snapshot import Snapshot

T = TypeVar("T")


@dataclass
class _Entry:
    value: Any
    declared: frozenset[str]
    measured: frozenset[str]


class RunContext:
    """One snapshot's run: ``snap``, ``limits``, ``check`` (the only way to Z3) and ``memo``."""

    def __init__(self, snap: Snapshot, limits: Limits | None = None) -> None:
        self.snap = snap
        self.limits = limits if limits is not None else smt.current().limits
        self._memo: dict[Hashable, _Entry] = {}
        self._read: set[str] = set()
        snap.run_context = self  # the compatibility path for helpers handed a snapshot (``context_of``)

    def check(
        self,
        assertions: Sequence[z3.BoolRef],
        tracked: Sequence[z3.BoolRef] = (),
        *,
        share: float = 1.0,
        preprocess: bool = False,
    ) -> Answer:
        """``cnverify.smt.check`` under this run's limits (seeded, rlimit, timeout; ``unknown`` answered there)."""
        with smt.using(self.limits):
            return smt.check(assertions, tracked, share=share, preprocess=preprocess)

    def memo(self, key: Hashable, compute: Callable[[], T], reads: Iterable[type[Resource]] = ()) -> T:
        """``compute()`` once per context for ``key`` (by convention ``("module.function", *args)``).

        ``reads`` are the model classes the computation reads; they are recorded on every call."""
        entry = self._memo.get(key)
        if entry is None:
            outer = self.snap.kinds_read
            measured: set[str] = set()
            self.snap.kinds_read = measured
            try:
                value = compute()
            finally:
                self.snap.kinds_read = outer
            entry = self._memo[key] = _Entry(value, frozenset(k.__name__ for k in reads), frozenset(measured))
        self._read |= entry.declared
        self.snap.kinds_read |= entry.measured
        return entry.value

    def kinds_read(self) -> frozenset[str]:
        """The kinds the memos used through this context declared reading (hits included)."""
        return frozenset(self._read)

    def memo_reads(self) -> dict[Hashable, tuple[frozenset[str], frozenset[str]]]:
        """Per memo key: (declared kinds, kinds the computation actually read)."""
        return {k: (e.declared, e.measured) for k, e in self._memo.items()}


def context_of(source: RunContext | Snapshot) -> RunContext:
    """The run context of ``source``: itself, the one built for that snapshot, else a new one."""
    if isinstance(source, RunContext):
        return source
    ctx = source.run_context
    return ctx if isinstance(ctx, RunContext) else RunContext(source)
