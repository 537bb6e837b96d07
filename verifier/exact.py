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

**Evaluation, fast and the same.**  An item is compiled once (per run, by AST id; :mod:`cnverify.exactterms`)
into a Python evaluator over the fixed values, which answers only where Z3's model evaluator gives the
same value (connectives, ``If``, ``==``, ``Distinct``, Int/Real arithmetic and comparisons, string
equality); a ``c == literal`` conjunction over unfixed constants fixes them as Z3's residue of it would.
Everything else is evaluated by Z3 under the partial model (built only then), and that residue is
remembered per item by the values of the item's own constants.  Rounds, stamps, residues and work
counts are those of evaluating every item with Z3, so outcomes are identical
(``tests/engine/test_exact_eval.py`` ties the evaluator to Z3's, term by term).  An obligation with a
division, modulus or power goes to Z3: Z3's evaluator takes ``x/0`` as 0, its solver as any value.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import z3
from cnverify.exactterms import (
    MAX_RESIDUES,
    UNKNOWN,
    VALUE_KINDS,
    Compiler,
    Item,
    Unit,
    arg,
    compiler,
    decl_kind,
    decl_of,
    expr,
    id_of,
    is_string,
    kind_of,
    literal,
    nargs,
    raw,
    sort_kind,
    sort_of,
)

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


_mk_model, _add_interp, _model_eval = raw("Z3_mk_model"), raw("Z3_add_const_interp"), raw("Z3_model_eval")


def _class(ctx: Any, a: Any) -> tuple[int, int]:
    """(``0`` value, ``1`` free constant, ``2`` other application; declaration kind) of an AST pointer."""
    kind = kind_of(ctx, a)
    if kind == z3.Z3_NUMERAL_AST:
        return 0, 0
    if kind != z3.Z3_APP_AST:
        raise _Decline  # a quantifier or bound variable: not evaluated here
    dk = decl_kind(ctx, decl_of(ctx, a))
    if dk in VALUE_KINDS or is_string(ctx, a):
        return 0, dk
    if dk == z3.Z3_OP_UNINTERPRETED and nargs(ctx, a) == 0:
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
        key = id_of(ref, a)
        if key in seen:
            continue
        seen.add(key)
        cls, _ = _class(ref, a)
        if cls == 0:
            literals.append(expr(a, ctx))
        elif cls == 1:
            consts[key] = expr(a, ctx)
        else:
            todo += [arg(ref, a, i) for i in range(nargs(ref, a))]


class _Decline(Exception):
    """Not decidable by exact evaluation: Z3 decides."""


def _units(e: z3.ExprRef) -> list[tuple[z3.ExprRef, z3.ExprRef]] | None:
    """``e`` as a conjunction of ``constant == value`` facts (``c``/``Not(c)`` for Booleans), else None."""
    ctx, ref = e.ctx, e.ctx.ref()
    top = e.as_ast()
    cls, dk = _class(ref, top)
    parts = [arg(ref, top, i) for i in range(nargs(ref, top))] if cls == 2 and dk == z3.Z3_OP_AND else [top]
    out = []
    for p in parts:
        cls, dk = _class(ref, p)
        if cls == 1:  # a Boolean constant
            out.append((expr(p, ctx), z3.BoolVal(True, ctx)))
            continue
        if cls != 2 or dk not in (z3.Z3_OP_NOT, z3.Z3_OP_EQ):
            return None
        args = [arg(ref, p, i) for i in range(nargs(ref, p))]
        kinds = [_class(ref, x)[0] for x in args]
        if dk == z3.Z3_OP_NOT and kinds == [1]:
            out.append((expr(args[0], ctx), z3.BoolVal(False, ctx)))
        elif dk == z3.Z3_OP_EQ and sorted(kinds) == [0, 1]:
            c, v = (args[0], args[1]) if kinds[0] == 1 else (args[1], args[0])
            out.append((expr(c, ctx), expr(v, ctx)))
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

    fixed: dict[int, _Fixed]  # const AST id → how it was fixed
    vals: dict[int, Any]  # const AST id → Python value, for the constants fixed before the current round
    pending: dict[int, z3.ExprRef]  # item index → residue under the model
    done: dict[int, int]  # item index → stamp when it was resolved (true, false or fixing)
    false: int | None = None  # the first item found false
    work: list[int] = field(default_factory=lambda: [MAX_EVALS])  # evaluations left, shared by one query
    model: z3.ModelRef | None = None  # Z3's partial model of ``vals`` (built when Z3 must evaluate)

    def z3_model(self, ctx: z3.Context) -> z3.ModelRef:
        """The partial model of the values fixed before the current round (built on first use)."""
        if self.model is None:
            self.model = _model([self.fixed[k] for k in self.vals], ctx)
        return self.model

    def rests_on(self, comp: Compiler, items: Sequence[z3.ExprRef], i: int) -> set[int]:
        """Item ``i`` and the items that fixed the constants it was evaluated with (transitively)."""
        out: set[int] = set()
        todo = [i]
        while todo:
            j = todo.pop()
            if j in out:
                continue
            out.add(j)
            item = comp.item(items[j])
            if item.quantified:
                raise _Decline
            todo += [f.item for k in item.consts if (f := self.fixed.get(k)) is not None and f.stamp <= self.done[j]]
        return out


def _model(fixed: Sequence[_Fixed], ctx: z3.Context) -> z3.ModelRef:
    """A partial model of the fixed constants.  Built anew whenever values are added: Z3's model
    evaluator caches terms, and a value added after an evaluation is not seen by later ones.
    (``z3.Model`` + ``update_value`` per constant, by the C calls they make: the wrappers' checks and
    objects cost 5× the work.)"""
    ref = ctx.ref()
    m = z3.ModelRef(_mk_model(ref), ctx)
    for f in fixed:
        _add_interp(ref, m.model, decl_of(ref, f.const.as_ast()), f.value.as_ast())
    return m


def _eval(m: z3.ModelRef, e: z3.ExprRef) -> z3.ExprRef:
    """``m.eval(e, model_completion=False)``, by the one C call it makes."""
    out = (z3.Ast * 1)()
    if not _model_eval(m.ctx.ref(), m.model, e.as_ast(), False, out):
        raise z3.Z3Exception("failed to evaluate expression in the model")
    return expr(out[0], m.ctx)


def _propagate(comp: Compiler, items: Sequence[z3.ExprRef], active: Sequence[int], work: list[int]) -> _State:
    """Evaluate the ``active`` items under the values fixed so far, round by round, until nothing changes."""
    return _run(comp, _State({}, {}, {i: items[i] for i in active}, {}, work=work))


def _residue(comp: Compiler, st: _State, item: Item) -> tuple[z3.ExprRef, Any, list[Unit] | None]:
    """Z3's evaluation of ``item`` under the values fixed before this round: the residue, its truth
    value if it is one, its units if it is ``constant == value`` facts.  Remembered per item by the
    values of the item's own constants (Z3's evaluator reads nothing else of the model)."""
    vals = st.vals
    key = tuple((k, vals[k]) for k in item.consts if k in vals)
    found = item.residues.get(key)
    if found is None:
        expr = _eval(st.z3_model(comp.ctx), item.expr)
        cls, dk = _class(comp.ref, expr.as_ast())
        value: Any = UNKNOWN
        units: list[Unit] | None = None
        if cls == 0 and dk in VALUE_KINDS:
            value = dk == z3.Z3_OP_TRUE
        elif (pairs := _units(expr)) is not None:
            units = [(c.get_id(), c, v, literal(comp.ref, v.as_ast())) for c, v in pairs]
        found = (expr, value, units)
        if len(item.residues) < MAX_RESIDUES and all(v is not UNKNOWN for _, v in key):
            # the entry keeps the values alive, so the string ids in its key stay theirs
            item.residues[key] = (*found, [st.fixed[k].value for k, _ in key])
    return found[:3]


def _run(comp: Compiler, st: _State, stamp: int = 0) -> _State:
    """Continue propagation from ``st`` (its ``vals`` hold every value of ``st.fixed``).

    Each pending item is evaluated in Python (:mod:`cnverify.exactterms`); a conjunction of ``c == literal``
    over constants not yet fixed fixes them as Z3's evaluation of it would; anything else is evaluated
    by Z3 under the partial model, and its residue kept, exactly as without the Python evaluation."""
    new: list[tuple[int, Any]] = [(0, None)]
    while new:
        new = []
        st.work[0] -= len(st.pending)
        if st.work[0] < 0:
            raise _Decline  # costlier than asking Z3
        vals = st.vals
        for i in list(st.pending):
            item = comp.item(st.pending[i])
            if item.divides:
                raise _Decline  # Z3's evaluator takes x/0 as 0, its solver as any value: Z3 decides
            value = item.fn(vals)
            units: Sequence[Unit] | None = None
            if value is UNKNOWN and item.units is not None:
                units = [u for u in item.units if u[0] not in vals]
            if value is UNKNOWN and units is None:
                st.pending[i], value, units = _residue(comp, st, item)
            if value is True:
                del st.pending[i]
                st.done[i] = stamp
            elif value is False:
                st.false, st.done[i] = i, stamp
                return st
            elif units is not None:
                del st.pending[i]
                st.done[i] = stamp
                for k, c, v, py in units:
                    old = st.fixed.get(k)
                    if old is not None and not old.value.eq(v):  # fixed differently earlier this round:
                        st.false, st.done[i] = i, stamp + 1  # false under this round's values
                        return st
                    if old is None:
                        st.fixed[k] = _Fixed(c, v, i, stamp + 1)
                        new.append((k, py))
        if new:  # this round's values are seen from the next round on
            stamp += 1
            st.vals = {**vals, **dict(new)}
            st.model = None
    return st


def _candidates(ref: Any, c: z3.ExprRef, literals: list[z3.ExprRef]) -> Iterator[tuple[z3.ExprRef, Any]]:
    """Values tried for a free constant (with their Python values), in order: the query's literals of its
    sort, their neighbours, a default.  Each is built when it is tried."""
    ctx = c.ctx
    sort = sort_kind(ref, sort_of(ref, c.as_ast()))
    if sort == z3.Z3_BOOL_SORT:
        yield z3.BoolVal(True, ctx), True
        yield z3.BoolVal(False, ctx), False
    elif sort == z3.Z3_INT_SORT or sort == z3.Z3_REAL_SORT:
        nums: set[Any] = {0 if sort == z3.Z3_INT_SORT else Fraction(0)}
        for lit in literals:
            a = lit.as_ast()
            if kind_of(ref, a) == z3.Z3_NUMERAL_AST and sort_kind(ref, sort_of(ref, a)) == sort:
                n = literal(ref, a)
                if n is not UNKNOWN:
                    nums |= {n - 1, n, n + 1}
        val = z3.IntVal if sort == z3.Z3_INT_SORT else z3.RealVal
        for n in sorted(nums):
            yield val(n, ctx), n
    elif z3.is_string(c):
        words = {""} | {lit.as_string() for lit in literals if z3.is_string_value(lit)}
        for w in sorted(words):
            v = z3.StringVal(w, ctx)
            yield v, literal(ref, v.as_ast())


def _satisfiable(
    comp: Compiler, items: Sequence[z3.ExprRef], active: Sequence[int], hints: list[z3.ExprRef], work: list[int]
) -> bool:
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
        c = min(free.values(), key=comp.name)  # by name: AST ids depend on what the process built before
        k = c.get_id()
        for v, py in _candidates(comp.ref, c, literals):
            fixed = {**st.fixed, k: _Fixed(c, v, -1, 0)}
            vals = {**st.vals, k: py}
            if search(_run(comp, _State(fixed, vals, dict(st.pending), dict(st.done), work=st.work))):
                return True
        return False

    try:
        return search(_propagate(comp, items, active, work))
    except _Decline:
        return False


def _witness(comp: Compiler, st: _State, shown: Sequence[z3.ExprRef]) -> tuple[z3.ExprRef, ...] | None:
    """The shown terms' values under every fixed value, or None when one is not a value (Z3 chooses it).
    A constant's value is the literal that fixed it (what Z3's model evaluator returns for it)."""
    out = []
    for t in shown:
        a = t.as_ast()
        cls, _ = _class(comp.ref, a)
        if cls == 1:
            f = st.fixed.get(id_of(comp.ref, a))
            if f is None:
                return None
            out.append(f.value)
            continue
        py = comp.item(t).fn(st.vals)
        sort = sort_kind(comp.ref, sort_of(comp.ref, a))
        if sort == z3.Z3_INT_SORT and type(py) is int:  # the numeral Z3's evaluator gives (one AST per value)
            out.append(z3.IntVal(py, comp.ctx))
            continue
        if sort == z3.Z3_REAL_SORT and type(py) is Fraction:
            out.append(z3.RealVal(py, comp.ctx))
            continue
        if sort == z3.Z3_BOOL_SORT and type(py) is bool:
            out.append(z3.BoolVal(py, comp.ctx))
            continue
        v = _eval(st.z3_model(comp.ctx), t)
        if not is_value(v):
            return None
        out.append(v)
    return tuple(out)


def evaluate(facts: Sequence[z3.BoolRef], goal: z3.BoolRef, shown: Sequence[z3.ExprRef] = ()) -> Exact | None:
    """``facts ∧ goal`` decided by exact evaluation, or None when that needs search (Z3 decides)."""
    items = [*facts, goal]
    comp = compiler(goal.ctx)
    try:
        work = [MAX_EVALS]
        st = _propagate(comp, items, range(len(items)), work)
        if st.false is None:
            if st.pending:
                return None
            values = _witness(comp, st, shown)
            return None if values is None else Exact("sat", values=values)
        core = st.rests_on(comp, items, st.false)
    except _Decline:
        return None
    if len(items) * len(core) > work[0]:  # each member costs about one propagation: Z3 is cheaper
        return None
    hints = [f.value for f in st.fixed.values()]
    for k in sorted(core):
        if not _satisfiable(comp, items, [i for i in range(len(items)) if i != k], hints, work):
            return None
    return Exact("unsat", core=tuple(sorted(core)))
