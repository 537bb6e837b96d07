# The exact decider as it was before issue 15's rewrite on raw pointers (main 49c69dc, verifier/exact.py),
# kept verbatim as the reference the differential tests (test_exact.py) hold the new one to.
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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import z3
from cnverify.alpha import _arg, _decl, _decl_kind, _id, _kind, _nargs  # one table of raw C calls
from cnverify.alpha import raw as _raw

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


_is_string = _raw("Z3_is_string")
_mk_model, _add_interp, _model_eval = _raw("Z3_mk_model"), _raw("Z3_add_const_interp"), _raw("Z3_model_eval")
_expr = z3.z3._to_expr_ref
_VALUE_KINDS = frozenset({z3.Z3_OP_TRUE, z3.Z3_OP_FALSE})


def _class(ctx: Any, a: Any) -> tuple[int, int]:
    """(``0`` value, ``1`` free constant, ``2`` other application; declaration kind) of an AST pointer."""
    kind = _kind(ctx, a)
    if kind == z3.Z3_NUMERAL_AST:
        return 0, 0
    if kind != z3.Z3_APP_AST:
        raise _Decline  # a quantifier or bound variable: not evaluated here
    dk = _decl_kind(ctx, _decl(ctx, a))
    if dk in _VALUE_KINDS or _is_string(ctx, a):
        return 0, dk
    if dk == z3.Z3_OP_UNINTERPRETED and _nargs(ctx, a) == 0:
        return 1, dk
    return 2, dk


def is_value(e: z3.ExprRef) -> bool:
    """``e`` is a literal: a number, a string, true or false."""
    return _class(e.ctx.ref(), e.as_ast())[0] == 0


def scan(e: z3.ExprRef, consts: dict[int, z3.ExprRef], literals: list[z3.ExprRef], seen: set[int]) -> None:
    """Add ``e``'s free constants (by AST id) and literal values to ``consts`` and ``literals``."""
    ctx, ref = e.ctx, e.ctx.ref()
    todo = [e.as_ast()]
    while todo:
        a = todo.pop()
        key = _id(ref, a)
        if key in seen:
            continue
        seen.add(key)
        cls, _ = _class(ref, a)
        if cls == 0:
            literals.append(_expr(a, ctx))
        elif cls == 1:
            consts[key] = _expr(a, ctx)
        else:
            todo += [_arg(ref, a, i) for i in range(_nargs(ref, a))]


class _Decline(Exception):
    """Not decidable by exact evaluation: Z3 decides."""


def _units(e: z3.ExprRef) -> list[tuple[z3.ExprRef, z3.ExprRef]] | None:
    """``e`` as a conjunction of ``constant == value`` facts (``c``/``Not(c)`` for Booleans), else None."""
    ctx, ref = e.ctx, e.ctx.ref()
    top = e.as_ast()
    cls, dk = _class(ref, top)
    parts = [_arg(ref, top, i) for i in range(_nargs(ref, top))] if cls == 2 and dk == z3.Z3_OP_AND else [top]
    out = []
    for p in parts:
        cls, dk = _class(ref, p)
        if cls == 1:  # a Boolean constant
            out.append((_expr(p, ctx), z3.BoolVal(True, ctx)))
            continue
        if cls != 2 or dk not in (z3.Z3_OP_NOT, z3.Z3_OP_EQ):
            return None
        args = [_arg(ref, p, i) for i in range(_nargs(ref, p))]
        kinds = [_class(ref, x)[0] for x in args]
        if dk == z3.Z3_OP_NOT and kinds == [1]:
            out.append((_expr(args[0], ctx), z3.BoolVal(False, ctx)))
        elif dk == z3.Z3_OP_EQ and sorted(kinds) == [0, 1]:
            c, v = (args[0], args[1]) if kinds[0] == 1 else (args[1], args[0])
            out.append((_expr(c, ctx), _expr(v, ctx)))
        else:
            return None
    return out


@dataclass
class _Fixed:
    """A constant's value, the item that fixed it, and when (constants fixed earlier have lower stamps)."""

    const: z3.ExprRef
    value: z3.ExprRef
    item: int
    stamp: int


