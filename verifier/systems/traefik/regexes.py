"""Regex forms of Traefik's matchers for the first-match IR (RE2 full-match source over bytes).

Go's ``regexp.MatchString`` is a search (`search`); ``HostRegexp`` sees the host lower-cased (`host_regex`);
negated ``Host``/``Path``/``PathPrefix``/``Method`` become the regex of every other value (`not_in`).
"""

from __future__ import annotations

from collections.abc import Sequence

from cnverify.encodings.regex import InvalidRegex, UnsupportedRegex, parse
from cnverify.encodings.regex_syntax import MAX_CHAR, Alt, Cat, CharSet, Node, Rep, normalize, top_level_alternatives


def search(pattern: str) -> str:
    """Go's unanchored ``MatchString`` of ``pattern`` as a full-match RE2 pattern (a ``^``/``$`` at a top-level
    branch's ends anchors that branch)."""
    out = []
    for branch in top_level_alternatives(pattern):
        start = branch.startswith("^")
        body = branch[1:] if start else branch
        end = body.endswith("$") and (len(body[:-1]) - len(body[:-1].rstrip("\\"))) % 2 == 0
        body = body[:-1] if end else body
        out.append(("" if start else ".*") + f"(?:{body})" + ("" if end else ".*"))
    return out[0] if len(out) == 1 else "|".join(f"(?:{b})" for b in out)


def checked_regex(pattern: str) -> str:
    """``search(pattern)`` after checking it: a pattern RE2 rejects raises ValueError (Traefik rejects the rule),
    one the encoding cannot translate raises UnsupportedRegex."""
    try:
        parse(pattern)
    except InvalidRegex as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc.reason}") from None
    rx = search(pattern)
    parse(rx)  # UnsupportedRegex propagates
    return rx


def _re2(n: Node) -> str:
    """A regex syntax tree back as RE2 source (every character as ``\\x{HH}``)."""
    if isinstance(n, CharSet):
        if not n.ranges:
            return "[^\\x{00}-\\x{ff}]"
        return "[" + "".join(f"\\x{{{lo:02x}}}-\\x{{{hi:02x}}}" for lo, hi in n.ranges) + "]"
    if isinstance(n, Cat):
        return "".join(f"(?:{_re2(x)})" for x in n.items) or "(?:)"
    if isinstance(n, Alt):
        return "(?:" + "|".join(_re2(x) for x in n.items) + ")"
    if isinstance(n, Rep):
        return f"(?:{_re2(n.item)}){{{n.lo},{'' if n.hi is None else n.hi}}}"
    raise UnsupportedRegex(f"an anchor inside {n!r}")


def _lowered(n: Node) -> Node:
    """The tree matching ``s`` exactly when ``n`` matches ``s`` ASCII-lower-cased: each character set becomes its
    preimage under lower-casing (``a`` → ``[aA]``, ``A`` → nothing)."""
    if isinstance(n, CharSet):
        chars = [
            c for c in range(MAX_CHAR + 1) if any(lo <= (c + 32 if 65 <= c <= 90 else c) <= hi for lo, hi in n.ranges)
        ]
        return CharSet(normalize([(c, c) for c in chars]))
    if isinstance(n, Cat):
        return Cat(tuple(_lowered(x) for x in n.items))
    if isinstance(n, Alt):
        return Alt(tuple(_lowered(x) for x in n.items))
    if isinstance(n, Rep):
        return Rep(_lowered(n.item), n.lo, n.hi)
    return n


def host_regex(pattern: str) -> str:
    """``HostRegexp(pattern)`` on the Host as sent: Traefik searches the lower-cased host."""
    return _re2(_lowered(parse(checked_regex(pattern))))


NOTHING = "[^\\x{00}-\\x{ff}]"  # a regex no string matches
ANY = "[\\x{00}-\\x{ff}]*"


def _char(c: str, fold: bool) -> str:
    """RE2 class of character ``c`` (with its upper case when ``fold``: Traefik lower-cases the host)."""
    cs = {c, c.upper()} if fold and c.isascii() and c.isalpha() else {c}
    return "[" + "".join(f"\\x{{{ord(x):02x}}}" for x in sorted(cs)) + "]"


def not_in(exact: Sequence[str], prefixes: Sequence[str] = (), fold: bool = False) -> str:
    """RE2 for every string that is none of ``exact`` and starts with none of ``prefixes``; with ``fold``, compared
    lower-cased (the words are lower case). A trie walk: each node that is no word, and each node followed by a
    character that leads to no word, then anything; a node that is a prefix word is left out whole."""
    words = [*exact, *prefixes]
    out: list[str] = []
    for p in sorted({w[:i] for w in words for i in range(len(w) + 1)}):
        if any(p.startswith(q) for q in prefixes):
            continue  # excluded with everything after it
        here = "".join(_char(c, fold) for c in p)
        if p not in exact:
            out.append(here)
        nxt = sorted({w[len(p)] for w in words if len(w) > len(p) and w.startswith(p)})
        taken = "".join(_char(c, fold)[1:-1] for c in nxt)
        out.append(here + (f"[^{taken}]" if taken else "[\\x{00}-\\x{ff}]") + ANY)
    return "|".join(f"(?:{x})" for x in out) or NOTHING


def literal(text: str) -> str:
    """``text`` as an RE2 literal."""
    return "".join(_char(c, False) for c in text)
