"""Path globs matched in linear time (no regex backtracking on hostile patterns).

A pattern is split at ``/`` into segments; ``**`` as a whole segment matches any number of path
segments, ``*`` any run of characters inside one segment, ``?`` one character, ``[a-z]`` / ``[!a-z]``
a class.  Both levels are matched by simulating the automaton on a set of states, so a check costs
O(path length x pattern length) whatever the pattern (14 ``**/`` on a deep path included).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

STAR, ANY = "*", "?"
Token = str | tuple[bool, tuple[tuple[str, str], ...]]  # a literal character, STAR, ANY or a class
DEEP = None  # the '**' segment


class GlobError(ValueError):
    """A pattern that cannot be compiled (the message says where)."""


def _simulate(
    tokens: Sequence[object],
    items: Sequence[str],
    is_star: Callable[[object], bool],
    accepts: Callable[[object, str], bool],
    any_prefix: bool = False,
) -> bool:
    """Run the token automaton on ``items``: a star token matches zero or more items, any other one item
    that it ``accepts``.  With ``any_prefix``, a match of any non-empty prefix of ``items`` counts."""
    end = len(tokens)

    def closure(states: set[int]) -> set[int]:
        out = set(states)
        for i in states:
            while i < end and is_star(tokens[i]):
                i += 1
                out.add(i)
        return out

    states = closure({0})
    for item in items:
        states = closure(
            {
                i if is_star(tokens[i]) else i + 1
                for i in states
                if i < end and (is_star(tokens[i]) or accepts(tokens[i], item))
            }
        )
        if not states or (any_prefix and end in states):
            return bool(states)
    return end in states and not any_prefix


@dataclass(frozen=True)
class Segment:
    tokens: tuple[Token, ...]

    def matches(self, name: str) -> bool:
        """Whether ``name`` (one path segment) matches."""
        return _simulate(self.tokens, name, lambda t: t == STAR, _accepts)


@dataclass(frozen=True)
class Glob:
    """A compiled pattern: segments, ``DEEP`` for ``**``."""

    pattern: str
    segments: tuple[Segment | None, ...]

    def matches(self, parts: Sequence[str]) -> bool:
        """Whether the pattern matches exactly these path segments."""
        return self._run(parts, False)

    def matches_prefix(self, parts: Sequence[str]) -> bool:
        """Whether the pattern matches ``parts[:k]`` for some k >= 1 (a matched folder covers its files)."""
        return self._run(parts, True)

    def _run(self, parts: Sequence[str], any_prefix: bool) -> bool:
        return _simulate(
            self.segments,
            parts,
            lambda s: s is DEEP,
            lambda s, part: isinstance(s, Segment) and s.matches(part),
            any_prefix,
        )


def compile_glob(pattern: str) -> Glob:
    """Compile ``pattern``; a trailing ``**`` needs at least one segment (``dir/**`` is what is inside dir)."""
    raw = [s for s in pattern.split("/") if s]
    segments: list[Segment | None] = []
    for i, s in enumerate(raw):
        if s == "**":
            if segments and segments[-1] is DEEP:
                continue  # '**/**' is '**'
            if i == len(raw) - 1 and i > 0:
                segments.append(Segment((STAR,)))
            segments.append(DEEP)
        else:
            segments.append(Segment(_tokens(s)))
    return Glob(pattern, tuple(segments))


def _tokens(segment: str) -> tuple[Token, ...]:
    out: list[Token] = []
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            if not out or out[-1] != STAR:
                out.append(STAR)  # '**' inside a segment is '*'
            i += 1
        elif ch == "?":
            out.append(ANY)
            i += 1
        elif ch == "[" and "]" in segment[i + 2 :]:
            end = segment.index("]", i + 2)
            out.append(_class(segment[i + 1 : end]))
            i = end + 1
        else:
            out.append(ch)
            i += 1
    return tuple(out)


def _class(body: str) -> tuple[bool, tuple[tuple[str, str], ...]]:
    negate = body[:1] in ("!", "^")
    body = body[1:] if negate else body
    ranges: list[tuple[str, str]] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            lo, hi = body[i], body[i + 2]
            if lo > hi:
                raise GlobError(f"bad character range {lo}-{hi}")
            ranges.append((lo, hi))
            i += 3
        else:
            ranges.append((body[i], body[i]))
            i += 1
    if not ranges:
        raise GlobError("empty character class")
    return negate, tuple(ranges)


def _accepts(tok: object, ch: str) -> bool:
    if isinstance(tok, tuple):
        negate, ranges = tok
        return any(lo <= ch <= hi for lo, hi in ranges) != negate
    return tok == ANY or tok == ch
