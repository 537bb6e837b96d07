"""Queries up to renaming of their constants (alpha-equivalence), for :func:`cnverify.smt.check`.

The same query shapes recur across a cluster: one chart's Deployment in forty namespaces gives forty
queries that differ only in the names of their constants (``replicas[Deployment/a]`` against
``replicas[Deployment/b]``).  :func:`canonical` renames a query's uninterpreted constants by first
occurrence (depth-first, left to right, over the query's formulas in order) to ``k!0``, ``k!1``, ...
(Z3 numeric symbols, each with the sort of the constant it stands for), keeping every literal,
operator and shared subterm.  The renaming is a bijection applied simultaneously (``Z3_substitute``),
so the canonical query is satisfiable exactly when the original is, with the same unsat cores, and its
models are the original's up to the renaming (:meth:`Renaming.model` maps them back).

Alpha-equivalent queries have the *same* canonical terms (Z3 hash-conses them: one AST, one id), so
``smt.check`` solves the canonical query, in a fresh context, and remembers its answer by those ids:
the answer to a query is a function of its canonical form alone, whichever namespace asked first.
Uninterpreted functions of arity > 0 keep their names (they are part of the shape).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import z3
from z3 import z3core

TERM_CACHE = 65_536  # formulas whose constants are remembered per context (cleared when full)


def raw(name: str) -> Callable[..., Any]:
    """Z3's C function ``name`` without the Python API's per-call error check and wrapper objects
    (used on valid ASTs only, where no error can arise)."""
    return getattr(z3core, name).__defaults__[0].f


def on_ints(name: str, restype: Any, *argtypes: Any) -> Callable[..., Any]:
    """Z3's C function ``name`` on plain integers (context, AST and model pointers as ``int``, converted
    by ctypes in C: no per-argument ``from_param`` in Python, no pointer objects), else as :func:`raw`."""
    function: Any = raw(name)
    address = ctypes.cast(function, ctypes.c_void_p).value
    assert address is not None
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_P, _U, _B = ctypes.c_void_p, ctypes.c_uint, ctypes.c_bool


class C:
    """Z3's C functions on plain integers (:func:`on_ints`): pointers are ``int``, a context is ``ref().value``."""

    kind = on_ints("Z3_get_ast_kind", _U, _P, _P)
    id = on_ints("Z3_get_ast_id", _U, _P, _P)
    decl = on_ints("Z3_get_app_decl", _P, _P, _P)
    decl_kind = on_ints("Z3_get_decl_kind", _U, _P, _P)
    decl_name = on_ints("Z3_get_decl_name", _P, _P, _P)
    nargs = on_ints("Z3_get_app_num_args", _U, _P, _P)
    arg = on_ints("Z3_get_app_arg", _P, _P, _P, _U)
    is_string = on_ints("Z3_is_string", _B, _P, _P)
    inc_ref = on_ints("Z3_inc_ref", None, _P, _P)
    dec_ref = on_ints("Z3_dec_ref", None, _P, _P)
    mk_true = on_ints("Z3_mk_true", _P, _P)
    mk_false = on_ints("Z3_mk_false", _P, _P)
    mk_model = on_ints("Z3_mk_model", _P, _P)
    model_inc_ref = on_ints("Z3_model_inc_ref", None, _P, _P)
    model_dec_ref = on_ints("Z3_model_dec_ref", None, _P, _P)
    add_const_interp = on_ints("Z3_add_const_interp", None, _P, _P, _P, _P)
    model_eval = on_ints("Z3_model_eval", _B, _P, _P, _P, _B, ctypes.POINTER(_P))  # out: a (c_void_p * 1)
    symbol_kind = on_ints("Z3_get_symbol_kind", _U, _P, _P)
    symbol_int = on_ints("Z3_get_symbol_int", ctypes.c_int, _P, _P)
    symbol_string = on_ints("Z3_get_symbol_string", ctypes.c_char_p, _P, _P)
    lstring = on_ints("Z3_get_lstring", _P, _P, _P, ctypes.POINTER(_U))  # out: a (c_uint * 1)
    get_sort = on_ints("Z3_get_sort", _P, _P, _P)
    sort_kind = on_ints("Z3_get_sort_kind", _U, _P, _P)
    is_string_sort = on_ints("Z3_is_string_sort", _B, _P, _P)
    is_numeral_ast = on_ints("Z3_is_numeral_ast", _B, _P, _P)
    numeral_string = on_ints("Z3_get_numeral_string", ctypes.c_char_p, _P, _P)
    mk_numeral = on_ints("Z3_mk_numeral", _P, _P, ctypes.c_char_p, _P)
    sort_id = on_ints("Z3_get_sort_id", _U, _P, _P)
    model_num_consts = on_ints("Z3_model_get_num_consts", _U, _P, _P)
    model_const_decl = on_ints("Z3_model_get_const_decl", _P, _P, _P, _U)
    model_const_interp = on_ints("Z3_model_get_const_interp", _P, _P, _P, _P)
    model_num_funcs = on_ints("Z3_model_get_num_funcs", _U, _P, _P)
    model_func_decl = on_ints("Z3_model_get_func_decl", _P, _P, _P, _U)
    is_as_array = on_ints("Z3_is_as_array", _B, _P, _P)

    @staticmethod
    def const_name(ref: int, a: int) -> str:
        """The name of the constant ``a`` as ``str()`` prints it (``k!N`` for a numeric symbol)."""
        symbol = C.decl_name(ref, C.decl(ref, a))
        if C.symbol_kind(ref, symbol) == z3.Z3_INT_SYMBOL:
            return f"k!{C.symbol_int(ref, symbol)}"
        return str(C.symbol_string(ref, symbol).decode())


