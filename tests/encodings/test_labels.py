"""encodings/labels: the plain evaluator (exact cases) and the Z3 encoding (Hypothesis oracle)."""

from __future__ import annotations

import itertools

import pytest
import z3
from cnverify.encodings.labels import (
    ABSENT,
    LABEL_VALUE_RE,
    NIL_EMPTY,
    LabelSpace,
    UnsupportedSelector,
    describe,
    format_labels,
    is_empty,
    render_label,
    requirement_matches,
    requirements,
    selector_matcher,
    selector_matches,
    selector_z3,
)
from cnverify.model.apps import LabelSelector
from hypothesis import given, settings
from hypothesis import strategies as st


def sel(**kw: object) -> LabelSelector:
    return LabelSelector.model_validate(kw)


@pytest.mark.parametrize(
    "selector,labels,expected",
    [
        (sel(matchLabels={"a": "1"}), {"a": "1", "b": "2"}, True),
        (sel(matchLabels={"a": "1"}), {"a": "2"}, False),
        (sel(matchExpressions=[{"key": "a", "operator": "In", "values": ["1", "2"]}]), {"a": "2"}, True),
        (sel(matchExpressions=[{"key": "a", "operator": "In", "values": ["1"]}]), {}, False),
        (sel(matchExpressions=[{"key": "a", "operator": "NotIn", "values": ["1"]}]), {}, True),
        (sel(matchExpressions=[{"key": "a", "operator": "NotIn", "values": ["1"]}]), {"a": "1"}, False),
        (sel(matchExpressions=[{"key": "a", "operator": "Exists"}]), {"a": ""}, True),
        (sel(matchExpressions=[{"key": "a", "operator": "DoesNotExist"}]), {"a": ""}, False),
        (sel(matchLabels={"a": "1"}, matchExpressions=[{"key": "b", "operator": "Exists"}]), {"a": "1"}, False),
        ({"a": "1"}, {"a": "1"}, True),
        ({"a": "1"}, {"a": ""}, False),
    ],
)
def test_evaluator(selector: object, labels: dict[str, str], expected: bool) -> None:
    assert selector_matches(selector, labels, nil_matches=False, empty_matches=True) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "field,nil,empty",
    [
        ("service", False, False),
        ("pdb-v1", False, True),
        ("pdb-v1beta1", False, False),
        ("networkpolicy", True, True),
        ("subset", True, True),
    ],
)
def test_nil_and_empty_per_field(field: str, nil: bool, empty: bool) -> None:
    n, e = NIL_EMPTY[field]
    assert selector_matches(None, {"a": "1"}, nil_matches=n, empty_matches=e) is nil
    assert selector_matches(sel(), {"a": "1"}, nil_matches=n, empty_matches=e) is empty
    assert selector_matches({}, {"a": "1"}, nil_matches=n, empty_matches=e) is empty


@pytest.mark.parametrize(
    "expr",
    [
        {"key": "a", "operator": "Gt", "values": ["1"]},
        {"key": "a", "operator": "In", "values": []},
        {"key": "a", "operator": "Exists", "values": ["x"]},
    ],
)
def test_invalid_requirements_raise(expr: dict[str, object]) -> None:
    with pytest.raises(UnsupportedSelector):
        selector_matches(sel(matchExpressions=[expr]), {}, nil_matches=False, empty_matches=True)


# --- Z3 encoding against the evaluator, over every label set of a small domain ------------------

KEYS = ("a", "b", "c")
SEL_VALUES = ("", "1", "2")
LABEL_VALUES = ("", "1", "2", "x")  # "x": any value no selector mentions
ALL_LABEL_SETS = [dict(zip(KEYS, combo, strict=True)) for combo in itertools.product((None, *LABEL_VALUES), repeat=3)]
ALL_LABEL_SETS = [{k: v for k, v in ls.items() if v is not None} for ls in ALL_LABEL_SETS]

