"""RE2 → Z3 regular expressions (full-match semantics, as in Envoy and Istio).

`parse(pattern)` reads RE2 syntax into a small AST of character sets, concatenation,
alternation and bounded repetition; `to_z3(pattern)` returns a `z3.ReRef` over
`StringSort()` and `to_python(pattern)` an equivalent Python `re` pattern (explicit
character classes, no flags) used by the plain-Python evaluator.

Alphabet: bytes. Envoy hands every regex to RE2 in Latin-1 mode (observed on Envoy 1.40: `.`
matches one byte of a UTF-8 `é`, `\\x{100}` and above are rejected, `(?i)` folds ASCII only),
so patterns are read as their UTF-8 bytes and strings are byte strings (one character per
byte, 0x00-0xFF).

Supported: literals and escapes (``\\n \\t \\xHH \\x{H..} \\012 \\Q..\\E``, punctuation, ``\\C``),
classes (negated, ranges, ``\\d \\w \\s`` and negations, ASCII ``[:alpha:]``), ``.``,
``* + ? {n} {n,} {n,m}`` and their lazy forms (same language), alternation, groups
(capturing, ``(?:``, ``(?P<n>``, ``(?<n>``), flags ``i s m U`` (``(?i)``, ``(?i:..)``),
and ``^ $ \\A \\z`` at the start/end of the pattern (no-ops: RE2 here is a full match).

`UnsupportedRegex` — valid RE2 we cannot translate soundly: ``\\b \\B``, ``\\pL``-style
Unicode classes, lookaround, anchors elsewhere, repetition products above
`MAX_REPEAT`. `InvalidRegex` — not RE2 (unbalanced parentheses, bad escapes, bad ranges,
missing repetition argument, counts above 1000, backreferences, escapes above 0xFF).
"""

from __future__ import annotations

import ctypes
import random
from functools import lru_cache

import z3

from .regex_parse import parse
from .regex_syntax import (
    MAX_CHAR,
    MAX_REPEAT,
    RE2_MAX_REPEAT,
    Z3_MAX_CHAR,
    Alt,
    Cat,
    CharSet,
    Intervals,
    InvalidRegex,
    Node,
    RegexError,
    Rep,
    UnsupportedRegex,
)

__all__ = [
    "MAX_CHAR",
    "MAX_REPEAT",
    "RE2_MAX_REPEAT",
    "Z3_MAX_CHAR",
    "InvalidRegex",
    "RegexError",
    "UnsupportedRegex",
    "charset_z3",
    "literal_prefix",
    "parse",
    "sample",
    "string_value",
    "sval",
    "to_python",
    "to_z3",
]

# ---------------------------------------------------------------- translations
_RE_SORT = z3.ReSort(z3.StringSort())


def sval(s: str) -> z3.SeqRef:
    """`z3.StringVal` of `s` taken literally (z3 would decode `\\u{..}` / `\\uXXXX` escapes)."""
    return z3.StringVal(s.replace("\\", "\\u{5c}"))


def string_value(v: z3.ExprRef) -> str:
    """The Python string of a z3 string value (code points, no escapes)."""
    n = z3.Z3_get_string_length(v.ctx_ref(), v.as_ast())
    buf = (ctypes.c_uint * n)()
    z3.Z3_get_string_contents(v.ctx_ref(), v.as_ast(), n, buf)
    return "".join(chr(c) for c in buf)


def charset_z3(ranges: Intervals) -> z3.ReRef:
    parts = [
        z3.Range(sval(chr(lo)), sval(chr(min(hi, Z3_MAX_CHAR)))) if lo != hi else z3.Re(sval(chr(lo)))
        for lo, hi in ranges
        if lo <= Z3_MAX_CHAR
    ]
    if not parts:
        return z3.Empty(_RE_SORT)
    return parts[0] if len(parts) == 1 else z3.Union(*parts)


def node_z3(n: Node) -> z3.ReRef:
    if isinstance(n, CharSet):
        return charset_z3(n.ranges)
    if isinstance(n, Cat):
        parts: list[z3.ReRef] = []
        lit = ""
        for it in n.items:  # merge runs of single characters into one literal
            if isinstance(it, CharSet) and len(it.ranges) == 1 and it.ranges[0][0] == it.ranges[0][1] <= Z3_MAX_CHAR:
                lit += chr(it.ranges[0][0])
                continue
            if lit:
                parts.append(z3.Re(sval(lit)))
                lit = ""
            parts.append(node_z3(it))
        if lit:
            parts.append(z3.Re(sval(lit)))
        if not parts:
            return z3.Re(sval(""))
        return parts[0] if len(parts) == 1 else z3.Concat(*parts)
    if isinstance(n, Alt):
        return z3.Union(*[node_z3(x) for x in n.items])
    if isinstance(n, Rep):
        inner = node_z3(n.item)
        if n.hi is None:
            if n.lo == 0:
                return z3.Star(inner)
            if n.lo == 1:
                return z3.Plus(inner)
            return z3.Concat(z3.Loop(inner, n.lo, n.lo), z3.Star(inner))
        if n.hi == 0:
            return z3.Re(sval(""))
        return z3.Loop(inner, n.lo, n.hi)
    raise AssertionError(n)


