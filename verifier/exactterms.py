"""Terms compiled for exact evaluation (:mod:`cnverify.exact`): Python evaluators that answer where Z3's
model evaluator gives the same value, and each term's shape (constants, ``c == literal`` fixings).

Python evaluation decides a term only where Z3's model evaluator gives the same value: every operation
it knows (connectives, ``If``, ``==``, ``Distinct``, Int/Real arithmetic and comparisons, string
equality) is evaluated when all its arguments are values; ``And``/``Or``/``Implies``/``If`` also when a
known argument settles them (Z3's rewriter does the same); anything else is unknown (a quantifier, an
uninterpreted function, a division, other string operations), and Z3 evaluates.

Compiled nodes are kept per context by AST id across queries (obligations share their facts), each
holding a reference to its AST so that its id is not reused while it is kept; at most ``MAX_SUBTERMS``
nodes and ``MAX_ITEMS`` items, the oldest dropped first.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

import z3
import z3.z3core as z3core

MAX_ITEMS = 1 << 15  # compiled items (with their remembered residues) kept between queries
MAX_SUBTERMS = 1 << 17  # compiled subterms kept between queries
MAX_RESIDUES = 64  # Z3 evaluations remembered per item


def raw(name: str) -> Callable[..., Any]:
    """Z3's C function ``name`` without the Python API's per-call error check and wrapper objects
    (the walks call them thousands of times per query; errors cannot arise on valid ASTs)."""
    return getattr(z3core, name).__defaults__[0].f


kind_of, id_of, decl_of, decl_kind = (
    raw("Z3_get_ast_kind"),
    raw("Z3_get_ast_id"),
    raw("Z3_get_app_decl"),
    raw("Z3_get_decl_kind"),
)
nargs, arg, is_string = raw("Z3_get_app_num_args"), raw("Z3_get_app_arg"), raw("Z3_is_string")
sort_of, sort_kind, numeral = raw("Z3_get_sort"), raw("Z3_get_sort_kind"), raw("Z3_get_numeral_string")
_inc_ref, _dec_ref = raw("Z3_inc_ref"), raw("Z3_dec_ref")
expr = z3.z3._to_expr_ref
VALUE_KINDS = frozenset({z3.Z3_OP_TRUE, z3.Z3_OP_FALSE})

UNKNOWN: Any = object()  # a term's value is not determined by the values fixed so far
Fn = Callable[[dict[int, Any]], Any]  # a compiled term: its value under (const AST id → value), or UNKNOWN


def _opaque(_vals: dict[int, Any]) -> Any:
    return UNKNOWN


def literal(ref: Any, a: Any) -> Any:
    """A literal AST's Python value (int, Fraction, bool; a string is its AST id), else ``UNKNOWN``."""
    kind = kind_of(ref, a)
    if kind != z3.Z3_NUMERAL_AST and kind != z3.Z3_APP_AST:
        return UNKNOWN
    dk = decl_kind(ref, decl_of(ref, a))
    if kind == z3.Z3_NUMERAL_AST:  # an integer or rational (not an algebraic or bit-vector) numeral
        if dk != z3.Z3_OP_ANUM:
            return UNKNOWN
        text = numeral(ref, a)
        return int(text) if sort_kind(ref, sort_of(ref, a)) == z3.Z3_INT_SORT else Fraction(text.decode())
    if dk in VALUE_KINDS:
        return dk == z3.Z3_OP_TRUE
    return ("str", id_of(ref, a)) if is_string(ref, a) else UNKNOWN  # equal strings are one AST


def _junction(absorbing: bool, args: list[Fn]) -> Fn:
    """``And`` (``absorbing`` False) or ``Or`` (True): settled by any argument of the absorbing value
    (Z3's rewriter does the same, whatever the others are), else known when all are."""

    def f(vals: dict[int, Any]) -> Any:
        out: Any = not absorbing
        for g in args:
            r = g(vals)
            if r is absorbing:
                return absorbing
            if r is not out and out is not UNKNOWN:
                out = UNKNOWN
        return out

    return f


def _implies(a: Fn, b: Fn) -> Fn:
    def f(vals: dict[int, Any]) -> Any:
        ra = a(vals)
        if ra is False:
            return True
        rb = b(vals)
        if rb is True:
            return True
        return False if ra is True and rb is False else UNKNOWN

    return f


def _ite(c: Fn, a: Fn, b: Fn) -> Fn:
    def f(vals: dict[int, Any]) -> Any:
        rc = c(vals)
        return a(vals) if rc is True else b(vals) if rc is False else UNKNOWN

    return f


