"""Argo CD's glob matching (gobwas/glob, through argo-cd ``util/glob``) and git URL normalisation.

gobwas/glob e7a84e95 ``syntax/lexer/lexer.go`` and ``syntax/ast/parser.go``: ``*`` is any run of
non-separator characters, ``**`` any run, ``?`` one non-separator character, ``[abc]``/``[!abc]`` and
``[a-z]``/``[!a-z]`` one character (of the class or not), ``{a,b}`` alternatives, ``\\c`` the character c;
``]``, ``}`` and ``,`` outside braces are literal. A pattern that does not compile matches nothing
(argo-cd ``glob.Match`` logs and returns false). argo-cd ``app_project_types.go`` ``globMatch``: ``*`` alone
matches everything; with negation allowed, ``!p`` matches what ``p`` does not.
"""

from __future__ import annotations

import re
from functools import lru_cache


class Unsupported(ValueError):
    """A pattern or URL whose treatment by Argo CD is not modelled here (the verdict becomes unknown)."""


_SPECIAL_TEXT = "?*[{"


def _text(p: str, i: int, in_terms: bool) -> tuple[str, int]:
    breakers = _SPECIAL_TEXT + "}," if in_terms else _SPECIAL_TEXT
    out = []
    while i < len(p):
        c = p[i]
        if c == "\\":
            if i + 1 < len(p):
                out.append(p[i + 1])
            i += 2
            continue
        if c in breakers:
            break
        out.append(c)
        i += 1
    return "".join(out), i


def _range(p: str, i: int) -> tuple[str, int] | None:
    """The regex class of a ``[...]`` starting after ``[`` (None: gobwas rejects it)."""
    neg = False
    if i < len(p) and p[i] == "!":
        neg, i = True, i + 1
    if i + 2 < len(p) and p[i + 1] == "-":
        lo, hi = p[i], p[i + 2]
        i += 3
        if i >= len(p) or p[i] != "]" or hi < lo:
            return None
        return f"[{'^' if neg else ''}{re.escape(lo)}-{re.escape(hi)}]", i + 1
    chars, i = _class_text(p, i)
    if i >= len(p) or not chars:
        return None
    return f"[{'^' if neg else ''}{''.join(re.escape(c) for c in chars)}]", i + 1


def _class_text(p: str, i: int) -> tuple[str, int]:
    out = []
    while i < len(p) and p[i] != "]":
        if p[i] == "\\" and i + 1 < len(p):
            i += 1
        out.append(p[i])
        i += 1
    return "".join(out), i


@lru_cache(maxsize=4096)
def compile_glob(pattern: str, separators: str = "") -> re.Pattern[str] | None:
    """The regex gobwas/glob matches ``pattern`` as (None: the pattern does not compile)."""
    not_sep = f"[^{re.escape(separators)}]" if separators else "."
    out: list[str] = []
    depth, i = 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "{":
            depth, i = depth + 1, i + 1
            out.append("(?:")
        elif c == "," and depth:
            out.append("|")
            i += 1
        elif c == "}" and depth:
            depth, i = depth - 1, i + 1
            out.append(")")
        elif c == "[":
            cls = _range(pattern, i + 1)
            if cls is None:
                return None
            out.append(cls[0])
            i = cls[1]
        elif c == "?":
            out.append(not_sep)
            i += 1
        elif c == "*":
            star = pattern.startswith("**", i)
            out.append(".*" if star or not separators else f"{not_sep}*")
            i += 2 if star else 1
        else:
            text, i = _text(pattern, i, depth > 0)
            out.append(re.escape(text))
    if depth:
        raise Unsupported(f"glob {pattern!r} leaves a '{{' open")
    return re.compile("".join(out), re.S)


def glob_match(pattern: str, value: str, allow_negation: bool, separators: str = "") -> bool:
    """argo-cd ``globMatch``: a deny pattern ``!p`` matches what ``p`` does not; ``*`` matches everything."""
    if allow_negation and pattern.startswith("!"):
        return not _match(pattern[1:], value, separators)
    if pattern == "*":
        return True
    return _match(pattern, value, separators)


def _match(pattern: str, value: str, separators: str) -> bool:
    rx = compile_glob(pattern, separators)
    return rx is not None and rx.fullmatch(value) is not None


_SSH = re.compile(r"^(ssh://)?([^/:]*?)@[^@]+$")
_URL_SAFE = re.compile(r"[a-z0-9\-._~:/?#@!$&'()*+,;=]*")


def normalize_git_url(repo: str) -> str:
    """argo-cd ``util/git`` ``NormalizeGitURL``: lower case, ``git@host:path`` as ``host/path``, no ``.git``.

    The last step is Go's ``url.Parse`` then ``String()``, the identity on the characters of ``_URL_SAFE``;
    a URL with others (spaces, ``%`` escapes, braces, brackets) is :class:`Unsupported`.
    """
    repo = repo.strip().lower()
    if _SSH.match(repo) and not repo.startswith("ssh://"):
        repo = "ssh://" + repo.replace(":", "/", 1)
    repo = repo.removesuffix(".git")
    if not _URL_SAFE.fullmatch(repo):
        raise Unsupported(f"repository URL {repo!r}: Go's url.Parse may re-escape its characters")
    return repo.removeprefix("ssh://")