requirement_st = st.one_of(
    st.builds(
        lambda k, op, vs: {"key": k, "operator": op, "values": sorted(vs)},
        st.sampled_from(KEYS),
        st.sampled_from(["In", "NotIn"]),
        st.sets(st.sampled_from(SEL_VALUES), min_size=1),
    ),
    st.builds(
        lambda k, op: {"key": k, "operator": op}, st.sampled_from(KEYS), st.sampled_from(["Exists", "DoesNotExist"])
    ),
)
selector_st = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(KEYS), st.sampled_from(SEL_VALUES), max_size=3),
    st.builds(
        lambda ml, me: LabelSelector.model_validate(
            {**({"matchLabels": ml} if ml is not None else {}), **({"matchExpressions": me} if me is not None else {})}
        ),
        st.none() | st.dictionaries(st.sampled_from(KEYS), st.sampled_from(SEL_VALUES), max_size=2),
        st.none() | st.lists(requirement_st, max_size=3),
    ),
)


def z3_value(expr: z3.BoolRef, space: LabelSpace, labels: dict[str, str]) -> bool:
    subst = [(space.has(k), z3.BoolVal(k in labels)) for k in space.keys]
    subst += [(space.value(k), z3.StringVal(labels.get(k, ""))) for k in space.keys]
    out = z3.simplify(z3.substitute(expr, *subst))
    assert z3.is_true(out) or z3.is_false(out), out
    return z3.is_true(out)


@settings(max_examples=150, deadline=None)
@given(selector_st, st.booleans(), st.booleans())
def test_z3_matches_evaluator_on_every_label_set(selector: object, nil: bool, empty: bool) -> None:
    space = LabelSpace("p", KEYS)
    expr = selector_z3(selector, space, nil_matches=nil, empty_matches=empty)  # type: ignore[arg-type]
    for labels in ALL_LABEL_SETS:
        expected = selector_matches(selector, labels, nil_matches=nil, empty_matches=empty)  # type: ignore[arg-type]
        assert z3_value(expr, space, labels) is expected, labels


@settings(max_examples=60, deadline=None)
@given(selector_st, selector_st)
def test_overlap_is_sat_iff_some_label_set_is_selected_by_both(s1: object, s2: object) -> None:
    space = LabelSpace("p", KEYS)
    both = z3.And(
        selector_z3(s1, space, nil_matches=False, empty_matches=True),  # type: ignore[arg-type]
        selector_z3(s2, space, nil_matches=False, empty_matches=True),
    )  # type: ignore[arg-type]
    solver = z3.Solver()
    solver.add(both, space.valid())
    expected = any(
        selector_matches(s1, ls, nil_matches=False, empty_matches=True)  # type: ignore[arg-type]
        and selector_matches(s2, ls, nil_matches=False, empty_matches=True)  # type: ignore[arg-type]
        for ls in ALL_LABEL_SETS
    )
    result = solver.check()
    assert (result == z3.sat) is expected
    if result == z3.sat:  # the witness is a real label set that both select
        m = solver.model()
        witness = {k: render_label(m.eval(space.shown(k), model_completion=True).as_string()) for k in KEYS}
        labels = {k: v for k, v in witness.items() if v is not None}
        assert all(len(v) <= 63 and (v == "" or v[0].isalnum() and v[-1].isalnum()) for v in labels.values())
        assert selector_matches(s1, labels, nil_matches=False, empty_matches=True)  # type: ignore[arg-type]
        assert selector_matches(s2, labels, nil_matches=False, empty_matches=True)  # type: ignore[arg-type]


def test_invalid_in_values_cannot_be_selected() -> None:
    space = LabelSpace("p", ["a"])
    s = z3.Solver()
    s.add(selector_z3({"a": "bad value"}, space, nil_matches=False, empty_matches=True), space.valid())
    assert s.check() == z3.unsat


def test_describe_and_format() -> None:
    assert describe("app", "In", ("web",)) == "app=web"
    assert describe("app", "NotIn", ("a", "b")) == "app notin (a,b)"
    assert describe("app", "DoesNotExist", ()) == "!app"
    assert format_labels({"b": None, "a": "1"}) == "{a=1, !b}"


