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
core check whose estimated cost exceeds it): past that, Z3 is the cheaper way to the same answer.

**Cost, not outcome.**  One call's work runs on raw AST pointers (``_Query``: held by one reference
each until the call ends, no Python wrapper per term).  Within the call, each term is classified once,
each model is built once per set of values, and an evaluation of a term under a set of values is
reused (Z3's model evaluator is a function of the model's values and the term): the core checks
repeat the first rounds of the propagation they start from.  Every residue is still the one Z3's
evaluator gives; no evaluation is remembered from one call to the next, so an outcome never depends on
what was evaluated before.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import z3
from cnverify.alpha import C, ast_of

STEP = "exact evaluation"
MAX_NODES = 4  # search nodes (partial assignments) tried when showing a core member necessary
MAX_EVALS = 80  # item evaluations per query, core checks included (past it exact costs more than Z3)


@dataclass(frozen=True)
class Exact:
    """An exact outcome over ``facts + [goal]``: ``sat`` with the evaluated witness terms, or ``unsat``
    with the unique minimal core (indexes; the goal is ``len(facts)``)."""

    result: Literal["sat", "unsat"]
    core: tuple[int, ...] = ()
    values: tuple[z3.ExprRef, ...] = ()
    python: list[Any] = field(default_factory=list, compare=False, repr=False)  # the values as Python, once (solver)


_kind, _decl, _decl_kind, _nargs, _arg, _is_string = C.kind, C.decl, C.decl_kind, C.nargs, C.arg, C.is_string
_inc_ref, _dec_ref, _model_eval = C.inc_ref, C.dec_ref, C.model_eval
_APP, _NUMERAL = z3.Z3_APP_AST, z3.Z3_NUMERAL_AST
_TRUE, _FALSE, _AND, _NOT, _EQ = z3.Z3_OP_TRUE, z3.Z3_OP_FALSE, z3.Z3_OP_AND, z3.Z3_OP_NOT, z3.Z3_OP_EQ
_UNINTERPRETED, _INTERNAL = z3.Z3_OP_UNINTERPRETED, z3.Z3_OP_INTERNAL
_VALUE_KINDS = frozenset({_TRUE, _FALSE})
_TRUE_ITEM, _FALSE_ITEM = "true", "false"  # an evaluated item that is a truth value


class _Decline(Exception):
    """Not decidable by exact evaluation: Z3 decides."""


def _class(ref: int, a: int) -> tuple[int, int]:
    """(``0`` value, ``1`` free constant, ``2`` other application; declaration kind) of an AST pointer."""
    kind = _kind(ref, a)
    if kind == _NUMERAL:
        return 0, 0
    if kind != _APP:
        raise _Decline  # a quantifier or bound variable: not evaluated here
    dk = _decl_kind(ref, _decl(ref, a))
    if dk in _VALUE_KINDS or (dk == _INTERNAL and _is_string(ref, a)):  # a string literal's kind is internal
        return 0, dk
    if dk == _UNINTERPRETED and _nargs(ref, a) == 0:
        return 1, dk
    return 2, dk


def _ptr(e: z3.AstRef) -> int:
    return e.as_ast().value


def is_value(e: z3.ExprRef) -> bool:
    """``e`` is a literal: a number, a string, true or false."""
    return _class(e.ctx.ref().value, _ptr(e))[0] == 0


Unit = tuple[int, int]  # a fixing: the constant's and the value's pointers
Values = frozenset[tuple[int, int]]  # a model's content: (constant, value) pointers


class _Fixed:
    """A constant's value, the item that fixed it, and when (constants fixed earlier have lower stamps)."""

    __slots__ = ("const", "value", "item", "stamp")

    def __init__(self, const: int, value: int, item: int, stamp: int) -> None:
        self.const, self.value, self.item, self.stamp = const, value, item, stamp


