"""Shortcuts of pod selection (``properties/_shared/selectors/pods.py``) against the paths they replace: a shape
whose selected keys are all written is selected exactly as the nested ``all`` over ``requirement_matches`` said; a
selection that mentions no runtime-computed key pins no shape (``PodShape.pinned`` is empty for every shape)."""

from __future__ import annotations

from typing import Any

from cnverify.encodings.labels import LabelSelector, UnsupportedSelector, requirement_matches
from cnverify.model import Deployment, StatefulSet
from cnverify.properties._shared.selectors.pods import HASH_KEYS, Parsed, PodShape, shape_of
from hypothesis import given, settings
from hypothesis import strategies as st

KEYS = ["app", "tier", "pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name"]
VALUES = ["web", "db", "web-0", ""]

labels = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=4)
expression = st.fixed_dictionaries(
    {
        "key": st.sampled_from(KEYS),
        "operator": st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist", "Gt"]),
        "values": st.lists(st.sampled_from(VALUES), max_size=2),
    }
)
selector = st.one_of(
    st.none(),
    labels,
    st.builds(
        lambda m, e: LabelSelector.model_validate({"matchLabels": m, "matchExpressions": e}),
        labels,
        st.lists(expression, max_size=2),
    ),
)


def _shape(kind: str, written: dict[str, str]) -> PodShape:
    cls = {"Deployment": Deployment, "StatefulSet": StatefulSet}[kind]
    spec = {"selector": {"matchLabels": {"x": "y"}}, "template": {"metadata": {"labels": written}, "spec": {}}}
    return shape_of(cls.model_validate({"kind": kind, "metadata": {"name": "web", "namespace": "ns"}, "spec": spec}))


def _before(shape: PodShape, parsed: Parsed) -> bool | None:
    """``selected_by``'s exact branch as it was written before the shortcut (None: the solver decides)."""
    if shape.free_keys(parsed.keys):
        return None
    return all(
        r is not None and all(requirement_matches(k, op, vs, shape.labels) for k, op, vs in r) for r in parsed.reqs
    )


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["Deployment", "StatefulSet"]), labels, st.lists(selector, min_size=1, max_size=2))
def test_exact_selection_and_pinning_are_the_paths_they_replace(kind: str, written: Any, sels: list[Any]) -> None:
    shape = _shape(kind, written)
    try:
        parsed = Parsed.of(sels)
    except UnsupportedSelector:
        return
    try:
        expected = _before(shape, parsed)
    except UnsupportedSelector as exc:
        try:
            shape.selected_by(parsed)
        except UnsupportedSelector as again:
            assert str(again) == str(exc)
            return
        raise AssertionError("the shortcut accepted what the nested all rejected") from exc
    if expected is not None:
        assert shape.selected_by(parsed) is expected
    if parsed.keys.isdisjoint(HASH_KEYS):
        assert shape.pinned(*parsed.selectors) == set()
