"""``source._convert`` (fast paths for plain keys and scalar values) against the plain depth-first walk it
replaces: the same value, null flag, positions in the same insertion order (``kustomize_build._entry`` reads
the first matching path in that order), and the same first error at the same node."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from cnverify import source
from cnverify.kubeyaml import KubeLoader, stays_text
from cnverify.source import MAX_DEPTH, ComposeError, Origin, Path, Position, _convert_pairs, position, scalar
from hypothesis import given, settings
from hypothesis import strategies as st


def reference_convert(node: yaml.Node, origin: Origin, spans: dict[Path, Position]) -> tuple[Any, bool]:
    """The walk as it was before the fast paths (main 49c69dc): every node pushed, popped and converted (a
    mapping by ``_convert_pairs``, the walk's step the fast path falls back to)."""
    nulls = False
    root: list[Any] = [None]
    stack: list[tuple[yaml.Node, Path, Any, Any, int]] = [(node, (), root, 0, 0)]
    while stack:
        n, path, parent, key, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ComposeError(f"nesting depth exceeds {MAX_DEPTH} levels", n)
        if type(parent) is list:
            spans[path] = position(n)
        if isinstance(n, yaml.ScalarNode):
            value = parent[key] = n.value if stays_text(n.tag, n.value) else scalar(n)
            nulls = nulls or value is None
        elif isinstance(n, yaml.SequenceNode):
            items: list[Any] = [None] * len(n.value)
            parent[key] = items
            for i, child in enumerate(n.value):
                stack.append((child, path + (i,), items, i, depth + 1))
        else:
            mapping: dict[Any, Any] = {}
            parent[key] = mapping
            _convert_pairs(n, path, mapping, depth, origin, spans, stack.append)  # the walk's mapping step
    return root[0], nulls


def outcome(convert: Any, node: yaml.Node) -> tuple[Any, ...]:
    spans: dict[Path, Position] = {}
    try:
        value, nulls = convert(node, Origin("f.yaml"), spans)
    except ComposeError as exc:
        return ("error", str(exc), position(exc.node))
    return ("ok", repr(value), nulls, list(spans.items()))  # repr: 1 and 1.0 and True differ


def nodes(text: str) -> list[yaml.Node]:
    loader = KubeLoader(text)
    try:
        out = []
        while loader.check_node():
            out.append(loader.get_node())
        return out
    finally:
        loader.dispose()


def assert_same(text: str) -> None:
    for node in nodes(text):
        assert outcome(source._convert, node) == outcome(reference_convert, node), text


KEYS = ["a", "b", "a", "'a'", "1", "0x1F", "true", "on", "~", "''", '"<<"', "<<", "[x]", "{k: v}", "!!int k", "!!int 3"]
SCALARS = [
    "x", "'1'", "1", "0x1F", "1.5", ".5", "1e3", "yes", "no", "~", "null", "''", "2001-01-01", "+.inf", ".nan",
    "!!int x", "!!int 3", "!!float 1", "!!bool yes", "!!str 1", "!!binary aGk=", "!!binary !!", "!Ref x", "-",
    "*anchor", "1_000", "9223372036854775808", "18446744073709551616",
]  # fmt: skip


def block(value: Any, indent: int) -> str:
    pad = " " * indent
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and value[0] == "seq":
        items = value[1:]
        if not items:
            return "[]"
        return "".join(f"\n{pad}- {block(v, indent + 2)}" for v in items)
    if not value:
        return "{}"
    return "".join(f"\n{pad}{k}: {block(v, indent + 2)}" for k, v in value)


trees = st.recursive(
    st.sampled_from(SCALARS),
    lambda inner: st.one_of(
        st.lists(st.tuples(st.sampled_from(KEYS), inner), max_size=5),
        st.lists(inner, max_size=4).map(lambda items: ["seq", *items]),
    ),
    max_leaves=25,
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KEYS), trees), min_size=1, max_size=5))
def test_fast_paths_match_the_walk(pairs: list[tuple[str, Any]]) -> None:
    text = "base: &anchor {a: 1, b: ~, '1': x}\n" + "".join(f"{k}: {block(v, 2)}\n" for k, v in pairs)
    try:
        found = nodes(text)
    except yaml.YAMLError:
        return  # not YAML (e.g. an alias inside a flow key): nothing to convert
    for node in found:
        assert outcome(source._convert, node) == outcome(reference_convert, node), text


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: !!int x\nc: {d: !!int y}\n",  # the walk meets c's error first (the last pushed)
        "a: !!int x\nb: [!!int y]\n",
        "a: 1\na: 2\nb: {!!int k: 1}\n",  # a duplicate before an unconvertible key: the key's error
        "a: {x: 1}\n<<: {a: 2, c: ~}\nd: 3\n",  # merge: explicit keys first, then merged ones
        "a: 1\n1: x\n'1': y\n",  # '1' twice once resolved
        "a: ~\nb: [~, 1]\n",
        "- a: 1\n  b: 2\n- [x, {c: ~}]\n- 3\n",
    ],
)
def test_examples_match_the_walk(text: str) -> None:
    assert_same(text)


@pytest.mark.parametrize("depth", [MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
@pytest.mark.parametrize("leaf", ["1", "x", "!!int x"])
def test_depth_limit_matches_the_walk(depth: int, leaf: str) -> None:
    """A scalar value one level below the limit is converted in place only where the walk would pass it."""
    assert_same("{a: " * depth + leaf + "}" * depth)
    assert_same("[" * depth + "{a: " + leaf + "}" + "]" * depth)
