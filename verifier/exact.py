"""Exact evaluation: decide an obligation without search when its facts fix every constant it needs.

An obligation is the conjunction of its tracked items (the facts, then the query).  *Propagation*
evaluates each item under a partial model of the values fixed so far (Z3's model evaluator, no
solver), round by round: an item that becomes ``c == value`` (``c``, ``Not(c)`` for a Boolean; a
conjunction of these) fixes each such constant — every model agrees, because the item is asserted.
Each fixed constant remembers the item that fixed it and the round (its *justification*).  It ends
when every item is ``true`` (sat: the witness terms must evaluate to values, so Z3's model gives the
same witness) or one item is ``false`` (unsat, also when an item fixes a constant differently from
another in the same round), and gives up (``None``: Z3 decides) when items stay undetermined.

**Cores, minimal and deterministic.**  For unsat, the false item and the items its constants rest on
form a core ``K``.  Each member ``k`` of ``K`` is then shown *necessary*: the items without ``k`` have
a model (propagation without ``k``, then a depth-first search of at most ``MAX_NODES`` decisions over
the free constants, values from the literals of the residues and the fixed values, ±1, 0, ``""``,
true/false, each decision propagated and every item evaluated).  A core all of whose members are
necessary is the *unique* minimal core (every unsat subset contains each necessary item), so its
membership is exactly the one Z3's ``core.minimize`` gives; when some member cannot be shown
necessary the obligation goes to Z3.  No search ever decides a verdict: a found model only confirms
that a member of ``K`` is needed.  Work is capped per query (``MAX_EVALS`` item evaluations, and no
core check whose estimated cost exceeds it): past that, Z3 is the cheaper way to the same answer.  A
*ground* query (its propagation fixed every constant of every item: issue 15 decides these exactly) has
no estimate and the larger cap ``MAX_GROUND_EVALS``, so a core of any size is checked unless the query
is huge; the cap counts evaluations, never time, so the outcome is deterministic.  A core check
continues the query's own propagation from the round its member was first needed in (the rounds before
are those of a propagation without it), charged as if rerun.

**Cost, not outcome.**  The work runs on raw AST pointers (:mod:`cnverify.exact_terms`, no Python
wrapper per term).  Each term's structure (classification, arguments, constants, item form) is read once
per context and kept with the term held (a pure function of the term); an evaluation of a term under a set
of values is kept too, keyed by both (Z3's model evaluator is a function of the model's values and the
term), and by the values of the term's own constants alone (all the evaluator reads): the core checks repeat
the first rounds of the propagation they start from, a search node re-evaluates residues its value does not
touch, and obligations repeat each other's facts under the same values.  A model is built, once per call and
set of values, only for a term not evaluated under those values before (models kept across calls measured no
faster, +47 MB; the model of no values, never extended, serves every call), and a search's candidate
literals are made once per context.
Every residue is still the one Z3's evaluator gives for the same values and term, so an outcome never
depends on what was evaluated before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import z3
from cnverify.alpha import C
from cnverify.exact_terms import FALSE_ITEM as _FALSE_ITEM
from cnverify.exact_terms import TRUE_ITEM as _TRUE_ITEM
from cnverify.exact_terms import Decline as _Decline
from cnverify.exact_terms import Fixed as _Fixed
from cnverify.exact_terms import Query as _Query
from cnverify.exact_terms import Values
from cnverify.exact_terms import ptr as _ptr
from cnverify.exact_terms import value_of as _value

STEP = "exact evaluation"
MAX_NODES = 4  # search nodes (partial assignments) tried when showing a core member necessary
MAX_EVALS = 80  # item evaluations per query, core checks included (past it exact costs more than Z3)
MAX_GROUND_EVALS = 1000  # the same for a ground query (every constant fixed): decided exactly up to this size


@dataclass(frozen=True)
class Exact:
    """An exact outcome over ``facts + [goal]``: ``sat`` with the evaluated witness terms, or ``unsat``
    with the unique minimal core (indexes; the goal is ``len(facts)``)."""

    result: Literal["sat", "unsat"]
    core: tuple[int, ...] = ()
    values: tuple[z3.ExprRef, ...] = ()
    python: list[Any] = field(default_factory=list, compare=False, repr=False)  # the values as Python, once (solver)


class _State:
    """Propagation over the items (a partial model evaluates them): fixed constants, undetermined residues."""

    __slots__ = ("values", "model", "fixed", "pending", "done", "false", "work")

    def __init__(
        self, values: Values, fixed: dict[int, _Fixed], pending: dict[int, int], done: dict[int, int], work: list[int]
    ) -> None:
        self.values = values  # the values fixed before the current round (``fixed``'s content)
        self.model: int | None = None  # their model, once built
        self.fixed = fixed  # constant → how it was fixed
        self.pending = pending  # item index → residue under the model
        self.done = done  # item index → stamp when it was resolved (true, false or fixing)
        self.false: int | None = None  # the first item found false
        self.work = work  # evaluations left, shared by one query

    def rests_on(self, q: _Query, items: Sequence[int], i: int) -> set[int]:
        """Item ``i`` and the items that fixed the constants it was evaluated with (transitively)."""
        out: set[int] = set()
        todo = [i]
        while todo:
            j = todo.pop()
            if j in out:
                continue
            out.add(j)
            todo += [
                f.item
                for k in q.constants(items[j])
                if (f := self.fixed.get(k)) is not None and f.stamp <= self.done[j]
            ]
        return out


_NO_VALUES: Values = frozenset()


def _propagate(q: _Query, items: Sequence[int], work: list[int], log: list[dict[int, int]]) -> _State:
    """Evaluate every item under the values fixed so far, round by round, until nothing changes; ``log``
    receives each round's undetermined residues (as the round starts)."""
    return _run(q, _State(_NO_VALUES, {}, dict(enumerate(items)), {}, work), log=log)