# --- The run's term cache builds the z3 API's terms (issue 15: same ASTs, so the same queries) -----


def api_requirement(space: LabelSpace, key: str, op: str, values: tuple[str, ...]) -> z3.BoolRef:
    """The requirement as the z3 API built it before the cache (reference for the ids)."""
    has, val = space.has(key), space.value(key)
    among = z3.Or([val == z3.StringVal(v) for v in values]) if values else z3.BoolVal(False)
    return {"In": z3.And(has, among), "NotIn": z3.Or(z3.Not(has), z3.Not(among)), "Exists": has}.get(op, z3.Not(has))


def api_label_is(space: LabelSpace, key: str, labels: dict[str, str]) -> z3.BoolRef:
    if key in labels:
        return z3.And(space.has(key), space.value(key) == z3.StringVal(labels[key]))
    return z3.Not(space.has(key))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(selector_st, min_size=1, max_size=3),
    st.sampled_from(ALL_LABEL_SETS),
    st.lists(st.sampled_from(KEYS), max_size=3),
    st.sampled_from(["p", "q"]),
)
def test_cached_terms_are_the_api_terms(
    selectors: list[object], labels: dict[str, str], some: list[str], name: str
) -> None:
    terms: dict = {}  # type: ignore[type-arg]
    for again in (False, True):  # the second round answers from the cache
        space = LabelSpace(name, reversed(KEYS) if again else KEYS, terms)
        assert space.has("a").get_id() == z3.Bool(f"{name}.has[a]").get_id()
        assert space.value("b").get_id() == z3.String(f"{name}[b]").get_id()
        for s in selectors:
            for key, op, values in requirements(s):  # type: ignore[arg-type]
                assert space.requirement(key, op, values).get_id() == api_requirement(space, key, op, values).get_id()
            reqs = [api_requirement(space, k, op, vs) for k, op, vs in requirements(s)]  # type: ignore[arg-type]
            if s is not None and not is_empty(s):  # type: ignore[arg-type]
                got = selector_z3(s, space, nil_matches=False, empty_matches=True)  # type: ignore[arg-type]
                assert got.get_id() == z3.And(reqs).get_id()
        for k in KEYS:
            assert space.label_is(k, labels).get_id() == api_label_is(space, k, labels).get_id()
            want = z3.If(space.has(k), space.value(k), z3.StringVal(ABSENT))
            assert space.shown(k).get_id() == want.get_id()
        assert space.equals(labels).get_id() == z3.And([api_label_is(space, k, labels) for k in KEYS]).get_id()
        valid = z3.And(
            [
                z3.Implies(
                    space.has(k), z3.And(z3.Length(space.value(k)) <= 63, z3.InRe(space.value(k), LABEL_VALUE_RE))
                )
                for k in some
            ]
        )
        assert space.valid(some).get_id() == valid.get_id()


def _matches_before(selector: object, labels: dict[str, str], nil: bool, empty: bool) -> bool:
    """``selector_matches`` as written before ``selector_matcher`` (the selector parsed on every call)."""
    if selector is None:
        return nil
    if is_empty(selector):  # type: ignore[arg-type]
        return empty
    return all(requirement_matches(k, op, vs, labels) for k, op, vs in requirements(selector))  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(selector_st, st.booleans(), st.booleans())
def test_one_matcher_answers_every_label_set_as_before(selector: object, nil: bool, empty: bool) -> None:
    matches = selector_matcher(selector, nil_matches=nil, empty_matches=empty)  # type: ignore[arg-type]
    answers = [matches(labels) for labels in ALL_LABEL_SETS]
    assert answers == [_matches_before(selector, labels, nil, empty) for labels in ALL_LABEL_SETS]


def test_a_matcher_of_an_invalid_selector_raises_when_made() -> None:
    bad = sel(matchExpressions=[{"key": "a", "operator": "In", "values": []}])
    with pytest.raises(UnsupportedSelector):
        selector_matcher(bad, nil_matches=False, empty_matches=True)
