"""RE2 parser: pattern text -> `regex_syntax` tree with end anchors removed (see `regex`)."""

from __future__ import annotations

from functools import lru_cache

from .regex_syntax import (
    EPSILON,
    MAX_CHAR,
    MAX_REPEAT,
    PERL,
    POSIX,
    RE2_MAX_REPEAT,
    SIMPLE_ESC,
    Alt,
    Anchor,
    Cat,
    CharSet,
    Intervals,
    InvalidRegex,
    Node,
    RegexError,
    Rep,
    UnsupportedRegex,
    complement,
    fold,
    normalize,
)


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
            self.i += 1
            return CharSet(((0, MAX_CHAR),))
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
            if cp > MAX_CHAR:
                raise self.err("invalid escape sequence (octal above \\377)")
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
            if (
                len(lo_set) == 1
                and lo_set[0][0] == lo_set[0][1]
                and self.peek() == "-"
                and self.peek(1) not in ("]", "")
            ):
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
    """Parse RE2 `pattern` into the AST with end anchors removed (full-match semantics).

    The pattern is read as Envoy hands it to RE2 in Latin-1 mode: its UTF-8 bytes, one
    character each (so `[é]` is the class of the two bytes C3 and A9)."""
    node = _Parser(pattern.encode("utf-8", "surrogatepass").decode("latin-1")).parse()
    prod = _max_product(node)
    if prod > RE2_MAX_REPEAT:
        raise InvalidRegex("bad repetition operator (nested counts above 1000)", pattern)
    if prod > MAX_REPEAT:
        raise UnsupportedRegex(f"repetition count above {MAX_REPEAT}", pattern)
    node = _strip(_strip(node, True), False)
    if _has_anchor(node):
        raise UnsupportedRegex("anchor not at the start or end", pattern)
    return node
