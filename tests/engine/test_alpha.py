"""``alpha.Renaming.model`` on Z3's C functions, tied to the Python API's calls it replaces."""

from __future__ import annotations

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
