"""Exact evaluation's terms on raw AST pointers (:mod:`cnverify.exact`'s working memory).

:class:`Terms` (one per context) keeps, across calls, each term's *structure* — classification, arguments,
free constants, evaluated-item form, literal value, a constant's declaration and name: pure functions of
the AST — and each *evaluation* keyed by everything ``Z3_model_eval`` reads: the set of (constant, value)
pairs of the partial model and the term (never completed, no other interpretation, the same parameters), and
by the pairs of the term's own constants alone (all the evaluator reads: ``NARROW``).
It holds every term it has seen (items, residues, values) by one reference, so a pointer in a key never
stands for another term while the key is known; all are released at once, between calls, past ``CAP``.
A :class:`Query` (one call) adds its models, one per set of values a term not evaluated before is
evaluated under, released when the call ends.  No outcome depends on what was evaluated before: a kept evaluation is the one Z3's evaluator gives for
the same values and term.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import z3
from cnverify.alpha import C, ast_of

if TYPE_CHECKING:
    from cnverify.exact import _State as State

_kind, _decl, _decl_kind, _nargs, _arg, _is_string = C.kind, C.decl, C.decl_kind, C.nargs, C.arg, C.is_string
_inc_ref, _dec_ref, _model_eval = C.inc_ref, C.dec_ref, C.model_eval
_APP, _NUMERAL = z3.Z3_APP_AST, z3.Z3_NUMERAL_AST
_TRUE, _FALSE, _AND, _NOT, _EQ = z3.Z3_OP_TRUE, z3.Z3_OP_FALSE, z3.Z3_OP_AND, z3.Z3_OP_NOT, z3.Z3_OP_EQ
_UNINTERPRETED, _INTERNAL = z3.Z3_OP_UNINTERPRETED, z3.Z3_OP_INTERNAL
_VALUE_KINDS = frozenset({_TRUE, _FALSE})
TRUE_ITEM, FALSE_ITEM = "true", "false"  # an evaluated item that is a truth value
_NONE_FREE: frozenset[int] = frozenset()
# Z3's evaluator reads a model's value of a constant only where the term has that constant (``evaluator_cfg::
# reduce_app_core`` asks ``get_const_interp`` at each constant it meets; its rewriters never read the model), so an
# evaluation is also kept by the values of the term's own constants: a residue re-evaluated once a constant it does
# not contain is fixed, or under another core check's or search node's values, is found again.  False: by every
# value (the path this replaces; the differential tests compare the two).
NARROW = True
# The empty model is never extended, so it serves every call (its evaluator's cache, a function of each term it
# rewrote, only saves work).  False: one per call (the path this replaces).
ONE_EMPTY_MODEL = True
_UNKNOWN: Any = object()


class Decline(Exception):
    """Not decidable by exact evaluation: Z3 decides."""


def classify(ref: int, a: int) -> tuple[int, int]:
    """(``0`` value, ``1`` free constant, ``2`` other application; declaration kind) of an AST pointer."""
    kind = _kind(ref, a)
    if kind == _NUMERAL:
        return 0, 0
    if kind != _APP:
        raise Decline  # a quantifier or bound variable: not evaluated here
    dk = _decl_kind(ref, _decl(ref, a))
    if dk in _VALUE_KINDS or (dk == _INTERNAL and _is_string(ref, a)):  # a string literal's kind is internal
        return 0, dk
    if dk == _UNINTERPRETED and _nargs(ref, a) == 0:
        return 1, dk
    return 2, dk


# Operations Z3's model evaluator totalises (``x/0`` evaluates to 0) while its solver leaves them unspecified
# (``x/0`` may be any value): evaluating them could prove what Z3 refutes, so such obligations go to Z3.
PARTIAL_OPS = frozenset({z3.Z3_OP_DIV, z3.Z3_OP_IDIV, z3.Z3_OP_MOD, z3.Z3_OP_REM, z3.Z3_OP_POWER})


def ptr(e: z3.AstRef) -> int:
    return e.as_ast().value


Unit = tuple[int, int]  # a fixing: the constant's and the value's pointers
Values = frozenset[tuple[int, int]]  # a model's content: (constant, value) pointers


class Fixed:
    """A constant's value, the item that fixed it, and when (constants fixed earlier have lower stamps)."""

    __slots__ = ("const", "value", "item", "stamp")

    def __init__(self, const: int, value: int, item: int, stamp: int) -> None:
        self.const, self.value, self.item, self.stamp = const, value, item, stamp