def to_z3(pattern: str) -> z3.ReRef:
    """The Z3 regex whose language is the set of strings RE2 `pattern` fully matches."""
    return node_z3(parse(pattern))


def _py_char(c: int) -> str:
    if chr(c).isalnum() and c < 0x80:
        return chr(c)
    return f"\\U{c:08x}"


def charset_python(ranges: Intervals) -> str:
    if not ranges:
        return "[^\\x00-\\U0010ffff]"
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _py_char(ranges[0][0])
    body = "".join(_py_char(lo) if lo == hi else f"{_py_char(lo)}-{_py_char(hi)}" for lo, hi in ranges)
    return f"[{body}]"


def node_python(n: Node) -> str:
    if isinstance(n, CharSet):
        return charset_python(n.ranges)
    if isinstance(n, Cat):
        return "".join(node_python(x) for x in n.items)
    if isinstance(n, Alt):
        return "(?:" + "|".join(node_python(x) for x in n.items) + ")"
    if isinstance(n, Rep):
        hi = "" if n.hi is None else str(n.hi)
        return f"(?:{node_python(n.item)}){{{n.lo},{hi}}}"
    raise AssertionError(n)


@lru_cache(maxsize=4096)
def to_python(pattern: str) -> str:
    """An equivalent Python `re` pattern (use with `re.fullmatch`)."""
    return node_python(parse(pattern))


def _sample_char(ranges: Intervals, rng: random.Random) -> str | None:
    printable = [(max(lo, 0x21), min(hi, 0x7E)) for lo, hi in ranges if lo <= 0x7E and hi >= 0x21]
    pool = printable or [(lo, min(hi, Z3_MAX_CHAR)) for lo, hi in ranges if lo <= Z3_MAX_CHAR]
    if not pool:
        return None
    lo, hi = rng.choice(pool)
    return chr(rng.randint(lo, hi))


def _joined(parts: list[str | None]) -> str | None:
    """The parts joined, or None when one is None."""
    known = [p for p in parts if p is not None]
    return "".join(known) if len(known) == len(parts) else None


def _sample(n: Node, rng: random.Random, budget: list[int]) -> str | None:
    if isinstance(n, CharSet):
        return _sample_char(n.ranges, rng)
    if isinstance(n, Cat):
        parts = [_sample(x, rng, budget) for x in n.items]
        return _joined(parts)
    if isinstance(n, Alt):
        return _sample(rng.choice(n.items), rng, budget)
    if isinstance(n, Rep):
        hi = n.hi if n.hi is not None else n.lo + 3
        count = rng.randint(n.lo, min(hi, n.lo + 3)) if budget[0] > 0 else n.lo
        budget[0] -= count
        parts = [_sample(n.item, rng, budget) for _ in range(count)]
        return _joined(parts)
    return ""


def sample(pattern: str, rng: random.Random) -> str | None:
    """A random string RE2 `pattern` fully matches (printable ASCII preferred), or None."""
    return _sample(parse(pattern), rng, [32])


def literal_prefix(pattern: str) -> tuple[str, bool, bool]:
    """(prefix, whole, ignore_case) over ASCII strings: every ASCII string the pattern matches
    starts with `prefix` (compared ASCII-lower-cased when `ignore_case`); `whole` = it equals it."""
    node = parse(pattern)
    items = node.items if isinstance(node, Cat) else (node,)
    out: list[str] = []
    icase = False
    for it in items:
        if not isinstance(it, CharSet) or sum(min(hi, 0x7F) - lo + 1 for lo, hi in it.ranges if lo <= 0x7F) > 2:
            return "".join(out), False, icase
        chars = sorted({chr(c) for lo, hi in it.ranges if lo <= 0x7F for c in range(lo, min(hi, 0x7F) + 1)})
        if len(chars) == 1:
            out.append(chars[0])
        elif len(chars) == 2 and chars[0].isalpha() and chars[0].lower() == chars[1]:
            out.append(chars[1])
            icase = True
        else:
            return "".join(out), False, icase
    return "".join(out), True, icase
