"""Z3 terms built with one C call each: the same ASTs as ``z3.And``/``z3.Or``/``z3.Not``/``==``/``Implies``.

The z3 Python API re-checks, coerces and re-wraps every argument of every constructor (``z3.And`` of two
Booleans costs ~20 µs, of which the C call is ~1); obligation building makes millions of them.  These
helpers take terms that are already Z3 Booleans (or, for :func:`same`, two terms of one sort) and call the
C constructor the API would call, so the result is the identical hash-consed term (same id, same query,
same answer).  Anything else (Python values, mixed Int/Real sorts) goes through the z3 API unchanged.
Shared by the encoders: add new constructors at the end, never change what an existing one builds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import z3
from z3 import z3core


def _raw(name: str) -> Any:
    """Z3's C function ``name`` without the Python API's per-call error check (valid ASTs only)."""
    return getattr(z3core, name).__defaults__[0].f


_mk_and, _mk_or, _mk_not = _raw("Z3_mk_and"), _raw("Z3_mk_or"), _raw("Z3_mk_not")
_mk_eq, _mk_implies = _raw("Z3_mk_eq"), _raw("Z3_mk_implies")
_sort, _is_eq_sort = _raw("Z3_get_sort"), _raw("Z3_is_eq_sort")
_inc_ref, _ast_kind = _raw("Z3_inc_ref"), _raw("Z3_get_ast_kind")
_Ast = z3.Ast
_BoolRef = z3.BoolRef
_new = object.__new__


def _wrap(cls: Any, ast: Any, ctx: z3.Context, ref: Any) -> Any:
    """``cls(ast, ctx)`` as ``AstRef.__init__`` makes it (``ast``, ``ctx``, one reference) without the API's
    per-call error check: the same object; ``AstRef.__del__`` releases it as usual."""
    t = _new(cls)
    t.ast = ast
    t.ctx = ctx
    _inc_ref(ref, ast)
    return t


def _nary(mk: Any, api: Any, items: Sequence[Any]) -> z3.BoolRef:
    if not items or type(items[0]) is not _BoolRef:
        return api(*items)
    ctx = items[0].ctx
    asts = []
    for b in items:
        if type(b) is not _BoolRef or b.ctx is not ctx:
            return api(*items)
        asts.append(b.ast)
    ref = ctx.ref()
    return _wrap(_BoolRef, mk(ref, len(asts), (_Ast * len(asts))(*asts)), ctx, ref)


def conj(items: Sequence[Any]) -> z3.BoolRef:
    """``z3.And(*items)``."""
    return _nary(_mk_and, z3.And, items)


def disj(items: Sequence[Any]) -> z3.BoolRef:
    """``z3.Or(*items)``."""
    return _nary(_mk_or, z3.Or, items)


def neg(b: Any) -> z3.BoolRef:
    """``z3.Not(b)``."""
    if type(b) is not _BoolRef:
        return z3.Not(b)
    ref = b.ctx.ref()
    return _wrap(_BoolRef, _mk_not(ref, b.ast), b.ctx, ref)


def implies(a: Any, b: Any) -> z3.BoolRef:
    """``z3.Implies(a, b)``."""
    if type(a) is not _BoolRef or type(b) is not _BoolRef or a.ctx is not b.ctx:
        return z3.Implies(a, b)
    ref = a.ctx.ref()
    return _wrap(_BoolRef, _mk_implies(ref, a.ast, b.ast), a.ctx, ref)


def same(a: Any, b: Any) -> z3.BoolRef:
    """``a == b`` for two Z3 terms of one sort (else the API's ``==``, which coerces); like Python, a right operand
    whose class subclasses the left's (``x == IntVal(1)``) builds the reflected ``b == a``."""
    if type(a) is _BoolRef and type(b) is _BoolRef and a.ctx is b.ctx:  # two Booleans: one sort, nothing reflected
        ref = a.ctx.ref()
        return _wrap(_BoolRef, _mk_eq(ref, a.ast, b.ast), a.ctx, ref)
    if not isinstance(a, z3.ExprRef) or not isinstance(b, z3.ExprRef) or a.ctx is not b.ctx or _reflected(a, b):
        return a == b
    ref = a.ctx.ref()
    if not _is_eq_sort(ref, _sort(ref, a.ast), _sort(ref, b.ast)):
        return a == b
    return _wrap(_BoolRef, _mk_eq(ref, a.ast, b.ast), a.ctx, ref)


# Integer terms (the resource and scaling encoders): each builds what the Python expression in its docstring
# builds, on Int terms of one context and Python ints; anything else (Real terms, bools, two ints, other
# contexts) is that expression itself. At most one Python int per term becomes a numeral, made just before the
# call that holds it (a raw AST lives only until Z3's next result, so none is kept across two calls).
_mk_numeral, _mk_const, _mk_symbol = _raw("Z3_mk_numeral"), _raw("Z3_mk_const"), _raw("Z3_mk_string_symbol")
_mk_int_sort, _mk_bool_sort, _sort_kind = _raw("Z3_mk_int_sort"), _raw("Z3_mk_bool_sort"), _raw("Z3_get_sort_kind")
_mk_ge, _mk_le, _mk_gt, _mk_lt = _raw("Z3_mk_ge"), _raw("Z3_mk_le"), _raw("Z3_mk_gt"), _raw("Z3_mk_lt")
_mk_add, _mk_sub, _mk_mul = _raw("Z3_mk_add"), _raw("Z3_mk_sub"), _raw("Z3_mk_mul")
_mk_distinct, _mk_ite = _raw("Z3_mk_distinct"), _raw("Z3_mk_ite")
_INT_SORT, _NUMERAL_AST = z3.Z3_INT_SORT, z3.Z3_NUMERAL_AST
_ArithRef, _IntNumRef = z3.ArithRef, z3.IntNumRef
_to_bytes = z3core._str_to_bytes


def _int_expr(ast: Any, ctx: z3.Context, ref: Any) -> z3.ArithRef:
    """The wrapper ``z3._to_expr_ref`` picks for an Int-sorted ``ast``: an IntNumRef for a numeral, else an ArithRef."""
    return _wrap(_IntNumRef if _ast_kind(ref, ast) == _NUMERAL_AST else _ArithRef, ast, ctx, ref)


def _int_sort(x: Any) -> Any:
    """``x``'s sort when ``x`` is an Int term, else None."""
    if not isinstance(x, _ArithRef):
        return None
    ref = x.ctx.ref()
    s = _sort(ref, x.ast)
    return s if _sort_kind(ref, s) == _INT_SORT else None


def _int_term(x: Any) -> bool:
    return _int_sort(x) is not None


def _int_pair(a: Any, b: Any) -> tuple[Any, Any, Any, Any] | None:
    """``(ctx, ctx.ref(), a's AST, b's AST)`` when one is an Int term and the other an Int term of its context or a
    Python int (made the numeral ``IntVal`` makes, last); else None."""
    if type(b) is int:
        s = _int_sort(a)
        if s is None:
            return None
        ref = a.ctx.ref()
        return a.ctx, ref, a.ast, _mk_numeral(ref, str(b).encode(), s)
    if type(a) is int:
        s = _int_sort(b)
        if s is None:
            return None
        ref = b.ctx.ref()
        return b.ctx, ref, _mk_numeral(ref, str(a).encode(), s), b.ast
    if _int_sort(a) is not None and _int_sort(b) is not None and a.ctx is b.ctx:
        return a.ctx, a.ctx.ref(), a.ast, b.ast
    return None


def _reflected(a: Any, b: Any) -> bool:
    """Does Python evaluate ``a OP b`` as ``b``'s reflected comparison: ``1 <= x`` as ``x >= 1``, ``x <= IntVal(1)``
    as ``IntVal(1) >= x`` (the right operand's class is a subclass of the left's)?"""
    return type(a) is int or (type(b) is not type(a) and isinstance(b, type(a)))


def _cmp(mk: Any, a: Any, b: Any) -> z3.BoolRef | None:
    if _reflected(a, b):  # left to the operator
        return None
    pair = _int_pair(a, b)
    if pair is None:
        return None
    ctx, ref, x, y = pair
    return _wrap(_BoolRef, mk(ref, x, y), ctx, ref)


def ge(a: Any, b: Any) -> z3.BoolRef:
    """``a >= b``."""
    t = _cmp(_mk_ge, a, b)
    return a >= b if t is None else t


def le(a: Any, b: Any) -> z3.BoolRef:
    """``a <= b``."""
    t = _cmp(_mk_le, a, b)
    return a <= b if t is None else t


def gt(a: Any, b: Any) -> z3.BoolRef:
    """``a > b``."""
    t = _cmp(_mk_gt, a, b)
    return a > b if t is None else t


def lt(a: Any, b: Any) -> z3.BoolRef:
    """``a < b``."""
    t = _cmp(_mk_lt, a, b)
    return a < b if t is None else t


def eq(a: Any, b: Any) -> z3.BoolRef:
    """``a == b`` (an Int term and an int, or two terms of one sort as :func:`same`)."""
    if type(b) is int:
        s = _int_sort(a)
        if s is not None:
            ref = a.ctx.ref()
            return _wrap(_BoolRef, _mk_eq(ref, a.ast, _mk_numeral(ref, str(b).encode(), s)), a.ctx, ref)
    return a == b if _reflected(a, b) else same(a, b)


def ne(a: Any, b: Any) -> z3.BoolRef:
    """``a != b``."""
    pair = None if _reflected(a, b) else _int_pair(a, b)
    if pair is None:
        return a != b
    ctx, ref, x, y = pair
    return _wrap(_BoolRef, _mk_distinct(ref, 2, (_Ast * 2)(x, y)), ctx, ref)


def _arith(mk: Any, a: Any, b: Any) -> z3.ArithRef | None:
    pair = _int_pair(a, b)
    if pair is None:
        return None
    ctx, ref, x, y = pair
    return _int_expr(mk(ref, 2, (_Ast * 2)(x, y)), ctx, ref)


def add(a: Any, b: Any) -> z3.ArithRef:
    """``a + b``."""
    t = _arith(_mk_add, a, b)
    return a + b if t is None else t


def sub(a: Any, b: Any) -> z3.ArithRef:
    """``a - b``."""
    t = _arith(_mk_sub, a, b)
    return a - b if t is None else t


def mul(a: Any, b: Any) -> z3.ArithRef:
    """``a * b``."""
    t = _arith(_mk_mul, a, b)
    return a * b if t is None else t


def total(items: Sequence[Any]) -> Any:
    """``z3.Sum(items)`` of Int terms of one context (else, with ints or other sorts, the API's)."""
    if not items or not all(_int_term(x) for x in items):
        return z3.Sum(items)
    ctx = items[0].ctx
    if any(x.ctx is not ctx for x in items):
        return z3.Sum(items)
    ref = ctx.ref()
    return _int_expr(_mk_add(ref, len(items), (_Ast * len(items))(*[x.ast for x in items])), ctx, ref)


def ite(c: Any, a: Any, b: Any) -> Any:
    """``z3.If(c, a, b)`` for a Boolean term ``c`` and Int branches (else the API's)."""
    if type(c) is not _BoolRef:
        return z3.If(c, a, b)
    pair = _int_pair(a, b)
    if pair is None or pair[0] is not c.ctx:
        return z3.If(c, a, b)
    ctx, ref, x, y = pair
    return _int_expr(_mk_ite(ref, c.ast, x, y), ctx, ref)


def _const(name: str, mk_sort: Any, wrap: Any, api: Any) -> Any:
    if type(name) is not str:
        return api(name)
    ctx = z3.main_ctx()
    ref = ctx.ref()
    return _wrap(wrap, _mk_const(ref, _mk_symbol(ref, _to_bytes(name)), mk_sort(ref)), ctx, ref)


def int_const(name: str) -> z3.ArithRef:
    """``z3.Int(name)`` in the main context."""
    return _const(name, _mk_int_sort, _ArithRef, z3.Int)


def bool_const(name: str) -> z3.BoolRef:
    """``z3.Bool(name)`` in the main context."""
    return _const(name, _mk_bool_sort, _BoolRef, z3.Bool)


# String terms (the label encoders): the same as the API's, built with one C call.
_mk_string, _SeqRef = _raw("Z3_mk_string"), z3.SeqRef


def string(text: str) -> z3.SeqRef:
    """``z3.StringVal(text)`` in the main context (characters outside printable ASCII escaped as the API does)."""
    if type(text) is not str:
        return z3.StringVal(text)
    if not (text.isascii() and text.isprintable()):  # printable ASCII is exactly 32..126
        text = "".join(ch if 32 <= ord(ch) < 127 else f"\\u{{{ord(ch):x}}}" for ch in text)
    ctx = z3.main_ctx()
    ref = ctx.ref()
    return _wrap(_SeqRef, _mk_string(ref, _to_bytes(text)), ctx, ref)


def choose(c: Any, a: Any, b: Any) -> Any:
    """``z3.If(c, a, b)`` for a Boolean term ``c`` and two string terms of its context (else the API's)."""
    if type(c) is not _BoolRef or type(a) is not _SeqRef or type(b) is not _SeqRef or not (a.ctx is b.ctx is c.ctx):
        return z3.If(c, a, b)
    ref = c.ctx.ref()
    if not _is_eq_sort(ref, _sort(ref, a.ast), _sort(ref, b.ast)):
        return z3.If(c, a, b)
    return _wrap(_SeqRef, _mk_ite(ref, c.ast, a.ast, b.ast), c.ctx, ref)


_mk_string_sort = _raw("Z3_mk_string_sort")


def string_const(name: str) -> z3.SeqRef:
    """``z3.String(name)`` in the main context."""
    return _const(name, _mk_string_sort, _SeqRef, z3.String)
