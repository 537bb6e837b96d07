"""RE2 → Z3 translation: Hypothesis oracle against Python `re`, plus error classification."""

from __future__ import annotations

import re

import pytest
import z3
from cnverify.encodings import regex as R
from hypothesis import given, settings
from hypothesis import strategies as st

ALPHABET = "abA/.-1_ \n"
LIT = "ab/.-1_"
# RE2 spelling -> Python spelling of the same character set (independent of regex.py)
PERL = {
    r"\d": "[0-9]",
    r"\D": "[^0-9]",
    r"\w": "[0-9A-Za-z_]",
    r"\W": "[^0-9A-Za-z_]",
    r"\s": "[\\t\\n\\f\\r ]",
    r"\S": "[^\\t\\n\\f\\r ]",
    ".": "[^\\n]",
    "[[:alpha:]]": "[A-Za-z]",
    "[[:^digit:]]": "[^0-9]",
}


def _lit(c: str) -> tuple[str, str]:
    return (re.escape(c) if c in ".-" else c), re.escape(c)


@st.composite
def _class(draw: st.DrawFn) -> tuple[str, str]:
    chars = draw(st.lists(st.sampled_from("ab1_"), min_size=1, max_size=3, unique=True))
    body = "".join(chars)
    if draw(st.booleans()):
        body += "A-Z"
    if draw(st.booleans()):
        body += "\\."
    neg = "^" if draw(st.booleans()) else ""
    return f"[{neg}{body}]", f"[{neg}{body}]"


leaves = st.one_of(
    st.sampled_from(LIT).map(_lit),
    st.sampled_from(sorted(PERL)).map(lambda k: (k, PERL[k])),
    _class(),
)


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    def rep(pair: tuple[str, str], op: str, lazy: bool) -> tuple[str, str]:
        r2, py = pair
        suffix = op + ("?" if lazy else "")
        return f"(?:{r2}){suffix}", f"(?:{py}){suffix}"

    ops = st.sampled_from(["*", "+", "?", "{2}", "{1,}", "{0,2}", "{1,3}"])
    groups = st.sampled_from(["(", "(?:", "(?P<g>", "(?<h>"])
    return st.one_of(
        st.builds(rep, children, ops, st.booleans()),
        st.lists(children, min_size=2, max_size=3).map(
            lambda xs: ("".join(a for a, _ in xs), "".join(b for _, b in xs))
        ),
        st.lists(children, min_size=2, max_size=3).map(
            lambda xs: ("(?:" + "|".join(a for a, _ in xs) + ")", "(?:" + "|".join(b for _, b in xs) + ")")
        ),
        st.tuples(groups, children).map(lambda g: (g[0] + g[1][0] + ")", "(?:" + g[1][1] + ")")),
    )


regexes = st.recursive(leaves, _extend, max_leaves=6)


def z3_member(s: str, r: z3.ReRef) -> bool:
    v = z3.simplify(z3.InRe(z3.StringVal(s), r))
    if z3.is_true(v) or z3.is_false(v):
        return z3.is_true(v)
    solver = z3.Solver()
    solver.add(v)
    res = solver.check()
    assert res != z3.unknown
    return res == z3.sat


@settings(max_examples=300, deadline=None)
@given(
    regexes,
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.lists(st.text(ALPHABET, max_size=6), min_size=1, max_size=6),
)
def test_z3_membership_equals_python_fullmatch(rx, icase, anchor_start, anchor_end, strings):
    r2, py = rx
    r2 = ("^" if anchor_start else "") + r2 + ("$" if anchor_end else "")
    if icase:
        r2 = "(?i)" + r2
    flags = re.IGNORECASE if icase else 0
    zre = R.to_z3(r2)
    translated = R.to_python(r2)
    for s in strings + [""]:
        expected = re.fullmatch(py, s, flags) is not None
        assert z3_member(s, zre) == expected, (r2, py, s)
        assert (re.fullmatch(translated, s) is not None) == expected, (r2, translated, s)