@dataclass
class _State:
    """Propagation over ``items`` (a partial model evaluates them): fixed constants, undetermined residues."""

    model: z3.ModelRef  # the values fixed before the current round
    fixed: dict[int, _Fixed]  # const AST id → how it was fixed
    pending: dict[int, z3.ExprRef]  # item index → residue under the model
    done: dict[int, int]  # item index → stamp when it was resolved (true, false or fixing)
    false: int | None = None  # the first item found false
    work: list[int] = field(default_factory=lambda: [MAX_EVALS])  # evaluations left, shared by one query

    def rests_on(self, items: Sequence[z3.ExprRef], i: int) -> set[int]:
        """Item ``i`` and the items that fixed the constants it was evaluated with (transitively)."""
        out: set[int] = set()
        todo = [i]
        while todo:
            j = todo.pop()
            if j in out:
                continue
            out.add(j)
            consts: dict[int, z3.ExprRef] = {}
            scan(items[j], consts, [], set())
            todo += [f.item for k in consts if (f := self.fixed.get(k)) is not None and f.stamp <= self.done[j]]
        return out


def _model(fixed: dict[int, _Fixed], ctx: z3.Context) -> z3.ModelRef:
    """A partial model of the fixed constants.  Built anew whenever values are added: Z3's model
    evaluator caches terms, and a value added after an evaluation is not seen by later ones.
    (``z3.Model`` + ``update_value`` per constant, by the C calls they make: the wrappers' checks and
    objects cost 5× the work.)"""
    ref = ctx.ref()
    m = z3.ModelRef(_mk_model(ref), ctx)
    for f in fixed.values():
        _add_interp(ref, m.model, _decl(ref, f.const.as_ast()), f.value.as_ast())
    return m


def _eval(m: z3.ModelRef, e: z3.BoolRef) -> z3.BoolRef:
    """``m.eval(e, model_completion=False)`` for a Boolean ``e``, by the one C call it makes."""
    out = (z3.Ast * 1)()
    if not _model_eval(m.ctx.ref(), m.model, e.as_ast(), False, out):
        raise z3.Z3Exception("failed to evaluate expression in the model")
    return z3.BoolRef(out[0], m.ctx)


def _propagate(items: Sequence[z3.ExprRef], active: Sequence[int], work: list[int]) -> _State:
    """Evaluate the ``active`` items under the values fixed so far, round by round, until nothing changes."""
    return _run(_State(z3.Model(items[0].ctx), {}, {i: items[i] for i in active}, {}, work=work))


def _run(st: _State, stamp: int = 0) -> _State:
    """Continue propagation from ``st`` (its model holds every value of ``st.fixed``)."""
    changed = True
    while changed:
        changed = False
        st.work[0] -= len(st.pending)
        if st.work[0] < 0:
            raise _Decline  # costlier than asking Z3
        ref = st.model.ctx.ref()
        for i in list(st.pending):
            expr = _eval(st.model, st.pending[i])
            st.pending[i] = expr
            cls, dk = _class(ref, expr.as_ast())
            if cls == 0 and dk == z3.Z3_OP_TRUE:
                del st.pending[i]
                st.done[i] = stamp
            elif cls == 0 and dk == z3.Z3_OP_FALSE:
                st.false, st.done[i] = i, stamp
                return st
            elif (units := _units(expr)) is not None:
                del st.pending[i]
                st.done[i] = stamp
                for c, v in units:
                    old = st.fixed.get(c.get_id())
                    if old is not None and not old.value.eq(v):  # fixed differently earlier this round:
                        st.false, st.done[i] = i, stamp + 1  # false under this round's values
                        return st
                    if old is None:
                        st.fixed[c.get_id()] = _Fixed(c, v, i, stamp + 1)
                        changed = True
        if changed:  # this round's values are seen from the next round on
            stamp += 1
            st.model = _model(st.fixed, st.model.ctx)
    return st


