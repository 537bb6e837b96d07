"""Exact evaluation: decide an obligation without search when its facts fix every constant it needs.

An obligation is the conjunction of its tracked items (the facts, then the query).  *Propagation*
substitutes the values known so far into each item and simplifies it (Z3's rewriter, no solver):
an item that becomes ``c == value`` (``c``, ``Not(c)`` for a Boolean; a conjunction of these) fixes
each such constant — every model agrees, because the item is asserted.  Each fixed constant
remembers the items it rests on (its *justification*).  It ends when every item is ``true`` (sat:
the witness terms must evaluate to values, so Z3's model gives the same witness) or one item is
``false`` (unsat), and gives up (``None``: Z3 decides) when items stay undetermined, or two items fix
one constant differently.

**Cores, minimal and deterministic.**  For unsat, the false item and the items its constants rest on
form a core ``K``.  Each member ``k`` of ``K`` is then shown *necessary*: the items without ``k`` have
a model (propagation without ``k``, and a bounded search over the remaining free constants among
the literals of the query, ±1, 0, ``""``, true/false, checked by evaluating every item).  A core
all of whose members are necessary is the *unique* minimal core (every unsat subset contains each
necessary item), so its membership is exactly the one Z3's ``core.minimize`` gives; when some member
cannot be shown necessary the obligation goes to Z3.  No search ever decides a verdict: a found
model only confirms that a member of ``K`` is needed.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import z3

STEP = "exact evaluation"
MAX_ASSIGNMENTS = 256  # candidate assignments tried when showing a core member necessary


@dataclass(frozen=True)
class Exact:
    """An exact outcome over ``facts + [goal]``: ``sat`` with the evaluated witness terms, or ``unsat``
    with the unique minimal core (indexes; the goal is ``len(facts)``)."""

    result: Literal["sat", "unsat"]
    core: tuple[int, ...] = ()
    values: tuple[z3.ExprRef, ...] = ()


def is_value(e: z3.ExprRef) -> bool:
    return (z3.is_int_value(e) or z3.is_rational_value(e) or z3.is_string_value(e)
            or z3.is_true(e) or z3.is_false(e))


def _is_var(e: z3.ExprRef) -> bool:
    return z3.is_app(e) and e.num_args() == 0 and e.decl().kind() == z3.Z3_OP_UNINTERPRETED


class _Terms:
    """Per-query memo of each term's free constants and literals (by AST id)."""

    def __init__(self) -> None:
        self.consts: dict[int, dict[int, z3.ExprRef]] = {}
        self.literals: dict[int, list[z3.ExprRef]] = {}

    def scan(self, e: z3.ExprRef) -> dict[int, z3.ExprRef]:
        key = e.get_id()
        found = self.consts.get(key)
        if found is not None:
            return found
        out: dict[int, z3.ExprRef] = {}
        lits: list[z3.ExprRef] = []
        if _is_var(e):
            out[key] = e
        elif is_value(e):
            lits.append(e)
        elif z3.is_app(e):
            for i in range(e.num_args()):
                a = e.arg(i)
                out.update(self.scan(a))
                lits += self.literals[a.get_id()]
        else:  # a quantifier or bound variable: not evaluated here
            raise _Decline
        self.consts[key], self.literals[key] = out, lits
        return out


class _Decline(Exception):
    """Not decidable by exact evaluation: Z3 decides."""


def _units(e: z3.ExprRef) -> list[tuple[z3.ExprRef, z3.ExprRef]] | None:
    """``e`` as a conjunction of ``constant == value`` facts, else None."""
    parts = [e.arg(i) for i in range(e.num_args())] if z3.is_and(e) else [e]
    out = []
    for p in parts:
        if _is_var(p) and z3.is_bool(p):
            out.append((p, z3.BoolVal(True, p.ctx)))
        elif z3.is_not(p) and _is_var(p.arg(0)):
            out.append((p.arg(0), z3.BoolVal(False, p.ctx)))
        elif z3.is_eq(p) and _is_var(p.arg(0)) and is_value(p.arg(1)):
            out.append((p.arg(0), p.arg(1)))
        elif z3.is_eq(p) and _is_var(p.arg(1)) and is_value(p.arg(0)):
            out.append((p.arg(1), p.arg(0)))
        else:
            return None
    return out