def _without(q: _Query, first: _State, log: list[dict[int, int]], k: int) -> _State:
    """The propagation of every item but ``k``, continued from ``first``'s (every item's) as its round
    ``r`` started, ``r`` the last round ``k`` was evaluated in: up to then ``k`` fixed nothing and was not
    false, so the rounds before ``r`` are the very rounds of a propagation without ``k`` (same values, same
    residues, same stamps) and the result is that propagation's.  Its work is charged as if they were rerun."""
    r = max(i for i, pending in enumerate(log) if k in pending)
    first.work[0] -= sum(len(log[i]) - 1 for i in range(r))
    if first.work[0] < 0:
        raise _Decline
    fixed = {c: f for c, f in first.fixed.items() if f.stamp <= r}
    done = {i: s for i, s in first.done.items() if s < r}
    values = frozenset((c, f.value) for c, f in fixed.items())
    return _run(q, _State(values, fixed, {i: t for i, t in log[r].items() if i != k}, done, first.work), r)


def _run(q: _Query, st: _State, stamp: int = 0, log: list[dict[int, int]] | None = None) -> _State:
    """Continue propagation from ``st`` (its values are every value of ``st.fixed``)."""
    changed = True
    pending, fixed, done = st.pending, st.fixed, st.done
    while changed:
        changed = False
        if log is not None:
            log.append(dict(pending))
        st.work[0] -= len(pending)
        if st.work[0] < 0:
            raise _Decline  # costlier than asking Z3
        added = []
        for i in list(pending):
            term = pending[i] = q.eval(st, pending[i])
            what = q.verdict(term)
            if what is None:
                continue
            if what is _TRUE_ITEM:
                del pending[i]
                done[i] = stamp
            elif what is _FALSE_ITEM:
                st.false, done[i] = i, stamp
                return st
            else:
                del pending[i]
                done[i] = stamp
                for c, v in what:
                    old = fixed.get(c)
                    if old is not None and old.value != v:  # fixed differently earlier this round:
                        st.false, done[i] = i, stamp + 1  # false under this round's values
                        return st
                    if old is None:
                        fixed[c] = _Fixed(c, v, i, stamp + 1)
                        added.append((c, v))
                        changed = True
        if changed:  # this round's values are seen from the next round on
            stamp += 1
            st.values, st.model = st.values.union(added), None
    return st


