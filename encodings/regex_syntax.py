"""RE2 regex syntax tree, character sets and error types (see `regex` for the public API)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_CHAR = 0xFF  # Envoy compiles RE2 in Latin-1 mode: the alphabet is bytes (see `regex`)
Z3_MAX_CHAR = 0xFF
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
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Rep:
    item: Node
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


def fold(ranges: Intervals) -> Intervals:
    """Close a set under ASCII case folding (RE2 in Latin-1 mode folds nothing else)."""
    extra: list[tuple[int, int]] = list(ranges)
    for lo, hi in ranges:
        for a, b, d in ((0x41, 0x5A, 0x20), (0x61, 0x7A, -0x20)):
            x, y = max(lo, a), min(hi, b)
            if x <= y:
                extra.append((x + d, y + d))
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


def top_level_alternatives(rx: str) -> list[str]:
    """The top-level ``|`` alternatives of ``rx``, as written (escapes, groups and character classes respected;
    in ``[]…]`` the first ``]`` is a member). Kong anchors only the first of them, Linkerd's proxy scores them."""
    out, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(rx):
        c = rx[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class, i = True, i + (2 if rx[i + 1 : i + 2] == "]" else 1)
            continue
        elif c in "()":
            depth += 1 if c == "(" else -1
        elif c == "|" and depth == 0:
            out.append(rx[start:i])
            start = i + 1
        i += 1
    return [*out, rx[start:]]