def _candidates(c: z3.ExprRef, literals: list[z3.ExprRef]) -> list[z3.ExprRef]:
    """Values tried for a free constant: the query's literals of its sort, their neighbours, a default."""
    ctx, out = c.ctx, []
    if z3.is_bool(c):
        return [z3.BoolVal(True, ctx), z3.BoolVal(False, ctx)]
    if z3.is_int(c):
        nums = {0} | {n + d for lit in literals if z3.is_int_value(lit) for n in [lit.as_long()] for d in (-1, 0, 1)}
        out = [z3.IntVal(n, ctx) for n in sorted(nums)]
    elif z3.is_real(c):
        fr = {Fraction(0)} | {
            Fraction(lit.numerator_as_long(), lit.denominator_as_long()) + d
            for lit in literals
            if z3.is_rational_value(lit)
            for d in (-1, 0, 1)
        }
        out = [z3.RealVal(f, ctx) for f in sorted(fr)]
    elif z3.is_string(c):
        words = {""} | {lit.as_string() for lit in literals if z3.is_string_value(lit)}
        out = [z3.StringVal(w, ctx) for w in sorted(words)]
    return out


def _satisfiable(items: Sequence[z3.ExprRef], active: Sequence[int], hints: list[z3.ExprRef], work: list[int]) -> bool:
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
        free: dict[int, z3.ExprRef] = {}
        literals = list(hints)
        seen: set[int] = set()
        for e in st.pending.values():
            scan(e, free, literals, seen)
        if not free:  # a residue without free constants that is not a value (e.g. a division by zero)
            return False
        c = min(free.values(), key=str)  # by name: AST ids depend on what the process built before
        for v in _candidates(c, literals):
            fixed = {**st.fixed, c.get_id(): _Fixed(c, v, -1, 0)}
            child = _State(_model(fixed, c.ctx), fixed, dict(st.pending), dict(st.done), work=st.work)
            if search(_run(child)):
                return True
        return False

    try:
        return search(_propagate(items, active, work))
    except _Decline:
        return False


# Operations Z3's model evaluator totalises (``x/0`` evaluates to 0) while its solver leaves them unspecified
# (``x/0`` may be any value): evaluating them could prove what Z3 refutes, so such obligations go to Z3.
_PARTIAL_OPS = frozenset({z3.Z3_OP_DIV, z3.Z3_OP_IDIV, z3.Z3_OP_MOD, z3.Z3_OP_REM, z3.Z3_OP_POWER})
_partial_seen: dict[int, tuple[z3.ExprRef, bool]] = {}  # by AST id, the term kept alive so the id stays its own


def _has_partial_op(e: z3.ExprRef) -> bool:
    """Does ``e`` contain a division, modulus, remainder or power (remembered per term, bounded)?"""
    ref, top = e.ctx.ref(), e.as_ast()
    known = _partial_seen.get(_id(ref, top))
    if known is not None and known[0].ctx is e.ctx:
        return known[1]
    todo, seen, found = [top], set(), False
    while todo and not found:
        a = todo.pop()
        key = _id(ref, a)
        if key in seen or _kind(ref, a) != z3.Z3_APP_AST:
            continue
        seen.add(key)
        found = _decl_kind(ref, _decl(ref, a)) in _PARTIAL_OPS
        todo += [_arg(ref, a, i) for i in range(_nargs(ref, a))]
    if len(_partial_seen) >= 65_536:
        _partial_seen.clear()
    _partial_seen[_id(ref, top)] = (e, found)
    return found


def evaluate(facts: Sequence[z3.BoolRef], goal: z3.BoolRef, shown: Sequence[z3.ExprRef] = ()) -> Exact | None:
    """``facts ∧ goal`` decided by exact evaluation, or None when that needs search (Z3 decides)."""
    items = [*facts, goal]
    if any(_has_partial_op(e) for e in [*items, *shown]):
        return None
    try:
        work = [MAX_EVALS]
        st = _propagate(items, range(len(items)), work)
        if st.false is None:
            if st.pending:
                return None
            values = tuple(st.model.eval(t, model_completion=False) for t in shown)
            return Exact("sat", values=values) if all(is_value(v) for v in values) else None
        core = st.rests_on(items, st.false)
    except _Decline:
        return None
    if len(items) * len(core) > work[0]:  # each member costs about one propagation: Z3 is cheaper
        return None
    hints = [f.value for f in st.fixed.values()]
    for k in sorted(core):
        if not _satisfiable(items, [i for i in range(len(items)) if i != k], hints, work):
            return None
    return Exact("unsat", core=tuple(sorted(core)))
