"""The one-call constructors build exactly the terms the z3 API builds (same hash-consed AST ids)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
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
    assert zterms.same(X, z3.IntVal(1)).get_id() == (X == z3.IntVal(1)).get_id()  # Python reflects: 1 == x
    assert zterms.conj([A, True]).get_id() == z3.And(A, True).get_id()
    assert zterms.neg(True).get_id() == z3.Not(True).get_id()
    assert str(zterms.same(X, R)) == "ToReal(x) == r"


Z = z3.Int("z")
N = z3.IntVal(7)
int_terms = st.recursive(
    st.sampled_from([X, Y, Z, N, X + 1, 2 * Y]),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda p: p[0] + p[1]),
        st.tuples(inner, st.integers(-5, 5)).map(lambda p: p[0] * p[1]),
        st.tuples(inner, inner).map(lambda p: z3.If(A, p[0], p[1])),
    ),
    max_leaves=6,
)
# what a Python expression may put beside an Int term: terms, ints (huge and negative), a bool, a Real, a float
operands = st.one_of(
    int_terms,
    st.integers(),
    st.integers(-(10**40), 10**40),
    st.booleans(),
    st.just(R),
    st.just(z3.RealVal("1/2")),
    st.just(2.5),
)
OPS = [
    (zterms.ge, lambda a, b: a >= b),
    (zterms.le, lambda a, b: a <= b),
    (zterms.gt, lambda a, b: a > b),
    (zterms.lt, lambda a, b: a < b),
    (zterms.eq, lambda a, b: a == b),
    (zterms.ne, lambda a, b: a != b),
    (zterms.add, lambda a, b: a + b),
    (zterms.sub, lambda a, b: a - b),
    (zterms.mul, lambda a, b: a * b),
]


def _agree(built: Callable[..., object], expected: Callable[..., object], *args: object) -> None:
    """The same term, or the same exception (``r >= False``: the API cannot parse the numeral)."""
    try:
        want = expected(*args)
    except Exception as exc:
        with pytest.raises(type(exc)):
            built(*args)
        return
    _same_term(built(*args), want)


def _same_term(built: object, expected: object) -> None:
    assert type(built) is type(expected)
    if isinstance(expected, z3.AstRef):
        assert built.get_id() == expected.get_id()  # type: ignore[attr-defined]
    else:
        assert built == expected


@settings(max_examples=500, deadline=None)
@given(st.one_of(int_terms, operands), operands)
def test_the_integer_constructors_build_the_operators_terms(a: object, b: object) -> None:
    for pair in ((a, b), (b, a)):
        if not any(isinstance(x, z3.ExprRef) for x in pair):
            continue  # two Python values: not a term
        for built, python in OPS:
            _agree(built, python, *pair)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(int_terms, st.integers(-3, 3), st.just(R)), min_size=1, max_size=5), int_terms, operands)
def test_sum_and_if_build_the_api_terms(items: list[object], a: z3.ArithRef, b: object) -> None:
    _agree(zterms.total, z3.Sum, items)
    for c in (A, X == Y, z3.BoolVal(True)):
        _agree(zterms.ite, z3.If, c, a, b)
        _agree(zterms.ite, z3.If, c, b, a)


def test_constants_and_numerals_outlive_the_calls_that_made_them() -> None:
    assert zterms.int_const("pods Deployment/web").get_id() == z3.Int("pods Deployment/web").get_id()
    assert zterms.bool_const("has limits.cpü").get_id() == z3.Bool("has limits.cpü").get_id()
    for name in ("pod[app]", "pod[app.kubernetes.io/nämé]", "x"):
        t = zterms.string_const(name)
        assert type(t) is z3.SeqRef and t.get_id() == z3.String(name).get_id() and t.sort() == z3.StringSort()
    terms = [zterms.mul(k, zterms.add(Z, k + 1)) for k in range(2000)]  # a numeral per call, none kept by Python
    assert [str(t) for t in terms[:2]] == ["0*(z + 1)", "1*(z + 2)"]
    assert all(t.eq(k * (Z + (k + 1))) for k, t in enumerate(terms))


def test_terms_made_without_the_api_wrapper_hold_their_own_reference() -> None:
    """``_wrap`` takes the reference ``AstRef.__init__`` takes: terms freed by Python leave the others intact."""
    for k in range(3000):
        t = zterms.conj([A, zterms.le(X, k)])
        u = zterms.add(X, k)
        assert type(u) is z3.ArithRef and type(zterms.add(N, 1)) is z3.ArithRef
        del t, u
    assert type(zterms.total([N])) is type(z3.Sum([N]))
    assert zterms.conj([A, zterms.le(X, 5)]).eq(z3.And(A, X <= 5))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12), st.text(max_size=12))
def test_strings_and_string_choices_are_the_api_terms(a: str, b: str) -> None:
    _same_term(zterms.string(a), z3.StringVal(a))
    s, t = zterms.string(a), zterms.string(b)
    _same_term(zterms.choose(A, s, t), z3.If(A, s, t))
    _same_term(zterms.choose(A, s, z3.String("v")), z3.If(A, s, z3.String("v")))
    _same_term(zterms.choose(A, X, Y), z3.If(A, X, Y))  # not strings: the API's
