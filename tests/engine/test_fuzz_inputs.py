"""Fuzzing the input side (bounded, runs in CI): random bytes, YAML-shaped text, objects of every modelled
kind with wrong types, and configuration files.  Never a traceback; every error names a file and a line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from cnverify import config, loader, snapshot
from cnverify.model.base import KIND_MODELS
from cnverify.source import Document, compose
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
PIECES = [
    "a",
    ": ",
    "- ",
    "\n",
    "  ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&x ",
    "*x",
    "<<: ",
    "!!int ",
    "!Ref ",
    "'",
    '"',
    "0x1F",
    "1e3",
    ".inf",
    "y",
    "~",
    "---\n",
    "? ",
    "|\n",
    "#",
    "\t",
    "::",
    "2001:db8::",
    "\\u00e9",
    "9" * 30,
    "apiVersion: v1\n",
    "kind: Service\n",
    "metadata: {name: s}\n",
    "spec: ",
    "ports: ",
    "port: ",
]
KINDS = sorted((group, kind) for group, kind in KIND_MODELS)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
FIELDS = [
    "spec",
    "metadata",
    "replicas",
    "selector",
    "template",
    "ports",
    "port",
    "targetPort",
    "minReplicas",
    "maxReplicas",
    "http",
    "route",
    "destination",
    "weight",
    "rules",
    "backendRefs",
    "hosts",
    "matchLabels",
    "containers",
    "resources",
    "limits",
    "requests",
    "name",
    "namespace",
    "labels",
    "traffic",
    "percent",
]


def _check(items: list[Any], file: str) -> None:
    for item in items:
        if not isinstance(item, Document):
            assert item.location.file == file and item.location.line >= 1 and item.message


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(tmp_path_factory: Any, raw: bytes) -> None:
    d = tmp_path_factory.mktemp("b")
    (d / "f.yaml").write_bytes(raw)
    result = loader.load([str(d)])
    _, errors = snapshot.build(result)
    for e in result.errors + errors:
        assert e.location.line >= 1 and e.message


@FUZZ
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_yaml_shaped_text_never_raises(pieces: list[str]) -> None:
    _check(list(compose("".join(pieces), "t.yaml")), "t.yaml")


def _shape(kind: tuple[str, str], spec: Any, paths: list[tuple[str, ...]]) -> dict[str, Any]:
    group, name = kind
    doc: dict[str, Any] = {
        "apiVersion": f"{group}/v1" if group else "v1",
        "kind": name,
        "metadata": {"name": "x"},
        "spec": {},
    }
    for path in paths:  # plant the random value at a few plausible field paths
        node = doc
        for key in path[:-1]:
            node = node.setdefault(key, {}) if isinstance(node.get(key, {}), dict) else node
        node[path[-1]] = copy.deepcopy(spec)
    return doc


@FUZZ
@given(
    st.sampled_from(KINDS),
    JSONISH,
    st.lists(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4).map(tuple), min_size=1, max_size=3),
    st.booleans(),
)
def test_modelled_kinds_with_wrong_types_are_located_errors(
    tmp_path_factory: Any, kind: tuple[str, str], value: Any, paths: list[tuple[str, ...]], as_json: bool
) -> None:
    doc = _shape(kind, value, paths)
    d = tmp_path_factory.mktemp("k")
    f = d / ("o.json" if as_json else "o.yaml")
    f.write_text(json.dumps(doc) if as_json else yaml.safe_dump(doc))
    result = loader.load([str(f)])
    _, errors = snapshot.build(result)
    for e in result.errors + errors:
        assert e.location.file == str(f) and e.location.line >= 1 and e.message


@FUZZ
@given(
    st.dictionaries(st.sampled_from(list(config.KEYS) + ["x", "Select"]), JSONISH, max_size=4),
    st.sampled_from([".cnverify.yaml", "ci.toml"]),
)
def test_config_files_load_or_fail_with_a_config_error(tmp_path_factory: Any, data: dict[str, Any], name: str) -> None:
    d = tmp_path_factory.mktemp("c")
    f = d / name
    if name.endswith(".toml"):
        f.write_text("".join(f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in data.items()))
    else:
        f.write_text(yaml.safe_dump(data))
    try:
        config.load(f)
    except config.ConfigError as exc:
        assert str(exc).startswith(str(f))


@FUZZ
@given(st.binary(max_size=200), st.sampled_from([".cnverify.yaml", "pyproject.toml", "x.toml"]))
def test_config_bytes_load_or_fail_with_a_config_error(tmp_path_factory: Any, raw: bytes, name: str) -> None:
    f: Path = tmp_path_factory.mktemp("r") / name
    f.write_bytes(raw)
    try:
        config.load(f)
    except config.ConfigError as exc:
        assert str(exc).startswith(str(f))


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)


@FUZZ
@given(
    st.lists(st.dictionaries(st.text(max_size=6), JSON_VALUE, min_size=1, max_size=3), min_size=1, max_size=4),
    st.sampled_from(["", "\n", " ", "\n\n  ", "\t"]),
)
def test_json_streams_read_as_kubectl_reads_them(values: list[dict[str, Any]], sep: str) -> None:
    text = sep.join(json.dumps(v) for v in values)
    items = list(compose(text, "s.json"))
    _check(items, "s.json")
    if all(isinstance(i, Document) for i in items):
        assert [i.data for i in items] == values


HOSTILE = (
    st.sampled_from(
        [
            "1" * 5000,
            "1" * 5000 + "%",
            "9" * 20 + "%",
            "-1%",
            "0x1F",
            "1e400",
            "1e3",
            "-5",
            "2147483648",
            "",
            " ",
            "100%",
            "1.5",
            "1" * 5000 + "m",
            "0.0000000001",
            "1e-1000",
            "*",
            "a" * 300,
            "*.",
            ".",
            "-",
            "/",
            "//",
            "$",
            "{{ x }}",
        ]
    )
    | st.integers(-(2**64), 2**64)
    | st.booleans()
    | st.none()
    | st.just([])
    | st.just({})
)
FIXTURES = sorted((Path(__file__).parent.parent / "properties").glob("*/*.yaml"))


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, path + (k,))] or [path]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, path + (i,))] or [path]
    return [path]


def _mutated(docs: list[Any], pick: int, value: Any) -> list[Any]:
    leaves = [(i, p) for i, d in enumerate(docs) for p in _leaves(d) if p]
    if not leaves:
        return docs
    i, path = leaves[pick % len(leaves)]
    node = docs[i]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return docs


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(FIXTURES), st.integers(0, 10**6), HOSTILE)
def test_every_property_survives_a_hostile_value_in_a_real_fixture(
    tmp_path_factory: Any, fixture: Path, pick: int, value: Any
) -> None:
    """A fixture of the property grids with one leaf replaced: no property fails with an internal error."""
    from cnverify.engine import prove

    try:
        docs = [d for d in yaml.safe_load_all(fixture.read_text()) if d is not None]
    except yaml.YAMLError:
        return
    d = tmp_path_factory.mktemp("p")
    (d / "o.yaml").write_text(yaml.safe_dump_all(_mutated(docs, pick, value)))
    report = prove([str(d)])
    assert not [e for e in report.errors if "internal error" in e.message], report.errors
