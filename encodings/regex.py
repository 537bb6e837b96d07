"""RE2 → Z3 regular expressions (full-match semantics, as in Envoy and Istio).

`parse(pattern)` reads RE2 syntax into a small AST of character sets, concatenation,
alternation and bounded repetition; `to_z3(pattern)` returns a `z3.ReRef` over
`StringSort()` and `to_python(pattern)` an equivalent Python `re` pattern (explicit
character classes, no flags) used by the plain-Python evaluator.

Supported: literals and escapes (``\\n \\t \\xHH \\x{H..} \\012 \\Q..\\E``, punctuation),
classes (negated, ranges, ``\\d \\w \\s`` and negations, ASCII ``[:alpha:]``), ``.``,
``* + ? {n} {n,} {n,m}`` and their lazy forms (same language), alternation, groups
(capturing, ``(?:``, ``(?P<n>``, ``(?<n>``), flags ``i s m U`` (``(?i)``, ``(?i:..)``),
and ``^ $ \\A \\z`` at the start/end of the pattern (no-ops: RE2 here is a full match).

`UnsupportedRegex` — valid RE2 we cannot translate soundly: ``\\b \\B``, ``\\pL``-style
Unicode classes, ``\\C``, lookaround, anchors elsewhere, repetition products above
`MAX_REPEAT`. `InvalidRegex` — not RE2 (unbalanced parentheses, bad escapes, bad ranges,
missing repetition argument, counts above 1000, backreferences).

Case folding (``(?i)``) is exact for ASCII and the two non-ASCII partners of ASCII
letters (U+212A KELVIN SIGN, U+017F LONG S); other non-ASCII letters use Python's
single-character upper/lower, which only matters outside the ASCII request alphabets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import ctypes
import random

import z3

MAX_CHAR = 0x10FFFF
Z3_MAX_CHAR = 0x2FFFF  # z3's unicode alphabet ends here
RE2_MAX_REPEAT = 1000
MAX_REPEAT = 256  # product of nested counts above this is UnsupportedRegex

Intervals = tuple[tuple[int, int], ...]


class RegexError(ValueError):
    """Base for regex translation failures; `reason` is a short explanation."""

    def __init__(self, reason: str, pattern: str = "") -> None:
        super().__init__(f"{reason}: {pattern!r}" if pattern else reason)
        self.reason = reason
        self.pattern = pattern


class UnsupportedRegex(RegexError):
    """Valid RE2 that cannot be translated soundly."""


class InvalidRegex(RegexError):
    """Not a valid RE2 regex."""


# ---------------------------------------------------------------- AST
@dataclass(frozen=True)
class CharSet:
    ranges: Intervals


@dataclass(frozen=True)
class Cat:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Alt:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Rep:
    item: "Node"
    lo: int
    hi: int | None


@dataclass(frozen=True)
class Anchor:
    start: bool


Node = CharSet | Cat | Alt | Rep | Anchor
EPSILON = Cat(())


# ---------------------------------------------------------------- char sets
def normalize(ranges: list[tuple[int, int]]) -> Intervals:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((a, b) for a, b in out)


def complement(ranges: Intervals) -> Intervals:
    out, nxt = [], 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= MAX_CHAR:
        out.append((nxt, MAX_CHAR))
    return tuple(out)


_SPECIAL_FOLD = {ord("k"): (0x212A,), ord("s"): (0x17F,), 0x212A: (ord("k"),), 0x17F: (ord("s"),)}


def _fold_char(c: int) -> set[int]:
    ch = chr(c)
    out = {c}
    for v in (ch.lower(), ch.upper()):
        if len(v) == 1:
            out.add(ord(v))
    for v in list(out):
        out.update(_SPECIAL_FOLD.get(v, ()))
        low = chr(v).lower()
        if len(low) == 1:
            out.update(_SPECIAL_FOLD.get(ord(low), ()))
            out.add(ord(low))
            up = low.upper()
            if len(up) == 1:
                out.add(ord(up))
    return out


def fold(ranges: Intervals) -> Intervals:
    """Close a set under simple case folding (see module docstring for its precision)."""
    extra: list[tuple[int, int]] = list(ranges)
    for lo, hi in ranges:
        if hi - lo > 4096:
            a, b = max(lo, 0), min(hi, 0x7F)
            todo = list(range(a, b + 1)) + [c for c in (0x17F, 0x212A) if lo <= c <= hi]
        else:
            todo = list(range(lo, hi + 1))
        for c in todo:
            extra.extend((f, f) for f in _fold_char(c))
    return normalize(extra)


def _chars(s: str) -> Intervals:
    return normalize([(ord(c), ord(c)) for c in s])


DIGIT = ((0x30, 0x39),)
WORD = normalize([(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)])
SPACE = _chars("\t\n\f\r ")
POSIX = {
    "alnum": normalize([(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)]),
    "alpha": normalize([(0x41, 0x5A), (0x61, 0x7A)]),
    "ascii": ((0, 0x7F),),
    "blank": _chars("\t "),
    "cntrl": ((0, 0x1F), (0x7F, 0x7F)),
    "digit": DIGIT,
    "graph": ((0x21, 0x7E),),
    "lower": ((0x61, 0x7A),),
    "print": ((0x20, 0x7E),),
    "punct": normalize([(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)]),
    "space": _chars("\t\n\v\f\r "),
    "upper": ((0x41, 0x5A),),
    "word": WORD,
    "xdigit": normalize([(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)]),
}
PERL = {"d": DIGIT, "w": WORD, "s": SPACE}
SIMPLE_ESC = {"a": 7, "f": 12, "t": 9, "n": 10, "r": 13, "v": 11}


# ---------------------------------------------------------------- parser
class _Parser:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0

    def err(self, reason: str, cls: type[RegexError] = InvalidRegex) -> RegexError:
        return cls(reason, self.p)

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.p[j] if j < len(self.p) else ""

    def parse(self) -> Node:
        node = self.alt({"i": False, "s": False}, depth=0)
        if self.i < len(self.p):
            raise self.err("unexpected )")
        return node

    def alt(self, flags: dict[str, bool], depth: int) -> Node:
        flags = dict(flags)
        branches = [self.cat(flags, depth)]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.cat(flags, depth))
        return branches[0] if len(branches) == 1 else Alt(tuple(branches))

    def cat(self, flags: dict[str, bool], depth: int) -> Node:
        items: list[Node] = []
        while self.i < len(self.p) and self.peek() not in "|)":
            atom = self.atom(flags, depth)
            if atom is None:
                continue
            items.append(self.repeat(atom))
        flat: list[Node] = []
        for it in items:
            flat.extend(it.items if isinstance(it, Cat) else (it,))
        return flat[0] if len(flat) == 1 else Cat(tuple(flat))

    def repeat(self, atom: Node) -> Node:
        c = self.peek()
        if c in ("*", "+", "?"):
            self.i += 1
            lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
        elif c == "{" and (rng := self.braces()) is not None:
            lo, hi = rng
        else:
            return atom
        if self.peek() == "?":
            self.i += 1
        if self.peek() in ("*", "+", "?") or (self.peek() == "{" and self.braces(probe=True)):
            raise self.err("bad repetition operator")
        if isinstance(atom, Anchor):
            raise self.err("repeated anchor", UnsupportedRegex)
        return Rep(atom, lo, hi)

    def braces(self, probe: bool = False) -> tuple[int, int | None] | None:
        j = self.p.find("}", self.i)
        if j < 0:
            return None
        body = self.p[self.i + 1 : j]
        lo_s, comma, hi_s = body.partition(",")
        if not lo_s.isdigit() or not lo_s.isascii() or (hi_s and not (hi_s.isdigit() and hi_s.isascii())):
            return None
        lo = int(lo_s)
        hi = None if comma and not hi_s else (int(hi_s) if hi_s else lo)
        if probe:
            return lo, hi
        if lo > RE2_MAX_REPEAT or (hi is not None and (hi > RE2_MAX_REPEAT or hi < lo)):
            raise self.err("bad repetition operator")
        self.i = j + 1
        return lo, hi

    def atom(self, flags: dict[str, bool], depth: int) -> Node | None:
        c = self.p[self.i]
        if c in "*+?":
            raise self.err("missing argument to repetition operator")
        if c == "{" and self.braces(probe=True) is not None:
            raise self.err("missing argument to repetition operator")
        self.i += 1
        if c == "(":
            return self.group(flags, depth)
        if c == "[":
            return self.cset(self.char_class(flags))
        if c == ".":
            return self.cset(((0, MAX_CHAR),) if flags["s"] else complement(((10, 10),)))
        if c == "^":
            return Anchor(True)
        if c == "$":
            return Anchor(False)
        if c == "\\":
            return self.escape_atom(flags)
        return self.literal(ord(c), flags)

    def cset(self, ranges: Intervals) -> CharSet:
        return CharSet(ranges)

    def literal(self, c: int, flags: dict[str, bool]) -> CharSet:
        r = ((c, c),)
        return CharSet(fold(r) if flags["i"] else r)

    def group(self, flags: dict[str, bool], depth: int) -> Node | None:
        if depth > 100:
            raise self.err("nesting too deep", UnsupportedRegex)
        inner = flags
        if self.peek() == "?":
            rest = self.p[self.i + 1 :]
            if rest.startswith(("=", "!", "<=", "<!")):
                raise self.err("lookaround", UnsupportedRegex)
            if rest.startswith(("P<", "<")):
                start = self.i + (3 if rest.startswith("P<") else 2)
                end = self.p.find(">", start)
                name = self.p[start:end] if end >= 0 else ""
                if end < 0 or not name or not all(ch.isalnum() or ch == "_" for ch in name):
                    raise self.err("invalid named capture group")
                self.i = end + 1
            else:
                self.i += 1
                inner = dict(flags)
                neg = seen = False
                while True:
                    ch = self.peek()
                    if ch == "":
                        raise self.err("missing )")
                    self.i += 1
                    if ch == "-" and not neg:
                        neg = True
                        seen = False
                        continue
                    if ch in "imsU":
                        seen = True
                        if ch in "is":
                            inner[ch] = not neg
                        continue
                    if ch in ":)" and (seen or not neg):
                        if ch == ")" and self.p[self.i - 2] == "?":
                            raise self.err("missing flags")
                        break
                    raise self.err("invalid or unsupported Perl syntax")
                if ch == ")":
                    flags.update(inner)  # applies to the rest of the enclosing group
                    return None
        node = self.alt(inner, depth + 1)
        if self.peek() != ")":
            raise self.err("missing )")
        self.i += 1
        return node

    def escape_atom(self, flags: dict[str, bool]) -> Node:
        c = self.peek()
        if c == "":
            raise self.err("trailing \\")
        if c in "AZz":
            self.i += 1
            if c == "Z":
                raise self.err("invalid escape sequence \\Z")
            return Anchor(c == "A")
        if c in "bB":
            raise self.err("word boundary", UnsupportedRegex)
        if c == "C":
            raise self.err("\\C (any byte)", UnsupportedRegex)
        if c == "Q":
            end = self.p.find("\\E", self.i + 1)
            text = self.p[self.i + 1 :] if end < 0 else self.p[self.i + 1 : end]
            self.i = len(self.p) if end < 0 else end + 2
            return Cat(tuple(self.literal(ord(ch), flags) for ch in text))
        r = self.escape_set(flags)
        return CharSet(r)

    def escape_set(self, flags: dict[str, bool]) -> Intervals:
        """Parse an escape after the backslash; returns its character set (folded if `i`)."""
        c = self.p[self.i]
        self.i += 1
        if c.lower() in PERL:
            base = PERL[c.lower()]
            base = fold(base) if flags["i"] else base
            return complement(base) if c.isupper() else base
        if c in "pP":
            raise self.err("Unicode class \\" + c, UnsupportedRegex)
        if c in SIMPLE_ESC:
            cp = SIMPLE_ESC[c]
        elif c == "x":
            cp = self.hex_escape()
        elif c in "01234567":
            digits = c
            if c != "0" and not (self.peek() and self.peek() in "01234567"):
                raise self.err("invalid escape sequence (backreference)")
            while len(digits) < 3 and self.peek() and self.peek() in "01234567":
                digits += self.peek()
                self.i += 1
            cp = int(digits, 8)
        elif ord(c) < 0x80 and not (c.isalnum() or c == "_"):
            cp = ord(c)
        else:
            raise self.err("invalid escape sequence \\" + c)
        r = ((cp, cp),)
        return fold(r) if flags["i"] else r

    def hex_escape(self) -> int:
        if self.peek() == "{":
            end = self.p.find("}", self.i)
            digits = self.p[self.i + 1 : end] if end >= 0 else ""
            self.i = end + 1
        else:
            digits = self.p[self.i : self.i + 2]
            self.i += 2
            if len(digits) != 2:
                raise self.err("invalid escape sequence \\x")
        try:
            cp = int(digits, 16)
        except ValueError:
            raise self.err("invalid escape sequence \\x") from None
        if not digits or not all(ch in "0123456789abcdefABCDEF" for ch in digits) or cp > MAX_CHAR:
            raise self.err("invalid escape sequence \\x")
        return cp

    def char_class(self, flags: dict[str, bool]) -> Intervals:
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        parts: list[tuple[int, int]] = []
        first = True
        while True:
            c = self.peek()
            if c == "":
                raise self.err("missing ]")
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "[" and self.peek(1) == ":":
                end = self.p.find(":]", self.i + 2)
                name = self.p[self.i + 2 : end] if end >= 0 else ""
                neg = name.startswith("^")
                if end >= 0 and name.lstrip("^") in POSIX:
                    base = POSIX[name.lstrip("^")]
                    base = fold(base) if flags["i"] else base
                    parts.extend(complement(base) if neg else base)
                    self.i = end + 2
                    continue
                if end >= 0:
                    raise self.err("invalid character class range")
            lo_set = self.class_atom(flags)
            if len(lo_set) == 1 and lo_set[0][0] == lo_set[0][1] and self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                hi_set = self.class_atom(flags)
                if len(hi_set) != 1 or hi_set[0][0] != hi_set[0][1]:
                    raise self.err("bad character class range")
                lo, hi = lo_set[0][0], hi_set[0][0]
                if hi < lo:
                    raise self.err("bad character class range")
                parts.append((lo, hi))
            else:
                parts.extend(lo_set)
        ranges = normalize(parts)
        if flags["i"]:
            ranges = fold(ranges)
        return complement(ranges) if negated else ranges

    def class_atom(self, flags: dict[str, bool]) -> Intervals:
        """One class element without folding (folding is applied to the whole class)."""
        c = self.p[self.i]
        self.i += 1
        if c != "\\":
            return ((ord(c), ord(c)),)
        if self.peek() == "":
            raise self.err("trailing \\")
        nf = dict(flags, i=False)
        if self.peek().lower() in PERL and self.peek().isupper():
            base = PERL[self.peek().lower()]
            self.i += 1
            return complement(fold(base) if flags["i"] else base)
        if self.peek() in "bBAzZQEC":
            raise self.err("invalid escape in class")
        return self.escape_set(nf)


# ---------------------------------------------------------------- anchors
def _has_anchor(n: Node) -> bool:
    if isinstance(n, Anchor):
        return True
    if isinstance(n, (Cat, Alt)):
        return any(_has_anchor(x) for x in n.items)
    if isinstance(n, Rep):
        return _has_anchor(n.item)
    return False


def _strip(n: Node, start: bool) -> Node:
    """Drop anchors that sit at the very start (or end) of every path through `n`."""
    if isinstance(n, Anchor) and n.start == start:
        return EPSILON
    if isinstance(n, Alt):
        return Alt(tuple(_strip(x, start) for x in n.items))
    if isinstance(n, Cat) and n.items:
        items = list(n.items)
        idx = 0 if start else len(items) - 1
        while items:
            new = _strip(items[idx], start)
            if new == EPSILON and items[idx] != EPSILON:
                items.pop(idx)
                idx = 0 if start else len(items) - 1
                continue
            items[idx] = new
            break
        return items[0] if len(items) == 1 else Cat(tuple(items))
    return n


def _max_product(n: Node) -> int:
    if isinstance(n, Rep):
        return max(n.hi if n.hi is not None else n.lo, 1) * _max_product(n.item)
    if isinstance(n, (Cat, Alt)):
        return max((_max_product(x) for x in n.items), default=1)
    return 1


@lru_cache(maxsize=4096)
def parse(pattern: str) -> Node:
    """Parse RE2 `pattern` into the AST with end anchors removed (full-match semantics)."""
    node = _Parser(pattern).parse()
    prod = _max_product(node)
    if prod > RE2_MAX_REPEAT:
        raise InvalidRegex("bad repetition operator (nested counts above 1000)", pattern)
    if prod > MAX_REPEAT:
        raise UnsupportedRegex(f"repetition count above {MAX_REPEAT}", pattern)
    node = _strip(_strip(node, True), False)
    if _has_anchor(node):
        raise UnsupportedRegex("anchor not at the start or end", pattern)
    return node


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


def _sample_char(ranges: Intervals, rng: "random.Random") -> str | None:
    printable = [(max(lo, 0x21), min(hi, 0x7E)) for lo, hi in ranges if lo <= 0x7E and hi >= 0x21]
    pool = printable or [(lo, min(hi, Z3_MAX_CHAR)) for lo, hi in ranges if lo <= Z3_MAX_CHAR]
    if not pool:
        return None
    lo, hi = rng.choice(pool)
    return chr(rng.randint(lo, hi))


def _sample(n: Node, rng: "random.Random", budget: list[int]) -> str | None:
    if isinstance(n, CharSet):
        return _sample_char(n.ranges, rng)
    if isinstance(n, Cat):
        parts = [_sample(x, rng, budget) for x in n.items]
        return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]
    if isinstance(n, Alt):
        return _sample(rng.choice(n.items), rng, budget)
    if isinstance(n, Rep):
        hi = n.hi if n.hi is not None else n.lo + 3
        count = rng.randint(n.lo, min(hi, n.lo + 3)) if budget[0] > 0 else n.lo
        budget[0] -= count
        parts = [_sample(n.item, rng, budget) for _ in range(count)]
        return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]
    return ""


def sample(pattern: str, rng: "random.Random") -> str | None:
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