CAP = 131_072  # terms (and evaluations) a context keeps: all released, between two calls, past it


class Terms:
    """Per context, kept across calls: each term's structure, a pure function of the live AST (a term is
    held by one reference from the first time it enters until :meth:`clear`, so its pointer is never another
    term's): classification, arguments, free constants, evaluated-item form, literal value, partial operations,
    a constant's declaration and name; and each evaluation by (set of values, term)."""

    __slots__ = (
        *("ref", "held", "classes", "arguments", "consts", "items", "literals", "decls", "names"),
        *("evals", "partials", "frees", "made", "empty", "true", "false"),
    )

    def __init__(self, ctx: z3.Context) -> None:
        self.ref = ctx.ref().value
        self.held: set[int] = set()
        self.classes: dict[int, tuple[int, int]] = {}
        self.arguments: dict[int, tuple[int, ...]] = {}
        self.consts: dict[int, set[int]] = {}
        self.items: dict[int, Any] = {}  # evaluated item → its units or None (true/false: by pointer)
        self.literals: dict[int, tuple[str, Any] | None] = {}
        self.decls: dict[int, int] = {}  # constant → its declaration
        self.names: dict[int, str] = {}
        self.evals: dict[tuple[Values, int], int] = {}  # (values, term) → Z3_model_eval's result (held)
        self.partials: dict[int, bool] = {}  # a term or subterm → does it contain one of PARTIAL_OPS
        self.frees: dict[int, frozenset[int] | None] = {}  # a term → its constants (:meth:`Query.free`)
        self.made: dict[tuple[int, Any], int] = {}  # (sort, Python value) → the literal (:meth:`Query.value`)
        self.empty: int | None = None  # the model of no values (:meth:`Query.model`), once made
        self.true, self.false = self.hold(C.mk_true(self.ref)), self.hold(C.mk_false(self.ref))

    def hold(self, a: int) -> int:
        """Keep ``a`` (and so every subterm) alive until :meth:`clear`."""
        if a not in self.held:
            _inc_ref(self.ref, a)
            self.held.add(a)
        return a

    def clear(self) -> None:
        """Release every term and forget every structure (between calls only: a call's keys are held here)."""
        ref = self.ref
        for a in self.held:
            _dec_ref(ref, a)
        for table in (self.held, self.classes, self.arguments, self.consts, self.items, self.literals):
            table.clear()
        for kept in (self.decls, self.names, self.evals, self.partials, self.frees, self.made):
            kept.clear()
        if self.empty is not None:  # its evaluator's cache holds terms too
            C.model_dec_ref(ref, self.empty)
            self.empty = None
        self.true, self.false = self.hold(C.mk_true(ref)), self.hold(C.mk_false(ref))


def terms_of(ctx: z3.Context) -> Terms:
    """The context's :class:`Terms` (made once; emptied past ``CAP`` terms or evaluations).  It lives and dies
    with the context object and never releases a term then (the context frees them all)."""
    found: Terms | None = getattr(ctx, "_cnverify_exact_terms", None)
    if found is None:
        found = ctx._cnverify_exact_terms = Terms(ctx)
    elif len(found.held) > CAP or len(found.evals) > CAP or max(len(found.partials), len(found.frees)) > 4 * CAP:
        found.clear()
    return found