_kind, _id, _decl, _decl_kind = (
    raw("Z3_get_ast_kind"),
    raw("Z3_get_ast_id"),
    raw("Z3_get_app_decl"),
    raw("Z3_get_decl_kind"),
)
_nargs, _arg, _get_sort, _sort_id = (
    raw("Z3_get_app_num_args"),
    raw("Z3_get_app_arg"),
    raw("Z3_get_sort"),
    raw("Z3_get_sort_id"),
)
_substitute, _mk_const, _int_symbol = raw("Z3_substitute"), raw("Z3_mk_const"), raw("Z3_mk_int_symbol")
_inc_ref, _dec_ref, _mk_app = raw("Z3_inc_ref"), raw("Z3_dec_ref"), raw("Z3_mk_app")
_APP, _UNINTERPRETED = z3.Z3_APP_AST, z3.Z3_OP_UNINTERPRETED


Const = tuple[int, Any, int]  # an uninterpreted constant: (pointer as an int, AST pointer, sort id)


class _Tables:
    """Per context: canonical constants by (sort id, index); each formula's constants in order (the formula is
    kept alive with them, so its id is never reused) and each of its subterms' (alive while it is: emptied with
    the formulas); the n-ary Boolean function a query's formulas are renamed inside of, by n."""

    def __init__(self) -> None:
        self.constants: dict[tuple[int, int], z3.ExprRef] = {}
        self.formulas: dict[int, tuple[z3.AstRef, tuple[Const, ...]]] = {}
        self.subterms: dict[int, tuple[Const, ...]] = {}
        self.packs: dict[int, z3.FuncDeclRef] = {}


def _tables(ctx: z3.Context) -> _Tables:
    tables = getattr(ctx, "_cnverify_alpha", None)
    if tables is None:
        tables = _Tables()
        ctx._cnverify_alpha = tables
    return tables


def _constants(known: dict[int, tuple[Const, ...]], ref: Any, a: Any) -> tuple[Const, ...]:
    """The uninterpreted constants of the formula ``a`` by first occurrence (depth first, left to right; not
    inside a quantifier), each subterm's kept in ``known``: a subterm met again, in this formula or a later
    one, is not walked again.  A term's are its arguments' in order, each constant once.  The walk runs on
    plain integers (:class:`C`)."""
    r, root = ref.value, a.value
    found = known.get(root)
    if found is not None:
        return found
    kind, nargs, arg, decl, decl_kind = C.kind, C.nargs, C.arg, C.decl, C.decl_kind  # locals: one lookup per walk
    arguments: dict[int, list[int]] = {}
    stack = [root]
    while stack:  # a node once its arguments are known
        node = stack[-1]
        if node in known:
            stack.pop()
            continue
        args = arguments.get(node)
        if args is None:
            n = nargs(r, node) if kind(r, node) == _APP else -1
            if n <= 0:
                uninterpreted = n == 0 and decl_kind(r, decl(r, node)) == _UNINTERPRETED
                known[node] = ((node, ast_of(node), C.sort_id(r, C.get_sort(r, node))),) if uninterpreted else ()
                stack.pop()
                continue
            args = arguments[node] = [arg(r, node, j) for j in range(n)]
            missing = [x for x in args if x not in known]
            if missing:
                stack += missing
                continue
        parts = [p for x in args if (p := known[x])]
        if len(parts) <= 1:
            known[node] = parts[0] if parts else ()
        else:
            seen: dict[int, Const] = {}
            for p in parts:
                for c in p:
                    if c[0] not in seen:
                        seen[c[0]] = c
            known[node] = tuple(seen.values())
        stack.pop()
    return known[root]


def ast_of(a: int) -> Any:
    """The Python API's AST pointer object for the pointer ``a`` (``z3.Ast(a)`` would not set its value)."""
    return z3core.Ast.from_buffer_copy(ctypes.c_void_p(a))


def bool_ref(a: Any, ctx: z3.Context) -> z3.BoolRef:
    """``z3.BoolRef(a, ctx)`` (the same object: it holds one reference, released when it is freed) without
    the constructor's checked C calls."""
    out = object.__new__(z3.BoolRef)
    out.ast, out.ctx = a, ctx
    _inc_ref(ctx.ref(), a)
    return out


