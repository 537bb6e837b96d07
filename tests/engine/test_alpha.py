"""``alpha.shape``: the memo key of exact evaluation, tied to the path it replaces (``alpha.canonical``'s
terms and ``Renaming.name_order``): the same partition of queries, the same name order."""

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


formula = st.tuples(
    st.integers(0, 3), st.sampled_from(NAMES), st.sampled_from(NAMES), st.integers(-2, 2), st.integers(0, 1)
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(formula, min_size=1, max_size=4), min_size=2, max_size=8))
def test_shape_partitions_queries_as_canonical_does(queries: list[list[tuple[int, str, str, int, int]]]) -> None:
    built = []
    for q in queries:
        try:
            built.append([_term(*f) for f in q])
        except z3.Z3Exception:  # a name used with two sorts in one formula: not a query
            continue
    keep: list[object] = []  # canonical terms alive: their ids are not reused within the test
    by_shape: dict[tuple[object, ...], set[int]] = {}
    by_canonical: dict[tuple[object, ...], set[int]] = {}
    for n, q in enumerate(built):
        terms, links, order = alpha.shape(q)
        renamed, renaming = alpha.canonical(q)
        keep.append(renamed)
        assert order == renaming.name_order()
        assert len(links) == sum(len(alpha._tables(q[0].ctx).shapes[e.ast.value].constants) for e in q)
        by_shape.setdefault((tuple(t.get_id() for t in terms), links, order), set()).add(n)
        by_canonical.setdefault((tuple(t.get_id() for t in renamed), order), set()).add(n)
    assert sorted(map(sorted, by_shape.values())) == sorted(map(sorted, by_canonical.values()))


def test_shape_renames_each_formula_by_itself_and_links_them() -> None:
    n, s, m = z3.Int("n"), z3.String("s"), z3.Int("m")
    terms, links, order = alpha.shape([z3.Length(s) == n, m > n])
    assert [str(t) for t in terms] == ["Length(k!0) == k!1", "k!0 > k!1"]  # each formula on its own
    assert links == (0, 1, 2, 1)  # s n | m n, numbered over the whole query
    assert order == (2, 1, 0)  # s, n, m by name
    again = alpha.shape([z3.Length(z3.String("t")) == z3.Int("p"), z3.Int("q") > z3.Int("p")])
    assert [t.get_id() for t in again[0]] == [t.get_id() for t in terms] and again[1] == links
    assert again[2] == (2, 0, 1)  # t, p, q: another name order, another key
    assert alpha.shape([z3.BoolVal(True)])[1:] == ((), ())