class Query:
    """One call's models (released by :meth:`close`) over the context's :class:`Terms`, on raw pointers.
    Terms are keyed by pointer: every term the call meets is held by :class:`Terms`, so no pointer stands for
    two terms."""

    def __init__(self, ctx: z3.Context) -> None:
        self.ctx, self.ref = ctx, ctx.ref().value
        t = self.terms = terms_of(ctx)
        self.hold = t.hold
        self.models: dict[Values, int] = {}
        self.evals, self.frees, self.made = t.evals, t.frees, t.made
        self.items, self.consts, self.literals, self.classes = t.items, t.consts, t.literals, t.classes
        self.decls, self.arguments, self.names = t.decls, t.arguments, t.names
        self.box = (ctypes.c_void_p * 1)()  # Z3_model_eval's out-parameter (read as an int each time)
        self.true, self.false = t.true, t.false

    def close(self) -> None:
        ref = self.ref
        for m in self.models.values():
            C.model_dec_ref(ref, m)

    def model(self, st: State) -> int:
        """A partial model of ``st.values`` (the constants of ``st.fixed`` fixed before the current round), built
        once per call and set of values, and only when a term not evaluated under them before is.  A model is never
        extended: Z3's evaluator caches terms, and a value added later is not seen.  The model of no values (every
        call's first round) is made once per context and kept with its terms (``ONE_EMPTY_MODEL``)."""
        if ONE_EMPTY_MODEL and not st.values:
            m = self.terms.empty
            if m is None:
                m = self.terms.empty = C.mk_model(self.ref)
                C.model_inc_ref(self.ref, m)
            return m
        m = self.models.get(st.values)
        if m is None:
            ref = self.ref
            m = self.models[st.values] = C.mk_model(ref)
            C.model_inc_ref(ref, m)
            decls, values = self.decls, st.values
            for c, f in st.fixed.items():
                if (c, f.value) not in values:  # fixed in the current round: seen from the next one on
                    continue
                d = decls.get(c)
                if d is None:
                    d = decls[c] = _decl(ref, c)
                C.add_const_interp(ref, m, d, f.value)
        return m

    def eval(self, st: State, a: int) -> int:
        """``model.eval(a, model_completion=False)`` under ``st``'s values, by the one C call it makes (once per
        term and values of its own constants in a context, while :class:`Terms` keeps it: ``NARROW``)."""
        key = (st.values, a)
        evals = self.evals
        out = evals.get(key)
        if out is None:
            values = st.values
            free = self.free(a) if values and NARROW else None
            narrow = key if free is None else (frozenset([p for p in values if p[0] in free]), a)
            out = evals.get(narrow)
            if out is None:
                model = st.model
                if model is None:
                    model = st.model = self.model(st)
                if not _model_eval(self.ref, model, a, False, self.box):
                    raise z3.Z3Exception("failed to evaluate expression in the model")
                out = evals[narrow] = self.hold(self.box[0] or 0)  # (never NULL when the call succeeds)
            evals[key] = out
        return out

    def free(self, a: int) -> frozenset[int] | None:
        """The uninterpreted constants ``a`` contains (None when it contains a quantifier or a bound variable,
        whose constants are not read here), once per term and subterm: a residue shares most of its subterms
        with the term it was evaluated from, so its walk stops where they start."""
        frees = self.frees
        out = frees.get(a, _UNKNOWN)
        if out is not _UNKNOWN:
            return out
        todo = [a]
        while todo:  # depth first, a node once its arguments are known
            b = todo[-1]
            if b in frees:
                todo.pop()
                continue
            try:
                cls, _ = self.classify(b)
            except Decline:
                cls = -1
            if cls == 2:
                args = self.args(b)
                missing = [x for x in args if x not in frees]
                if missing:
                    todo += missing
                    continue
                parts = {frees[x] for x in args}
                if None in parts:
                    out = None
                elif len(parts) == 1:
                    out = parts.pop()
                else:
                    out = frozenset().union(*parts)  # type: ignore[arg-type]  # (None is not in parts)
            else:
                out = _NONE_FREE if cls == 0 else frozenset((b,)) if cls == 1 else None
            frees[b] = out
            todo.pop()
        return frees[a]

    def value(self, sort: int, v: int | Fraction | str) -> int:
        """The literal of the sort ``sort`` (Int, Real or String) for ``v``, held, made once per context as
        ``z3.IntVal``/``z3.RealVal`` (one numeral of the sort) and ``z3.StringVal`` make it."""
        key = (sort, v)
        out = self.made.get(key)
        if out is None:
            if isinstance(v, str):
                made = z3.StringVal(v, self.ctx)  # held by ``made`` until held here
                out = self.hold(ptr(made))
            else:
                out = self.hold(C.mk_numeral(self.ref, str(v).encode(), sort))
            self.made[key] = out
        return out

    def partial(self, terms: Sequence[int]) -> bool:
        """Does one of the held ``terms`` contain an application of one of ``PARTIAL_OPS`` (a division, modulus,
        remainder or power)?  The walk goes through applications only (not into a numeral, a quantifier or a
        bound variable) and reads each node's classification and arguments as every later walk does (kept per
        term); each node walked without finding one is remembered (it is held: a subterm of a held term), so a
        later walk stops there."""
        partials, classify, args = self.terms.partials, self.classify, self.args
        for top in terms:
            found = partials.get(top)
            if found is None:
                todo, seen = [top], set()
                while todo and not found:
                    a = todo.pop()
                    if a in seen:
                        continue
                    known = partials.get(a)
                    if known is not None:
                        found = known
                        continue
                    seen.add(a)
                    try:
                        cls, dk = classify(a)
                    except Decline:  # a quantifier or a bound variable: not walked into
                        continue
                    if cls == 2:
                        found = dk in PARTIAL_OPS
                        todo += args(a)
                if found:
                    partials[top] = True
                else:
                    partials.update(dict.fromkeys(seen, False))
            if found:
                return True
        return False

    def verdict(self, a: int) -> Any:
        """An evaluated item: ``TRUE_ITEM``, ``FALSE_ITEM``, its units (a conjunction of ``constant ==
        value``: ``c``/``Not(c)`` for Booleans) or None (undetermined)."""
        if a == self.true:
            return TRUE_ITEM
        if a == self.false:
            return FALSE_ITEM
        if a in self.items:
            return self.items[a]
        self.classify(a)  # a quantifier or bound variable declines before anything else
        out = self.items[a] = self._units(a)
        return out

    def classify(self, a: int) -> tuple[int, int]:
        """:func:`classify`, once per term."""
        out = self.classes.get(a)
        if out is None:
            out = self.classes[a] = classify(self.ref, a)
        return out

    def args(self, a: int) -> tuple[int, ...]:
        """The arguments of the application ``a``, once per term."""
        out = self.arguments.get(a)
        if out is None:
            ref = self.ref
            out = self.arguments[a] = tuple([_arg(ref, a, i) for i in range(_nargs(ref, a))])
        return out

    def name(self, c: int) -> str:
        """The constant ``c``'s name (:meth:`cnverify.alpha.C.const_name`), once per constant."""
        out = self.names.get(c)
        if out is None:
            out = self.names[c] = C.const_name(self.ref, c)
        return out

    def _units(self, top: int) -> tuple[Unit, ...] | None:
        classify = self.classify
        cls, dk = classify(top)
        parts = self.args(top) if cls == 2 and dk == _AND else (top,)
        out: list[Unit] = []
        for p in parts:
            cls, dk = classify(p)
            if cls == 1:  # a Boolean constant
                out.append((p, self.true))
                continue
            if cls != 2 or dk not in (_NOT, _EQ):
                return None
            args = self.args(p)
            kinds = [classify(x)[0] for x in args]
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
                self.literals[a] = ("string", expr_of(a, self.ctx).as_string())
            else:
                self.literals[a] = None
        return self.literals[a]

    def scan(self, terms: Sequence[int], consts: dict[int, None], literals: list[int]) -> None:
        """Add the free constants (in the order found) and literal values of ``terms``."""
        seen, classify = set(), self.classify
        for a in terms:
            todo = [a]
            while todo:
                a = todo.pop()
                if a in seen:
                    continue
                seen.add(a)
                cls, _ = classify(a)
                if cls == 0:
                    literals.append(a)
                elif cls == 1:
                    consts[a] = None
                else:
                    todo += self.args(a)


def value_of(a: int, dk: int, ctx: z3.Context) -> z3.ExprRef:
    """:func:`expr_of` of a held value (classified ``(0, dk)``), as ``z3._to_expr_ref`` makes it (a literal's
    sort is never a finite set's) without its checked C calls: Booleans, strings, integer and real numerals."""
    ref = ctx.ref().value
    if dk in _VALUE_KINDS:
        cls: type[z3.ExprRef] = z3.BoolRef
    elif dk == _INTERNAL:
        cls = z3.SeqRef
    else:
        sort_kind = C.sort_kind(ref, C.get_sort(ref, a))
        if sort_kind == z3.Z3_INT_SORT:
            cls = z3.IntNumRef
        elif sort_kind == z3.Z3_REAL_SORT:
            cls = z3.RatNumRef
        else:
            return expr_of(a, ctx)
    out = object.__new__(cls)
    out.ast, out.ctx = ast_of(a), ctx
    _inc_ref(ref, a)  # released by the wrapper's ``__del__``
    return out


def expr_of(a: int, ctx: z3.Context) -> z3.ExprRef:
    """A Python API wrapper of the held term ``a`` (it takes its own reference)."""
    return z3.z3._to_expr_ref(ast_of(a), ctx)