class _Query:
    """One call's terms and models on raw pointers (each term it makes held once until :meth:`close`), with
    what the call computes more than once: each term's classification and constants, a model per set of
    values, an evaluation per (set of values, term).  Terms are keyed by pointer: every term in a key is
    held (by the caller or the query), so no pointer stands for two terms during the call."""

    def __init__(self, ctx: z3.Context) -> None:
        self.ctx, self.ref = ctx, ctx.ref().value
        self.held: list[int] = []
        self.models: dict[Values, int] = {}
        self.evals: dict[tuple[Values, int], int] = {}
        self.items: dict[int, Any] = {}  # evaluated item → _TRUE_ITEM, _FALSE_ITEM, its units or None
        self.consts: dict[int, set[int]] = {}
        self.literals: dict[int, tuple[str, Any] | None] = {}
        self.box = (ctypes.c_void_p * 1)()  # Z3_model_eval's out-parameter (read as an int each time)
        self.true, self.false = self.hold(C.mk_true(self.ref)), self.hold(C.mk_false(self.ref))

    def close(self) -> None:
        ref = self.ref
        for a in self.held:
            _dec_ref(ref, a)
        for m in self.models.values():
            C.model_dec_ref(ref, m)

    def hold(self, a: int) -> int:
        _inc_ref(self.ref, a)
        self.held.append(a)
        return a

    def model(self, st: _State) -> int:
        """A partial model of ``st.fixed``, built once per set of values and only when a term is evaluated
        in it.  A model is never extended: Z3's evaluator caches terms, and a value added later is not seen."""
        m = self.models.get(st.values)
        if m is None:
            ref = self.ref
            m = self.models[st.values] = C.mk_model(ref)
            C.model_inc_ref(ref, m)
            for f in st.fixed.values():
                C.add_const_interp(ref, m, _decl(ref, f.const), f.value)
        return m

    def eval(self, st: _State, a: int) -> int:
        """``model.eval(a, model_completion=False)`` under ``st``'s values, by the one C call it makes
        (once per values and term)."""
        key = (st.values, a)
        out = self.evals.get(key)
        if out is None:
            model = st.model
            if model is None:
                model = st.model = self.model(st)
            if not _model_eval(self.ref, model, a, False, self.box):
                raise z3.Z3Exception("failed to evaluate expression in the model")
            out = self.evals[key] = self.hold(self.box[0] or 0)  # (never NULL when the call succeeds)
        return out

    def verdict(self, a: int) -> Any:
        """An evaluated item: ``_TRUE_ITEM``, ``_FALSE_ITEM``, its units (a conjunction of ``constant ==
        value``: ``c``/``Not(c)`` for Booleans) or None (undetermined)."""
        if a == self.true:
            return _TRUE_ITEM
        if a == self.false:
            return _FALSE_ITEM
        if a in self.items:
            return self.items[a]
        _class(self.ref, a)  # a quantifier or bound variable declines before anything else
        out = self.items[a] = self._units(a)
        return out

    def _units(self, top: int) -> tuple[Unit, ...] | None:
        ref = self.ref
        cls, dk = _class(ref, top)
        parts = [_arg(ref, top, i) for i in range(_nargs(ref, top))] if cls == 2 and dk == _AND else [top]
        out: list[Unit] = []
        for p in parts:
            cls, dk = _class(ref, p)
            if cls == 1:  # a Boolean constant
                out.append((p, self.true))
                continue
            if cls != 2 or dk not in (_NOT, _EQ):
                return None
            args = [_arg(ref, p, i) for i in range(_nargs(ref, p))]
            kinds = [_class(ref, x)[0] for x in args]
            if dk == _NOT and kinds == [1]:
                out.append((args[0], self.false))
            elif dk == _EQ and sorted(kinds) == [0, 1]:
                out.append((args[0], args[1]) if kinds[0] == 1 else (args[1], args[0]))
            else:
                return None
        return tuple(out)

    def constants(self, a: int) -> set[int]:
        """The free constants of the item ``a`` (a quantifier or bound variable: declined)."""
        found = self.consts.get(a)
        if found is None:
            consts: dict[int, None] = {}
            self.scan([a], consts, [])
            found = self.consts[a] = set(consts)
        return found

    def literal(self, a: int) -> tuple[str, Any] | None:
        """A literal as a Python value (``int``, ``real``: a Fraction, ``string``), else None (as
        ``z3.is_int_value``, ``is_rational_value``, ``is_string_value`` and their values read it)."""
        if a not in self.literals:
            ref = self.ref
            kind = C.sort_kind(ref, C.get_sort(ref, a))
            if kind in (z3.Z3_INT_SORT, z3.Z3_REAL_SORT) and C.is_numeral_ast(ref, a):
                text = C.numeral_string(ref, a).decode()
                self.literals[a] = ("int", int(text)) if kind == z3.Z3_INT_SORT else ("real", Fraction(text))
            elif _is_string(ref, a):
                self.literals[a] = ("string", _expr(a, self.ctx).as_string())
            else:
                self.literals[a] = None
        return self.literals[a]

    def scan(self, terms: Sequence[int], consts: dict[int, None], literals: list[int]) -> None:
        """Add the free constants (in the order found) and literal values of ``terms``."""
        ref, seen = self.ref, set()
        for a in terms:
            todo = [a]
            while todo:
                a = todo.pop()
                if a in seen:
                    continue
                seen.add(a)
                cls, _ = _class(ref, a)
                if cls == 0:
                    literals.append(a)
                elif cls == 1:
                    consts[a] = None
                else:
                    todo += [_arg(ref, a, i) for i in range(_nargs(ref, a))]


def _expr(a: int, ctx: z3.Context) -> z3.ExprRef:
    """A Python API wrapper of the held term ``a`` (it takes its own reference)."""
    return z3.z3._to_expr_ref(ast_of(a), ctx)


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