def _candidates(q: _Query, c: int, literals: list[int]) -> Iterator[int]:
    """Values tried for a free constant, made as they are tried: the query's literals of its sort, their
    neighbours, a default (numbers made as ``z3.IntVal``/``z3.RealVal`` make them: one numeral of the sort)."""
    ref, sort = q.ref, C.get_sort(q.ref, c)
    kind = C.sort_kind(ref, sort)
    if kind == z3.Z3_BOOL_SORT:
        yield q.true
        yield q.false
        return
    values = [v for a in literals if (v := q.literal(a)) is not None]
    if kind in (z3.Z3_INT_SORT, z3.Z3_REAL_SORT):
        numbers: set[Any] = {0} | {
            n + d for k, n in values if k == ("int" if kind == z3.Z3_INT_SORT else "real") for d in (-1, 0, 1)
        }
        for n in sorted(numbers):
            yield q.value(sort, n)
    elif kind == z3.Z3_SEQ_SORT and C.is_string_sort(ref, sort):
        for w in sorted({""} | {w for k, w in values if k == "string"}):
            yield q.value(sort, w)


def _satisfiable(q: _Query, first: _State, log: list[dict[int, int]], k: int, hints: list[int]) -> bool:
    """True when the items but ``k`` have a model found by propagation (:func:`_without`) and a bounded
    depth-first search (values for a free constant: the residues' literals and ``hints``, their
    neighbours, a default)."""
    try:
        return _search(q, _without(q, first, log, k), hints, [MAX_NODES])
    except _Decline:
        return False


def _search(q: _Query, st: _State, hints: list[int], budget: list[int]) -> bool:
    """:func:`_satisfiable`'s depth-first search from ``st`` (a module function, not a closure calling itself:
    such a closure is a reference cycle, and with it every query it saw waits for the cyclic collector)."""
    if st.false is not None:
        return False
    if not st.pending:
        return True
    budget[0] -= 1
    if budget[0] < 0:
        return False
    free: dict[int, None] = {}
    literals = list(hints)
    q.scan(list(st.pending.values()), free, literals)
    if not free:  # a residue without free constants that is not a value (e.g. a division by zero)
        return False
    c = min(free, key=q.name)  # by name: AST ids depend on the process's history
    for value in _candidates(q, c, literals):
        fixed = {**st.fixed, c: _Fixed(c, value, -1, 0)}
        if _search(
            q, _run(q, _State(st.values | {(c, value)}, fixed, dict(st.pending), dict(st.done), st.work)), hints, budget
        ):
            return True
    return False


def evaluate(facts: Sequence[z3.BoolRef], goal: z3.BoolRef, shown: Sequence[z3.ExprRef] = ()) -> Exact | None:
    """``facts ∧ goal`` decided by exact evaluation, or None when that needs search (Z3 decides)."""
    q = _Query(goal.ctx)
    hold = q.hold
    items, values = [hold(_ptr(e)) for e in [*facts, goal]], [hold(_ptr(t)) for t in shown]
    if q.partial([*items, *values]):  # Z3's evaluator totalises them, its solver does not
        return None
    try:
        return _decide(q, items, values)
    except _Decline:
        return None
    finally:
        q.close()


def _decide(q: _Query, items: list[int], shown: list[int]) -> Exact | None:
    work, log = [MAX_EVALS], list[dict[int, int]]()
    st = _propagate(q, items, work, log)
    if st.false is None:
        if st.pending:
            return None
        values = [q.eval(st, t) for t in shown]
        classes = [q.classify(v) for v in values]
        if not all(cls == 0 for cls, _ in classes):
            return None
        return Exact("sat", values=tuple(_value(v, dk, q.ctx) for v, (_, dk) in zip(values, classes, strict=True)))
    core = st.rests_on(q, items, st.false)
    if all(c in st.fixed for i in items for c in q.constants(i)):  # ground: any core size, a larger cap
        work[0] += MAX_GROUND_EVALS - MAX_EVALS
    elif len(items) * len(core) > work[0]:  # each member costs about one propagation: Z3 is cheaper
        return None
    hints = [f.value for f in st.fixed.values()]
    for k in sorted(core):
        if not _satisfiable(q, st, log, k, hints):
            return None
    return Exact("unsat", core=tuple(sorted(core)))
