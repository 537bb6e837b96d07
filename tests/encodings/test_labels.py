"""encodings/labels: the plain evaluator (exact cases) and the Z3 encoding (Hypothesis oracle)."""
from __future__ import annotations

import pytest

from cnverify.encodings.labels import NIL_EMPTY, UnsupportedSelector, selector_matches
from cnverify.model.apps import LabelSelector


def sel(**kw: object) -> LabelSelector:
    return LabelSelector.model_validate(kw)


@pytest.mark.parametrize("selector,labels,expected", [
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
])
def test_evaluator(selector: object, labels: dict[str, str], expected: bool) -> None:
    assert selector_matches(selector, labels, nil_matches=False, empty_matches=True) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("field,nil,empty", [("service", False, False), ("pdb-v1", False, True),
                                             ("pdb-v1beta1", False, False), ("networkpolicy", True, True),
                                             ("subset", True, True)])
def test_nil_and_empty_per_field(field: str, nil: bool, empty: bool) -> None:
    n, e = NIL_EMPTY[field]
    assert selector_matches(None, {"a": "1"}, nil_matches=n, empty_matches=e) is nil
    assert selector_matches(sel(), {"a": "1"}, nil_matches=n, empty_matches=e) is empty
    assert selector_matches({}, {"a": "1"}, nil_matches=n, empty_matches=e) is empty


@pytest.mark.parametrize("expr", [{"key": "a", "operator": "Gt", "values": ["1"]},
                                  {"key": "a", "operator": "In", "values": []},
                                  {"key": "a", "operator": "Exists", "values": ["x"]}])
def test_invalid_requirements_raise(expr: dict[str, object]) -> None:
    with pytest.raises(UnsupportedSelector):
        selector_matches(sel(matchExpressions=[expr]), {}, nil_matches=False, empty_matches=True)
