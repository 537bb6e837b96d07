"""Set-level shortcuts of the selector building against the definitions they replace: ``as_written`` over one
joined string (each string printable ASCII without a backslash), ``PodShape.free_keys`` through the controller keys
the selectors mention, and ``selected_by``'s no-free-key test (every selector read on the written labels)."""

from __future__ import annotations

from cnverify.model import Deployment
from cnverify.properties._shared.selectors.pods import DYNAMIC_KEYS, Parsed, shape_of
from cnverify.properties._shared.terms import as_written
from hypothesis import given
from hypothesis import strategies as st

KEYS = st.sampled_from(["app", "tier", "pod-template-hash", "version", "x"])
TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=6)


@given(st.lists(TEXT, max_size=5))
def test_as_written_is_every_string_as_written(texts: list[str]) -> None:
    assert as_written(texts) == all(t.isascii() and t.isprintable() and "\\" not in t for t in texts)


def _shape(labels: dict[str, str]):  # type: ignore[no-untyped-def]
    spec = {
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": []}},
    }
    meta = {"name": "web", "namespace": "shop"}
    return shape_of(
        Deployment.model_validate({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec})
    )


@given(st.dictionaries(KEYS, st.sampled_from(["a", "b"]), max_size=4), st.sets(KEYS, max_size=5))
def test_free_keys_are_the_unwritten_controller_keys(labels: dict[str, str], keys: set[str]) -> None:
    shape = _shape(labels)
    assert shape.dynamic == DYNAMIC_KEYS["Deployment"]
    assert shape.free_keys(keys) == {k for k in keys if k in shape.dynamic and k not in shape.labels}


@given(
    st.dictionaries(KEYS, st.sampled_from(["a", "b"]), max_size=4),
    st.lists(st.dictionaries(KEYS, st.sampled_from(["a", "b"]), min_size=1, max_size=3), min_size=1, max_size=2),
)
def test_selected_by_reads_written_labels_exactly_when_no_key_is_free(
    labels: dict[str, str], selectors: list[dict[str, str]]
) -> None:
    shape, parsed = _shape(labels), Parsed.of(selectors)
    free = shape.free_keys(parsed.keys)
    wanted: dict[str, set[str]] = {}
    for sel in selectors:
        for k, v in sel.items():
            wanted.setdefault(k, set()).add(v)
    # a written key must equal every value asked; a free one (pod-template-hash) may take any one value
    expected = all(len(vs) == 1 and (k in free or labels.get(k) in vs) for k, vs in wanted.items())
    if not free:  # decided on the written labels, in Python
        assert shape.selected_by(parsed) is expected
    else:  # a controller key the selectors read: the solver
        assert shape.selected_by(parsed, {}) is expected