def _strict(op: Callable[[list[Any]], Any], args: list[Fn]) -> Fn:
    """``op`` of the arguments' values when all are known (arithmetic, comparisons, =, distinct, not)."""

    def f(vals: dict[int, Any]) -> Any:
        xs = [g(vals) for g in args]
        return UNKNOWN if any(x is UNKNOWN for x in xs) else op(xs)

    return f


def _binary(op: Callable[[list[Any]], Any], a: Fn, b: Fn) -> Fn:
    """:func:`_strict` for two arguments (most terms), without the lists."""

    def f(vals: dict[int, Any]) -> Any:
        x = a(vals)
        if x is UNKNOWN:
            return x
        y = b(vals)
        return y if y is UNKNOWN else op([x, y])

    return f


def _sum(xs: list[Any]) -> Any:
    return sum(xs[1:], xs[0])


def _product(xs: list[Any]) -> Any:
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


def _distinct(xs: list[Any]) -> bool:
    return all(xs[i] != xs[j] for i in range(len(xs)) for j in range(i + 1, len(xs)))


_PARTIAL = frozenset({z3.Z3_OP_DIV, z3.Z3_OP_IDIV, z3.Z3_OP_MOD, z3.Z3_OP_REM, z3.Z3_OP_POWER})
_STRICT: dict[int, Callable[[list[Any]], Any]] = {
    z3.Z3_OP_NOT: lambda xs: not xs[0],
    z3.Z3_OP_XOR: lambda xs: xs[0] != xs[1],
    z3.Z3_OP_EQ: lambda xs: xs[0] == xs[1],
    z3.Z3_OP_DISTINCT: _distinct,
    z3.Z3_OP_LE: lambda xs: xs[0] <= xs[1],
    z3.Z3_OP_GE: lambda xs: xs[0] >= xs[1],
    z3.Z3_OP_LT: lambda xs: xs[0] < xs[1],
    z3.Z3_OP_GT: lambda xs: xs[0] > xs[1],
    z3.Z3_OP_ADD: _sum,
    z3.Z3_OP_SUB: lambda xs: xs[0] - _sum(xs[1:]) if len(xs) > 1 else xs[0],
    z3.Z3_OP_MUL: _product,
    z3.Z3_OP_UMINUS: lambda xs: -xs[0],
    z3.Z3_OP_TO_REAL: lambda xs: Fraction(xs[0]),
}


Unit = tuple[int, z3.ExprRef, z3.ExprRef, Any]  # a fixing: const AST id, const, value, the value in Python
UnitPattern = tuple[Unit, ...]


class Node(NamedTuple):
    """A compiled subterm: evaluator, class (0 value, 1 free constant, 2 application, 3 quantifier or
    bound variable), declaration kind, argument pointers, free constants, and whether it divides."""

    fn: Fn
    cls: int
    dk: int
    args: list[Any]
    consts: frozenset[int]
    quantified: bool
    divides: bool


@dataclass(eq=False)
class Item:
    """A term to evaluate: its evaluator, free constants (sorted AST ids), and its fixings when it is a
    conjunction of ``constant == literal`` (``c``/``Not(c)`` for Booleans) over distinct constants."""

    expr: z3.ExprRef
    fn: Fn
    consts: tuple[int, ...]
    quantified: bool  # has a quantifier or bound variable (not evaluated here)
    divides: bool  # has a division, modulus or power: Z3's evaluator and its solver read ``x/0`` differently
    units: UnitPattern | None
    residues: dict[tuple[tuple[int, Any], ...], tuple[Any, ...]] = field(default_factory=dict)


_NONE: frozenset[int] = frozenset()