@dataclass
class _State:
    """Propagation over ``items``: fixed constants with their justification, undetermined items."""

    value: dict[int, tuple[z3.ExprRef, z3.ExprRef, frozenset[int]]]  # const id → (const, value, items)
    pending: dict[int, z3.ExprRef]  # item index → simplified residue
    false: tuple[int, frozenset[int]] | None = None  # the first false item and what it rests on


def _propagate(items: Sequence[z3.ExprRef], active: Sequence[int], terms: _Terms) -> _State:
    st = _State({}, {i: items[i] for i in active})
    changed = True
    while changed and st.false is None:
        changed = False
        for i in list(st.pending):
            expr = st.pending[i]
            consts = terms.scan(items[i])
            known = [st.value[c] for c in consts if c in st.value]
            if known:
                expr = z3.simplify(z3.substitute(items[i], *[(c, v) for c, v, _ in known]))
            elif expr is items[i]:
                expr = z3.simplify(expr)
            st.pending[i] = expr
            rests = frozenset({i}).union(*(d for _, _, d in known))
            if z3.is_true(expr):
                del st.pending[i]
            elif z3.is_false(expr):
                st.false = (i, rests)
                return st
            elif (units := _units(expr)) is not None:
                for c, v in units:
                    old = st.value.get(c.get_id())
                    if old is not None and not old[1].eq(v):
                        raise _Decline  # two items fix one constant differently: let Z3 find the core
                    if old is None:
                        st.value[c.get_id()] = (c, v, rests)
                del st.pending[i]
                changed = True
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
        fr = {Fraction(0)} | {Fraction(lit.numerator_as_long(), lit.denominator_as_long()) + d
                              for lit in literals if z3.is_rational_value(lit) for d in (-1, 0, 1)}
        out = [z3.RealVal(f, ctx) for f in sorted(fr)]
    elif z3.is_string(c):
        words = {""} | {lit.as_string() for lit in literals if z3.is_string_value(lit)}
        out = [z3.StringVal(w, ctx) for w in sorted(words)]
    return out


def _satisfiable(items: Sequence[z3.ExprRef], active: Sequence[int], terms: _Terms) -> bool:
    """True when the ``active`` items have a model found by propagation and a bounded search."""
    try:
        st = _propagate(items, active, terms)
    except _Decline:
        return False
    if st.false is not None:
        return False
    if not st.pending:
        return True
    rest = list(st.pending.values())
    free: dict[int, z3.ExprRef] = {}
    literals: list[z3.ExprRef] = []
    for i in st.pending:
        free.update({k: c for k, c in terms.scan(items[i]).items() if k not in st.value})
        literals += terms.literals[items[i].get_id()]
    consts = [free[k] for k in sorted(free)]
    choices = [_candidates(c, literals) for c in consts]
    if not all(choices):
        return False
    for n, combo in enumerate(itertools.product(*choices)):
        if n >= MAX_ASSIGNMENTS:
            return False
        pairs = list(zip(consts, combo))
        if all(z3.is_true(z3.simplify(z3.substitute(e, *pairs))) for e in rest):
            return True
    return False


def evaluate(facts: Sequence[z3.BoolRef], goal: z3.BoolRef, shown: Sequence[z3.ExprRef] = ()) -> Exact | None:
    """``facts ∧ goal`` decided by exact evaluation, or None when that needs search (Z3 decides)."""
    items = [*facts, goal]
    terms = _Terms()
    try:
        st = _propagate(items, range(len(items)), terms)
        if st.false is None:
            if st.pending:
                return None
            pairs = [(c, v) for c, v, _ in st.value.values()]
            values = tuple(z3.simplify(z3.substitute(t, *pairs)) if pairs else z3.simplify(t) for t in shown)
            return Exact("sat", values=values) if all(is_value(v) for v in values) else None
        core = st.false[1]
        for k in sorted(core):
            if not _satisfiable(items, [i for i in range(len(items)) if i != k], terms):
                return None
        return Exact("unsat", core=tuple(sorted(core)))
    except _Decline:
        return None
