"""Exclude globs: gitignore-like semantics, linear-time matching of hostile patterns, bad patterns located."""

from __future__ import annotations

import fnmatch
import time
from pathlib import Path

import pytest
from cnverify import config
from cnverify.globs import GlobError, compile_glob
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    "pattern,path,expected",
    [
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("a/**/b", "a/x/c", False),
        ("a/**", "a/x", True),
        ("a/**", "a", False),
        ("**/x.yaml", "x.yaml", True),
        ("**/x.yaml", "d/e/x.yaml", True),
        ("*.yaml", "a.yaml", True),
        ("*.yaml", "a.yml", False),
        ("a*b", "a/b", False),
        ("a**b", "axxb", True),
        ("[a-c]?.yml", "bx.yml", True),
        ("[!a-c]?.yml", "bx.yml", False),
        ("[^a-c]?.yml", "dx.yml", True),
        ("[]]x", "]x", True),
        ("[x", "[x", True),
        ("d/[ab]", "d/b", True),
        ("**/**/z", "z", True),
    ],
)
def test_glob_semantics(pattern: str, path: str, expected: bool) -> None:
    parts = path.split("/")
    assert compile_glob(pattern).matches(parts) == expected
    if expected:  # a matched folder covers what is inside it
        assert compile_glob(pattern).matches_prefix(parts + ["inside.yaml"])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab*?", min_size=1, max_size=8), st.text(alphabet="ab", max_size=10))
def test_one_segment_agrees_with_fnmatch(pattern: str, name: str) -> None:
    assert compile_glob(pattern).matches([name]) == fnmatch.fnmatchcase(name, pattern)


def test_hostile_patterns_match_in_bounded_time() -> None:
    ex = config.Excluder()
    deep = "**/" * 14 + "x.yaml"
    stars = "*a" * 30 + "b"  # a regex engine backtracks exponentially on this against 'aaaa...'
    ex.add([deep, stars, "a/" + "**/a/" * 12 + "b"], Path("/r"))
    path = "/r/" + "/".join(["a"] * 60) + "/" + "a" * 250
    start = time.monotonic()
    for _ in range(20):
        assert not ex.excluded(path)
    assert time.monotonic() - start < 5


def test_bad_glob_class_is_a_located_config_error(tmp_path: Path) -> None:
    f = tmp_path / ".cnverify.yaml"
    f.write_text("select: [CNV401]\nexclude: ['ok/*', 'bad/[z-a].yaml']\n")
    with pytest.raises(
        config.ConfigError,
        match=r"\.cnverify\.yaml:2:1: 'exclude' pattern 'bad/\[z-a\]\.yaml': bad character range z-a",
    ):
        config.load(f)
    with pytest.raises(GlobError):
        compile_glob("x[z-a]")
    with pytest.raises(config.UsageError, match="bad character range"):
        config.Excluder().add(["[z-a]"], tmp_path)