def _propagate(q: _Query, items: Sequence[int], active: Iterable[int], work: list[int]) -> _State:
    """Evaluate the ``active`` items under the values fixed so far, round by round, until nothing changes."""
    return _run(q, _State(_NO_VALUES, {}, {i: items[i] for i in active}, {}, work))


def _run(q: _Query, st: _State, stamp: int = 0) -> _State:
    """Continue propagation from ``st`` (its values are every value of ``st.fixed``)."""
    changed = True
    pending, fixed, done = st.pending, st.fixed, st.done
    while changed:
        changed = False
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
            yield q.hold(C.mk_numeral(ref, str(n).encode(), sort))
    elif kind == z3.Z3_SEQ_SORT and C.is_string_sort(ref, sort):
        for w in sorted({""} | {w for k, w in values if k == "string"}):
            yield q.hold(_ptr(z3.StringVal(w, q.ctx)))


def _satisfiable(q: _Query, items: Sequence[int], active: Sequence[int], hints: list[int], work: list[int]) -> bool:
    """True when the ``active`` items have a model found by propagation and a bounded depth-first search
    (values for a free constant: the residues' literals and ``hints``, their neighbours, a default)."""
    budget = [MAX_NODES]

    def search(st: _State) -> bool:
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
        c = min(free, key=lambda a: C.const_name(q.ref, a))  # by name: AST ids depend on the process's history
        for value in _candidates(q, c, literals):
            fixed = {**st.fixed, c: _Fixed(c, value, -1, 0)}
            if search(_run(q, _State(st.values | {(c, value)}, fixed, dict(st.pending), dict(st.done), st.work))):
                return True
        return False

    try:
        return search(_propagate(q, items, active, work))
    except _Decline:
        return False


# Operations Z3's model evaluator totalises (``x/0`` evaluates to 0) while its solver leaves them unspecified
# (``x/0`` may be any value): evaluating them could prove what Z3 refutes, so such obligations go to Z3.
_PARTIAL_OPS = frozenset({z3.Z3_OP_DIV, z3.Z3_OP_IDIV, z3.Z3_OP_MOD, z3.Z3_OP_REM, z3.Z3_OP_POWER})
_partial_seen: dict[int, tuple[z3.ExprRef, bool]] = {}  # by AST pointer, the term kept alive so it stays its own


def _has_partial_op(terms: Sequence[z3.ExprRef]) -> bool:
    """Does one of ``terms`` contain a division, modulus, remainder or power (remembered per term, bounded)?
    The terms' walks share what they visited: a subterm already walked has none below it."""
    seen: set[int] = set()
    for e in terms:
        ref, top = e.ctx.ref().value, _ptr(e)
        known = _partial_seen.get(top)
        if known is not None and known[0].ctx is e.ctx:
            if known[1]:
                return True
            continue
        todo, found = [top], False
        while todo and not found:
            a = todo.pop()
            if a in seen or _kind(ref, a) != _APP:
                continue
            seen.add(a)
            n = _nargs(ref, a)
            if n:  # every partial operation has arguments
                found = _decl_kind(ref, _decl(ref, a)) in _PARTIAL_OPS
                todo += [_arg(ref, a, i) for i in range(n)]
        if len(_partial_seen) >= 65_536:
            _partial_seen.clear()
        _partial_seen[top] = (e, found)
        if found:
            return True
    return False


def evaluate(facts: Sequence[z3.BoolRef], goal: z3.BoolRef, shown: Sequence[z3.ExprRef] = ()) -> Exact | None:
    """``facts ∧ goal`` decided by exact evaluation, or None when that needs search (Z3 decides)."""
    if _has_partial_op([*facts, goal, *shown]):
        return None
    q = _Query(goal.ctx)
    try:
        return _decide(q, [_ptr(e) for e in [*facts, goal]], [_ptr(t) for t in shown])
    except _Decline:
        return None
    finally:
        q.close()


def _decide(q: _Query, items: list[int], shown: list[int]) -> Exact | None:
    work = [MAX_EVALS]
    st = _propagate(q, items, range(len(items)), work)
    if st.false is None:
        if st.pending:
            return None
        values = [q.eval(st, t) for t in shown]
        if not all(_class(q.ref, v)[0] == 0 for v in values):
            return None
        return Exact("sat", values=tuple(_expr(v, q.ctx) for v in values))
    core = st.rests_on(q, items, st.false)
    if len(items) * len(core) > work[0]:  # each member costs about one propagation: Z3 is cheaper
        return None
    hints = [f.value for f in st.fixed.values()]
    for k in sorted(core):
        if not _satisfiable(q, items, [i for i in range(len(items)) if i != k], hints, work):
            return None
    return Exact("unsat", core=tuple(sorted(core)))