@pytest.mark.parametrize(
    "pattern,member,non_member",
    [
        (r"^/api/v[0-9]+/users/.*$", "/api/v12/users/x", "/api/v/users/x"),
        (r"\d+$", "123", "a123"),
        (r"(?i)/Foo", "/fOO", "/fo"),
        (r"(?i)k", "K", "\u212a"),  # Latin-1 mode: ASCII folding only (KELVIN SIGN is not a byte)
        # bytes: Envoy 1.40 compiles RE2 in Latin-1 mode (tests/oracle probes the same cases)
        (r"a.b", "a\xe9b", "a\xc3\xa9b"),
        (r"a..b", "a\xc3\xa9b", "a\xe9b"),
        (r"\x{e9}", "\xe9", "\xc9"),
        (r"(?i)\x{e9}", "\xe9", "\xc9"),
        ("é", "\xc3\xa9", "\xe9"),
        ("[é]", "\xc3", "\xc3\xa9"),
        (r"\C\C", "\xc3\xa9", "\xe9"),
        (r"[^a]", "\xff", "\u0100"),
        (r"a{,3}", "a{,3}", "aaa"),
        (r"\Q.*\E", ".*", "ab"),
        (r"[^/]+", "abc", "a/b"),
        (r".", "x", "\n"),
        (r"(?s).", "\n", ""),
        (r"\x41\x{42}\101", "ABA", "AB"),
        (r"a|", "", "b"),
        (r"(?i:a)b", "Ab", "AB"),
        (r"[\D]", "x", "5"),
        (r"\A/x\z", "/x", "/x/"),
    ],
)
def test_known_members(pattern, member, non_member):
    r = R.to_z3(pattern)
    assert z3_member(member, r)
    assert not z3_member(non_member, r)
    py = R.to_python(pattern)
    assert re.fullmatch(py, member) and not re.fullmatch(py, non_member)


@pytest.mark.parametrize(
    "pattern,reason",
    [
        (r"a\b", "word boundary"),
        (r"(?=a)b", "lookaround"),
        (r"(?<!a)b", "lookaround"),
        (r"a^b", "anchor not at the start or end"),
        (r"a$b", "anchor not at the start or end"),
        (r"\pL", "Unicode class \\p"),
        (r"\p{Greek}", "Unicode class \\p"),
        (r"a{300}", "repetition count above 256"),
        (r"(a{20}){20}", "repetition count above 256"),
        (r"^*a", "repeated anchor"),
    ],
)
def test_unsupported(pattern, reason):
    with pytest.raises(R.UnsupportedRegex) as exc:
        R.to_z3(pattern)
    assert exc.value.reason == reason


@pytest.mark.parametrize(
    "pattern,reason",
    [
        ("(a", "missing )"),
        ("a)", "unexpected )"),
        ("*a", "missing argument to repetition operator"),
        ("{2}", "missing argument to repetition operator"),
        ("a**", "bad repetition operator"),
        ("a{2}{3}", "bad repetition operator"),
        ("a{1001}", "bad repetition operator"),
        ("a{3,2}", "bad repetition operator"),
        ("(a{100}){11}", "bad repetition operator (nested counts above 1000)"),
        ("[z-a]", "bad character class range"),
        ("[a", "missing ]"),
        ("\\1", "invalid escape sequence (backreference)"),
        ("\\_", "invalid escape sequence \\_"),
        ("\\Z", "invalid escape sequence \\Z"),
        ("(?z)", "invalid or unsupported Perl syntax"),
        ("(?P<>a)", "invalid named capture group"),
        ("\\xZZ", "invalid escape sequence \\x"),
        ("\\x{100}", "invalid escape sequence \\x"),  # Latin-1 mode: Envoy rejects it (probed)
        ("\\400", "invalid escape sequence (octal above \\377)"),
        ("a\\", "trailing \\"),
    ],
)
def test_invalid(pattern, reason):
    with pytest.raises(R.InvalidRegex) as exc:
        R.to_z3(pattern)
    assert exc.value.reason == reason