@dataclass(frozen=True)
class Renaming:
    """One query's renaming: the constant ``originals[i]`` (an AST pointer, alive while the query is)
    is called ``canonicals[i]`` in the canonical query."""

    ctx: z3.Context | None
    originals: tuple[Any, ...]
    canonicals: tuple[z3.ExprRef, ...]

    def model(self, canonical: z3.ModelRef) -> z3.ModelRef:
        """``canonical`` (a model of the canonical query) with every constant under its original name;
        whatever else it interprets (tracking labels, functions) is copied as it is."""
        if self.ctx is None:
            return canonical
        ctx = self.ctx
        r, cm = ctx.ref().value, canonical.model.value
        back = {C.decl(r, c.ast.value): o.value for c, o in zip(self.canonicals, self.originals, strict=True)}
        out = z3.Model(ctx)
        om = out.model.value
        for i in range(C.model_num_consts(r, cm)):  # in ``canonical.decls()``'s order: constants, then functions
            d = C.model_const_decl(r, cm, i)
            value = C.model_const_interp(r, cm, d)
            original = back.get(d)
            if original is not None:
                C.add_const_interp(r, om, C.decl(r, original), value)
            elif value and not C.is_as_array(r, value):  # what ``update_value(d, get_interp(d))`` adds
                C.add_const_interp(r, om, d, value)
            else:
                _copy(out, canonical, d, ctx)
        for i in range(C.model_num_funcs(r, cm)):
            _copy(out, canonical, C.model_func_decl(r, cm, i), ctx)
        return out


def _copy(out: z3.ModelRef, model: z3.ModelRef, d: int, ctx: z3.Context) -> None:
    """``out.update_value(d, model.get_interp(d))`` for the declaration ``d`` (a pointer)."""
    decl = z3.FuncDeclRef(ast_of(d), ctx)
    out.update_value(decl, model.get_interp(decl))


NONE = Renaming(None, (), ())


def canonical(exprs: Sequence[z3.BoolRef]) -> tuple[list[z3.BoolRef], Renaming]:
    """``exprs`` with their constants renamed by first occurrence, and the renaming."""
    if not exprs:
        return list(exprs), NONE
    ctx = exprs[0].ctx
    ref = ctx.ref()
    tables = _tables(ctx)
    order: dict[int, Const] = {}
    for e in exprs:
        a = e.as_ast()
        known = tables.formulas.get(_id(ref, a))
        if known is None:
            if len(tables.formulas) >= TERM_CACHE or len(tables.subterms) >= 8 * TERM_CACHE:
                tables.formulas.clear()
                tables.subterms.clear()
            known = tables.formulas[_id(ref, a)] = (e, _constants(tables.subterms, ref, a))
        for c in known[1]:
            if c[0] not in order:
                order[c[0]] = c
    if not order:
        return list(exprs), NONE
    canonicals = tuple(_canonical_constant(tables, ref, ctx, c[1], c[2], k) for k, c in enumerate(order.values()))
    n = len(canonicals)
    src = (z3core.Ast * n)(*(c[1] for c in order.values()))
    dst = (z3core.Ast * n)(*(c.as_ast() for c in canonicals))
    return _substituted(tables, ctx, exprs, n, src, dst), Renaming(ctx, tuple(c[1] for c in order.values()), canonicals)


def _substituted(
    tables: _Tables, ctx: z3.Context, exprs: Sequence[z3.BoolRef], n: int, src: Any, dst: Any
) -> list[z3.BoolRef]:
    """Each of ``exprs`` with ``src[i]`` replaced by ``dst[i]`` (``Z3_substitute``), in one call: the formulas are
    the arguments of one application of an uninterpreted Boolean function (rebuilt as it is, its arguments each
    as a call of its own rebuilds it: the replacement is a function of the subterm), then read back."""
    ref = ctx.ref()
    m = len(exprs)
    if m == 1 or not all(isinstance(e, z3.BoolRef) for e in exprs):
        return [bool_ref(_substitute(ref, e.as_ast(), n, src, dst), ctx) for e in exprs]
    pack = tables.packs.get(m)
    if pack is None:
        pack = tables.packs[m] = z3.Function("cnverify!renamed", *[z3.BoolSort(ctx)] * (m + 1))
    app = _mk_app(ref, pack.ast, m, (z3core.Ast * m)(*(e.as_ast() for e in exprs)))
    _inc_ref(ref, app)
    out = _substitute(ref, app, n, src, dst)
    _inc_ref(ref, out)  # before any other call: the context keeps only its last result
    _dec_ref(ref, app)
    renamed = [bool_ref(_arg(ref, out, i), ctx) for i in range(m)]
    _dec_ref(ref, out)
    return renamed


def _canonical_constant(tables: _Tables, ref: Any, ctx: z3.Context, original: Any, sort: int, k: int) -> z3.ExprRef:
    """The ``k``-th canonical constant of the sort (id ``sort``) of ``original`` (made once per context)."""
    found = tables.constants.get((sort, k))
    if found is None:
        made = _mk_const(ref, _int_symbol(ref, k), _get_sort(ref, original))
        found = tables.constants[(sort, k)] = z3.ExprRef(made, ctx)
    return found
