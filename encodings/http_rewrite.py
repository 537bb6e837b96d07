"""Envoy's request rewriting before route matching: path normalisation and host port stripping.

`Rewrite` holds the HTTP connection manager options that change what the route table sees
(Envoy `HttpConnectionManager`, checked against Envoy 1.40 by `tests/oracle`):

* `escaped_slashes` (`path_with_escaped_slashes_action`, applied first): `%2F`/`%5C` (any hex
  case) are kept (`KEEP_UNCHANGED`, Envoy's default), make the request fail
  (`REJECT_REQUEST`: 400; `UNESCAPE_AND_REDIRECT`: a 307, no route) or are decoded to `/` and
  `\\` (`UNESCAPE_AND_FORWARD`);
* `normalize_path` (RFC 3986 via the Chromium URL canonicaliser): `\\` becomes `/`; `%XX` of an
  unreserved character (`A-Za-z0-9-._~`) is decoded; `" < > ^ ` { | }` and non-ASCII bytes are
  percent-encoded (upper-case hex); other `%XX` and stray `%` stay; then the dot segments `.`
  and `..` (also written `%2e`) are removed — one pass, so `%%34%31` becomes `%41`; `%00`
  makes the request fail (400);
* `merge_slashes` (applied last): runs of `/` become one (Envoy keeps a leading and a trailing
  `/`, so `///` becomes `//`);
* `strip_port` (`strip_any_host_port` / `strip_matching_host_port`): the Host loses its
  `:port` (any, or only the listener's) before virtual host selection and header matching.

Requests are byte strings (each character one byte, Latin-1). `path(sent)` is the path the
routes see (None: the request reaches no route); `path_image()` is the Z3 regex of every path
the routes can see (the symbolic request's path lives there, so `/a/../b` never reaches a
route under normalisation); each of those paths is its own rewrite, so a witness is sent as
found. Envoy's defaults are all off / `KEEP_UNCHANGED`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import z3

from .regex import charset_z3, sval

EscapedSlashes = Literal["KEEP_UNCHANGED", "REJECT_REQUEST", "UNESCAPE_AND_REDIRECT", "UNESCAPE_AND_FORWARD"]
StripPort = Literal["none", "any", "matching"]
ESCAPED_SLASHES = ("KEEP_UNCHANGED", "REJECT_REQUEST", "UNESCAPE_AND_REDIRECT", "UNESCAPE_AND_FORWARD")

UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# bytes the canonicaliser percent-encodes (of those a path can carry; `\` becomes `/` instead)
ENCODED = frozenset('"<>^`{|}') | frozenset(chr(c) for c in range(0x80, 0x100))
_HEX = "0123456789abcdefABCDEF"
_SLASH_ESC = re.compile(r"%(2[fF]|5[cC])")
_DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:/|$)")

_RS = z3.ReSort(z3.StringSort())
_ANY = z3.Full(_RS)


def _cls(chars: str) -> z3.ReRef:
    return z3.Union(*[z3.Re(c) for c in chars]) if len(chars) > 1 else z3.Re(chars)


# the two hex digits after '%' of an escape normalize_path decodes (unreserved) or rejects (00)
DECODED_HEX = z3.Union(
    z3.Concat(z3.Re("2"), _cls("DdEe")),
    z3.Concat(z3.Re("3"), z3.Range("0", "9")),
    z3.Concat(_cls("46"), z3.Union(z3.Range("1", "9"), z3.Range("A", "F"), z3.Range("a", "f"))),
    z3.Concat(_cls("57"), z3.Union(z3.Range("0", "9"), _cls("Aa"))),
    z3.Re("5F"),
    z3.Re("5f"),
    z3.Re("7E"),
    z3.Re("7e"),
    z3.Re("00"),
)
SLASH_HEX = z3.Union(z3.Re("2F"), z3.Re("2f"), z3.Re("5C"), z3.Re("5c"))


def _hex_at(s: str, i: int) -> bool:
    return i + 2 < len(s) and s[i + 1] in _HEX and s[i + 2] in _HEX


@lru_cache(maxsize=65536)  # a pure function of the path; routing asks it again for every table's candidates
def canonicalize(path: str) -> str:
    """Envoy's `normalize_path` (Chromium `CanonicalizePath`) of a path without query.

    A `%` that does not start a valid escape stays, but becomes `%25` when the two characters
    after it in the output are hex digits (so decoding never creates a new escape: `%%341` →
    `%2541`), as observed on Envoy 1.40."""
    out: list[str] = []  # output tokens; "" marks a literal '%' (decided at the end)
    i = 0
    while i < len(path):
        c = path[i]
        if c == "%" and _hex_at(path, i):
            d = chr(int(path[i + 1 : i + 3], 16))
            out.append(d if d in UNRESERVED else path[i : i + 3])
            i += 3
            continue
        out.append("" if c == "%" else "/" if c == "\\" else f"%{ord(c):02X}" if c in ENCODED else c)
        i += 1
    for k, tok in enumerate(out):  # a literal '%' that now reads as an escape is escaped itself
        if tok == "":
            after = "".join(t or "%" for t in out[k + 1 : k + 3])[:2]
            out[k] = "%25" if len(after) == 2 and all(ch in _HEX for ch in after) else "%"
    segments: list[str] = []
    parts = "".join(out).split("/")[1:]  # the path starts with "/"
    for k, seg in enumerate(parts):
        last = k == len(parts) - 1
        if seg in (".", ".."):
            if seg == ".." and segments:
                segments.pop()
            if last:
                segments.append("")
        else:
            segments.append(seg)
    return "/" + "/".join(segments)


@dataclass(frozen=True)
class Rewrite:
    normalize_path: bool = False
    merge_slashes: bool = False
    escaped_slashes: EscapedSlashes = "KEEP_UNCHANGED"
    strip_port: StripPort = "none"

    def key(self) -> str:
        """A short name of the option set (the oracle's listener name)."""
        parts = (["norm"] if self.normalize_path else []) + (["merge"] if self.merge_slashes else [])
        parts += (
            []
            if self.escaped_slashes == "KEEP_UNCHANGED"
            else [self.escaped_slashes.split("_")[-1 if "UNESCAPE" in self.escaped_slashes else 0].lower()]
        )
        parts += [] if self.strip_port == "none" else [f"strip-{self.strip_port}"]
        return "-".join(parts) or "plain"

    def describe(self) -> str:
        parts = ["normalize_path (RFC 3986 dot segments, unreserved %XX decoded)"] if self.normalize_path else []
        parts += ["merge_slashes"] if self.merge_slashes else []
        if self.escaped_slashes != "KEEP_UNCHANGED":
            parts.append(f"path_with_escaped_slashes_action {self.escaped_slashes}")
        parts += [f"strip_{self.strip_port}_host_port"] if self.strip_port != "none" else []
        return ", ".join(parts) or "no path or host rewriting"

    @property
    def identity(self) -> bool:
        return self == Rewrite()

    def path(self, sent: str) -> str | None:
        """The path the routes match for a request sent with path `sent` (None: no route)."""
        p = sent
        if self.escaped_slashes != "KEEP_UNCHANGED" and _SLASH_ESC.search(p):
            if self.escaped_slashes != "UNESCAPE_AND_FORWARD":
                return None
            p = _SLASH_ESC.sub(lambda m: "/" if m.group(1) in ("2f", "2F") else "\\", p)
        if self.normalize_path:
            if "%00" in p:  # the canonicaliser fails on an encoded NUL: 400
                return None
            p = canonicalize(p)
        if self.merge_slashes and "//" in p:  # Envoy: "/" + non-empty segments joined + "/" if it ended so
            p = "/" + "/".join(x for x in p.split("/") if x) + ("/" if p.endswith("/") else "")
        return p

    def host(self, host: str, port: int) -> str:
        """The Host the routes see."""
        m = re.fullmatch(r"(.*):([0-9]+)", host)
        if m is None or self.strip_port == "none":
            return host
        if self.strip_port == "any" or int(m.group(2)) == port:
            return m.group(1)
        return host

    def path_image(self) -> z3.ReRef:
        """Every path the routes can see: no forbidden piece anywhere (one complement of a union,
        which z3 handles far better than an intersection of complements). Each such path is its
        own rewrite (the image is exactly the fixed points; checked by the oracle), so a witness
        is sent as found."""
        bad: list[z3.ReRef] = []
        if self.normalize_path:
            chars = charset_z3(tuple((ord(c), ord(c)) for c in sorted('\\"<>^`{|}')) + ((0x80, 0xFF),))
            dot = z3.Concat(z3.Re("/."), z3.Option(z3.Re(".")), z3.Option(z3.Concat(z3.Re("/"), _ANY)))
            bad += [z3.Concat(chars, _ANY), dot, z3.Concat(z3.Re("%"), DECODED_HEX, _ANY)]
        if self.escaped_slashes != "KEEP_UNCHANGED":
            bad.append(z3.Concat(z3.Re("%"), SLASH_HEX, _ANY))
        image = (
            z3.Complement(z3.Concat(_ANY, z3.Union(*bad)))
            if len(bad) > 1
            else (z3.Complement(z3.Concat(_ANY, bad[0])) if bad else _ANY)
        )
        if self.merge_slashes:
            image = z3.Intersect(image, z3.Union(z3.Complement(z3.Concat(_ANY, z3.Re("//"), _ANY)), z3.Re("//")))
        return image

    def host_image(self, host: z3.SeqRef, port: z3.ArithRef, port_suffix: z3.ReRef) -> z3.BoolRef:
        """The Host the routes can see: without the port that is stripped."""
        has_port = z3.InRe(host, z3.Concat(_ANY, port_suffix))
        if self.strip_port == "any":
            return z3.Not(has_port)
        if self.strip_port == "matching":  # leading-zero ports left out (Envoy compares numbers)
            zero = z3.InRe(host, z3.Concat(_ANY, z3.Re(":0"), _ANY))
            return z3.Or(
                z3.Not(has_port),
                z3.And(z3.Not(zero), z3.Not(z3.SuffixOf(z3.Concat(sval(":"), z3.IntToStr(port)), host))),
            )
        return z3.BoolVal(True)


def rewrite_sensitive(path: str) -> bool:
    """Could some rewrite option change this path (so a verdict resting on it assumes the options)?"""
    return (
        "%" in path
        or "\\" in path
        or "//" in path
        or _DOT_SEGMENT.search(path) is not None
        or any(c in ENCODED for c in path)
    )


STRICTEST = Rewrite(True, True, "REJECT_REQUEST")
