"""The one-call constructors build exactly the terms the z3 API builds (same hash-consed AST ids)."""

from __future__ import annotations

import z3
from cnverify.encodings import zterms
from hypothesis import given, settings
from hypothesis import strategies as st

A, B, C = z3.Bools("a b c")
X, Y = z3.Ints("x y")
R = z3.Real("r")
ATOMS = [A, B, C, X == Y, X <= 3, z3.BoolVal(True), z3.BoolVal(False)]

atoms = st.sampled_from(ATOMS)
bools = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4).map(lambda xs: z3.And(*xs)),
        st.lists(inner, min_size=1, max_size=4).map(lambda xs: z3.Or(*xs)),
        inner.map(z3.Not),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(bools, min_size=1, max_size=5), bools, bools)
def test_the_constructors_build_the_api_terms(items: list[z3.BoolRef], a: z3.BoolRef, b: z3.BoolRef) -> None:
    assert zterms.conj(items).get_id() == z3.And(*items).get_id()
    assert zterms.disj(items).get_id() == z3.Or(*items).get_id()
    assert zterms.neg(a).get_id() == z3.Not(a).get_id()
    assert zterms.implies(a, b).get_id() == z3.Implies(a, b).get_id()
    assert zterms.same(a, b).get_id() == (a == b).get_id()


def test_what_is_not_two_terms_of_one_sort_goes_through_the_api() -> None:
    assert zterms.same(X, R).get_id() == (X == R).get_id()  # Int == Real: the API adds to_real
    assert zterms.same(X, 3).get_id() == (X == 3).get_id()
    assert zterms.conj([A, True]).get_id() == z3.And(A, True).get_id()
    assert zterms.neg(True).get_id() == z3.Not(True).get_id()
    assert str(zterms.same(X, R)) == "ToReal(x) == r"