class Compiler:
    """Compiles terms of one context (:func:`compiler`)."""

    def __init__(self, ctx: z3.Context) -> None:
        self.ctx, self.ref = ctx, ctx.ref()
        self.items: dict[int, Item] = {}  # AST id → item (each holds its term, so ids are not reused)
        self.nodes: dict[int, tuple[Node, Any]] = {}  # AST id → node, its AST (referenced while kept)
        self.names: dict[int, tuple[z3.ExprRef, str]] = {}

    def name(self, c: z3.ExprRef) -> str:
        """``str(c)`` of a constant (the printer is slow; kept with the constant, so its id stays its own)."""
        key = id_of(self.ref, c.as_ast())
        found = self.names.get(key)
        if found is None:
            found = self.names[key] = (c, str(c))
        return found[1]

    def trim(self) -> None:
        """Drop the oldest half of a cache past its bound."""
        for cache, bound in ((self.items, MAX_ITEMS), (self.names, MAX_ITEMS)):
            if len(cache) > bound:
                for key in list(itertools.islice(cache, len(cache) // 2)):
                    del cache[key]
        if len(self.nodes) > MAX_SUBTERMS:
            for key in list(itertools.islice(self.nodes, len(self.nodes) // 2)):
                _dec_ref(self.ref, self.nodes.pop(key)[1])

    def item(self, e: z3.ExprRef) -> Item:
        """``e`` compiled (once while it is kept)."""
        a = e.as_ast()
        key = id_of(self.ref, a)
        found = self.items.get(key)
        if found is None:
            n = self.node(a)
            units = self._units(a, n)
            found = self.items[key] = Item(e, n.fn, tuple(sorted(n.consts)), n.quantified, n.divides, units)
        return found

    def node(self, a: Any) -> Node:
        """The AST ``a`` compiled (once while it is kept)."""
        ref = self.ref
        k = id_of(ref, a)
        found = self.nodes.get(k)
        if found is not None:
            return found[0]
        node = self._compile(a, k)
        _inc_ref(ref, a)
        self.nodes[k] = (node, a)
        return node

    def _compile(self, a: Any, k: int) -> Node:
        ref = self.ref
        kind = kind_of(ref, a)
        if kind != z3.Z3_APP_AST:
            if kind != z3.Z3_NUMERAL_AST:
                return Node(_opaque, 3, 0, [], _NONE, True, False)
            v = literal(ref, a)
            return Node(_opaque if v is UNKNOWN else _constant(v), 0, 0, [], _NONE, False, False)
        dk = decl_kind(ref, decl_of(ref, a))
        if dk in VALUE_KINDS or is_string(ref, a):
            return Node(_constant(literal(ref, a)), 0, dk, [], _NONE, False, False)
        n = nargs(ref, a)
        if dk == z3.Z3_OP_UNINTERPRETED and n == 0:
            return Node(lambda vals: vals.get(k, UNKNOWN), 1, dk, [], frozenset((k,)), False, False)
        argv = [arg(ref, a, i) for i in range(n)]
        nodes = [self.node(x) for x in argv]
        args = [x.fn for x in nodes]
        consts = frozenset().union(*(x.consts for x in nodes)) if nodes else _NONE
        quantified = any(x.quantified for x in nodes)
        divides = dk in _PARTIAL or any(x.divides for x in nodes)
        fn: Fn = _opaque
        if dk == z3.Z3_OP_AND or dk == z3.Z3_OP_OR:
            fn = _junction(dk == z3.Z3_OP_OR, args)
        elif dk == z3.Z3_OP_IMPLIES and n == 2:
            fn = _implies(*args)
        elif dk == z3.Z3_OP_ITE and n == 3:
            fn = _ite(*args)
        elif (op := _STRICT.get(dk)) is not None and args:
            fn = _binary(op, *args) if n == 2 else _strict(op, args)
        return Node(fn, 2, dk, argv, consts, quantified, divides)

    def _units(self, top: Any, node: Node) -> UnitPattern | None:
        """``top`` as ``constant == literal`` atoms over distinct constants, else None (Z3 evaluates it)."""
        ref, ctx = self.ref, self.ctx
        parts = node.args if node.cls == 2 and node.dk == z3.Z3_OP_AND else [top]
        out: dict[int, Unit] = {}
        for p in parts:
            pn = self.node(p)
            if pn.cls == 1:
                c, v = p, z3.BoolVal(True, ctx).as_ast()
            elif pn.cls == 2 and pn.dk in (z3.Z3_OP_NOT, z3.Z3_OP_EQ):
                args = pn.args
                kinds = [self.node(x).cls for x in args]
                if pn.dk == z3.Z3_OP_NOT and kinds == [1]:
                    c, v = args[0], z3.BoolVal(False, ctx).as_ast()
                elif pn.dk == z3.Z3_OP_EQ and sorted(kinds) == [0, 1]:
                    c, v = (args[0], args[1]) if kinds[0] == 1 else (args[1], args[0])
                else:
                    return None
            else:
                return None
            k, py = id_of(ref, c), literal(ref, v)
            if k in out or py is UNKNOWN:
                return None  # the same constant twice (Z3's rewriter may settle it), or a value not evaluated here
            out[k] = (k, expr(c, ctx), expr(v, ctx), py)
        return tuple(out.values())


def _constant(v: Any) -> Fn:
    return lambda _vals: v


_COMPILERS: dict[int, Compiler] = {}  # id(context) → its compiler (which holds the context)


def compiler(ctx: z3.Context) -> Compiler:
    """The context's compiler (items recur across queries: they are compiled once per run)."""
    comp = _COMPILERS.get(id(ctx))
    if comp is None or comp.ctx is not ctx:
        comp = _COMPILERS[id(ctx)] = Compiler(ctx)
    comp.trim()
    return comp


def forget() -> None:
    """Drop every compiled term (a cold start)."""
    for comp in _COMPILERS.values():
        for _node, a in comp.nodes.values():
            _dec_ref(comp.ref, a)
    _COMPILERS.clear()
