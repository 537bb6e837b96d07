"""``alpha.Renaming.model`` on Z3's C functions, tied to the Python API's calls it replaces."""

from __future__ import annotations

from typing import Any

import z3
from cnverify import alpha
from hypothesis import given, settings
from hypothesis import strategies as st

NAMES = ["a", "b", "c", "k!0", "k!1"]  # k!N: a constant named like a canonical one is renamed like any other


def _term(kind: int, x: str, y: str, lit: int, sort_of_y: int) -> z3.BoolRef:
    """One formula from a small grammar over Int and String constants (shared subterms, several sorts)."""
    i, j = z3.Int(x), z3.Int(y)
    s = z3.String(y)
    if kind == 0:
        return i == lit
    if kind == 1:
        return z3.And(i + j > lit, i <= j) if sort_of_y == 0 else z3.Length(s) == i + lit
    if kind == 2:
        return z3.Or(i == j, z3.Not(i > lit))
    return z3.Implies(s == z3.StringVal(str(lit)), i < lit) if sort_of_y else z3.If(i > j, i, j) == lit


def reference_model(renaming: alpha.Renaming, canonical: z3.ModelRef) -> z3.ModelRef:
    """``Renaming.model`` as it was on the Python API (main 56ea4c2), the path the C calls replace."""
    assert renaming.ctx is not None
    ref = renaming.ctx.ref()
    back = {c.decl().get_id(): o for c, o in zip(renaming.canonicals, renaming.originals, strict=True)}
    out = z3.Model(renaming.ctx)
    for d in canonical.decls():
        original = back.get(d.get_id())
        if original is None:
            out.update_value(d, canonical.get_interp(d))
        else:
            interp = z3.Z3_model_get_const_interp(ref, canonical.model, d.ast)
            z3.Z3_add_const_interp(ref, out.model, z3.Z3_get_app_decl(ref, original), interp)
    return out


def _modelled(kind: int, x: str, y: str, lit: int, sort_of_y: int) -> z3.BoolRef:
    """:func:`_term`'s grammar with a function, an array and a Boolean (what else a model interprets)."""
    f = z3.Function("f", z3.IntSort(), z3.IntSort())
    a = z3.Array(f"arr_{y}", z3.IntSort(), z3.IntSort())
    if kind == 4:
        return f(z3.Int(x)) == lit + sort_of_y
    if kind == 5:
        return z3.Select(a, z3.Int(x)) == lit
    if kind == 6:
        return z3.Bool(x) == (z3.Int(y) > lit)
    return _term(kind, x, y, lit, sort_of_y)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6), st.sampled_from(NAMES), st.sampled_from(NAMES), st.integers(-2, 2), st.integers(0, 1)
        ),
        min_size=1,
        max_size=6,
    )
)
def test_renamed_model_is_the_python_apis(query: list[tuple[int, str, str, int, int]]) -> None:
    """The model mapped back to the original names (tracking labels, functions, arrays copied as they are) is
    the one the Python API's calls gave: the same interpretations, in the same order."""
    exprs = [_modelled(*f) for f in query]
    terms, renaming = alpha.canonical(exprs)
    s = z3.Solver()
    for i, t in enumerate(terms):
        s.assert_and_track(t, f"track!{i}")
    if s.check() != z3.sat:
        return
    m = s.model()
    got, want = renaming.model(m), reference_model(renaming, m)
    assert got.sexpr() == want.sexpr()
    assert [str(d) for d in got.decls()] == [str(d) for d in want.decls()]
    for e in exprs:
        assert got.eval(e, model_completion=True).eq(want.eval(e, model_completion=True))


# ``canonical`` as it was before the sixth wave of issue 15 (main d6498c4): each formula walked whole, each renamed
# by a ``Z3_substitute`` call of its own.  The one now keeps each subterm's constants and renames the query's
# formulas in one call; it must give the very same canonical terms and renaming.
def reference_constants(ref: Any, a: Any) -> list[tuple[int, Any, int]]:
    r = ref.value
    seen: set[int] = set()
    out: list[tuple[int, Any, int]] = []
    stack = [a.value]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if alpha.C.kind(r, node) != z3.Z3_APP_AST:
            continue
        n = alpha.C.nargs(r, node)
        if n == 0:
            if alpha.C.decl_kind(r, alpha.C.decl(r, node)) == z3.Z3_OP_UNINTERPRETED:
                out.append((node, alpha.ast_of(node), alpha.C.sort_id(r, alpha.C.get_sort(r, node))))
        else:
            stack += [alpha.C.arg(r, node, j) for j in range(n - 1, -1, -1)]
    return out


def reference_canonical(exprs: list[z3.BoolRef]) -> tuple[list[z3.BoolRef], list[z3.ExprRef]]:
    """The canonical terms and the renamed constants (originals) the previous path gave."""
    ctx = exprs[0].ctx
    ref = ctx.ref()
    order: dict[int, tuple[int, Any, int]] = {}
    for e in exprs:
        for c in reference_constants(ref, e.as_ast()):
            order.setdefault(c[0], c)
    canonicals = [z3.Const(k, z3.ExprRef(c[1], ctx).sort()) for k, c in enumerate(order.values())]  # ``k!k``
    pairs = [(z3.ExprRef(c[1], ctx), canonicals[k]) for k, c in enumerate(order.values())]
    renamed = [z3.substitute(e, *pairs) if pairs else e for e in exprs]
    return renamed, [z3.ExprRef(c[1], ctx) for c in order.values()]


def _deep(kind: int, x: str, y: str, lit: int, sort_of_y: int, depth: int) -> z3.BoolRef:
    """:func:`_modelled`'s formulas under shared Boolean structure: the same subterms in several formulas and
    twice in one (a quantified one keeps its bound and inner constants as they are)."""
    t = _modelled(kind, x, y, lit, sort_of_y)
    for i in range(depth):
        u = _term((kind + i) % 4, y, x, lit + i, sort_of_y)
        t = [z3.And(t, u), z3.Or(u, t, u), z3.Implies(t, u), z3.If(u, t, z3.Not(t))][(kind + i) % 4]
    if depth == 3:
        v = z3.Int("bound")
        t = z3.And(t, z3.ForAll([v], z3.Or(v > z3.Int(x), z3.Int(y) > lit)))
    return t


FORMULA = st.tuples(
    st.integers(0, 6),
    st.sampled_from(NAMES),
    st.sampled_from(NAMES),
    st.integers(-2, 2),
    st.integers(0, 1),
    st.integers(0, 3),
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.lists(FORMULA, min_size=1, max_size=7), min_size=1, max_size=4), st.sampled_from([2, 5, 65_536]))
def test_canonical_is_the_previous_paths(queries: list[list[tuple[int, ...]]], cache: int) -> None:
    """Queries in sequence (each subterm's constants kept across them, dropped past a small cap), each with the
    previous path's canonical terms (the same ASTs) and renaming."""
    old = alpha.TERM_CACHE
    alpha.TERM_CACHE = cache
    try:
        for query in [*queries, *queries]:
            exprs = [_deep(*f) for f in query]
            terms, renaming = alpha.canonical(exprs)
            want_terms, want_originals = reference_canonical(exprs)
            assert [t.get_id() for t in terms] == [t.get_id() for t in want_terms]
            assert [z3.ExprRef(o, exprs[0].ctx).get_id() for o in renaming.originals] == [
                o.get_id() for o in want_originals
            ]
            assert [str(c) for c in renaming.canonicals] == [f"k!{k}" for k in range(len(want_originals))]
    finally:
        alpha.TERM_CACHE = old
