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
_Ast = z3.Ast
_BoolRef = z3.BoolRef


def _bools(items: Sequence[Any]) -> bool:
    return all(type(b) is _BoolRef for b in items)


def _nary(mk: Any, api: Any, items: Sequence[Any]) -> z3.BoolRef:
    if not items or not _bools(items):
        return api(*items)
    ctx = items[0].ctx
    if any(b.ctx is not ctx for b in items):
        return api(*items)
    arr = (_Ast * len(items))(*[b.ast for b in items])
    return _BoolRef(mk(ctx.ref(), len(items), arr), ctx)


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
    return _BoolRef(_mk_not(b.ctx.ref(), b.ast), b.ctx)


def implies(a: Any, b: Any) -> z3.BoolRef:
    """``z3.Implies(a, b)``."""
    if type(a) is not _BoolRef or type(b) is not _BoolRef or a.ctx is not b.ctx:
        return z3.Implies(a, b)
    return _BoolRef(_mk_implies(a.ctx.ref(), a.ast, b.ast), a.ctx)


def same(a: Any, b: Any) -> z3.BoolRef:
    """``a == b`` for two Z3 terms of one sort (else the API's ``==``, which coerces)."""
    if not isinstance(a, z3.ExprRef) or not isinstance(b, z3.ExprRef) or a.ctx is not b.ctx:
        return a == b
    ref = a.ctx.ref()
    if not _is_eq_sort(ref, _sort(ref, a.ast), _sort(ref, b.ast)):
        return a == b
    return _BoolRef(_mk_eq(ref, a.ast, b.ast), a.ctx)
