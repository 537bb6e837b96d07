"""Match IR for HTTP routing tables and its plain-Python evaluator (the oracle for Z3).

A `MatchTable` is an ordered tuple of `Entry(route_id, clause_id, match, hosts)` evaluated
**first match wins**; each system's precedence is turned into this order by the caller.
`Match` is the AND of its parts (None / empty = no condition):

* `path: PathMatch(kind, value, ignore_case)` — kinds `exact`, `prefix` (byte prefix),
  `regex` (RE2 full match; ignore_case has no effect), `path_separated_prefix` (Envoy: path
  equals value or continues with `/`), `segment_prefix` (Gateway API PathPrefix / Ingress
  Prefix: trailing `/` of the value ignored, `/` matches all, then as path_separated_prefix).
* `headers: tuple[HeaderMatch, ...]` — Envoy's `HeaderMatcher` semantics, see `HeaderMatch`;
  a header sent several times holds for a string matcher when ANY of its values matches
  (then `invert` applies) — observed on Envoy 1.40 (Envoy's docs say comma-joined; docs/SEMANTICS.md#route-matching).
* `query: tuple[QueryMatch, ...]` — key present (case-sensitive key) and, if `match` is set,
  its first value matches; `absent=True`: the key is absent (Envoy `present_match: false`).
* `method`, `authority: StrMatch | None`; `port: int | None` (listener port);
  `unsupported: str | None` — a condition the IR cannot express (analysis → unknown).

`StrMatch(kind, value, ignore_case)`: kinds `exact prefix suffix contains regex present`;
ignore_case is ASCII case folding (Envoy/absl); `present` matches every value; `range`
(Envoy `range_match`, value `"start,end"`) a whole value `[+-]?[0-9]+` whose integer is in
[start, end) (leading zeros and a sign allowed, as Envoy 1.40 does).
Entry `hosts` is None (all hosts) or a tuple of `HostPattern`s (ORed).

Request model (what a client can send through Envoy 1.40, checked against it). Every string
is a byte string (one character per byte, Latin-1): Envoy matches bytes, and config literals
are compared as their UTF-8 bytes (`wire`). Path `/` + printable ASCII without `#` `?`, or
bytes 0x80-0xFF (HTTP/2 only: Envoy's HTTP/1 codec rejects them); query keys printable ASCII
without `# & =`, values without `# &`, matched raw (Envoy does not percent-decode for
matching); header values are tab, space, printable ASCII or bytes 0x80-0xFF (obs-text),
without leading/trailing blanks (Envoy trims them); header names lower-case; `host` is the
Host header (case kept, optional `:port`); the method is any token except CONNECT (HTTP/2
allows any token; Envoy's HTTP/1 codec only the `METHODS` list, which witnesses prefer).
`MatchTable.rewrite` (`http_rewrite.Rewrite`) is applied to a request before its routes see
it (path normalisation, port stripping); `first_match` takes the request as sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .http_rewrite import Rewrite
from .regex import UnsupportedRegex, to_python

StrKind = Literal["exact", "prefix", "suffix", "contains", "regex", "present", "range"]
PathKind = Literal["exact", "prefix", "regex", "segment_prefix", "path_separated_prefix"]
# methods Envoy 1.40's HTTP/1 codec accepts (CONNECT aside), probed; HTTP/2 accepts any token
METHODS = (
    "GET",
    "POST",
    "PUT",
    "DELETE",
    "HEAD",
    "OPTIONS",
    "PATCH",
    "TRACE",
    "COPY",
    "LOCK",
    "MKCOL",
    "MOVE",
    "PROPFIND",
    "PROPPATCH",
    "SEARCH",
    "UNLOCK",
    "BIND",
    "REBIND",
    "UNBIND",
    "ACL",
    "REPORT",
    "MKACTIVITY",
    "CHECKOUT",
    "MERGE",
    "NOTIFY",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "PURGE",
    "MKCALENDAR",
    "LINK",
    "UNLINK",
    "SOURCE",
)
TOKEN_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
PATH_RE = re.compile(r"/[\x21\x22\x24-\x3e\x40-\x7e\x80-\xff]*")
QUERY_KEY_RE = re.compile(r"[\x21\x22\x24\x25\x27-\x3c\x3e-\x7e]+")
QUERY_VALUE_RE = re.compile(r"[\x21\x22\x24\x25\x27-\x7e]*")
HEADER_VALUE_RE = re.compile(r"(?:[\x21-\x7e\x80-\xff](?:[\x09\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?")
HOST_RE = re.compile(r"[A-Za-z0-9._-]+(?::[0-9]{1,5})?")
# header names whose value the proxy controls or that are not plain request headers
MANAGED_HEADERS = frozenset(
    {
        ":path",
        ":scheme",
        ":protocol",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "upgrade",
        "expect",
        "proxy-connection",
        "x-forwarded-proto",
        "x-request-id",
        "x-forwarded-for",
        "x-envoy-internal",
        "x-envoy-original-path",
    }
)
PSEUDO = {":method": "method", ":authority": "host", "host": "host"}


class UnsupportedMatch(ValueError):
    """The match uses a construct the IR or the request model cannot express soundly."""


@dataclass(frozen=True)
class StrMatch:
    kind: StrKind
    value: str = ""
    ignore_case: bool = False


@dataclass(frozen=True)
class PathMatch:
    kind: PathKind
    value: str
    ignore_case: bool = False


@dataclass(frozen=True)
class HeaderMatch:
    """Envoy HeaderMatcher: exactly one of `match` (string match) or `present` is set.

    Absent header and not `treat_missing_as_empty`: only a present-matcher can hold —
    `present=False` (not inverted) or `present=True` inverted. Otherwise the value (or ""
    for a missing header) is tested — a present-matcher yields `present` — and `invert`
    flips the result. Istio `withoutHeaders: {x: {exact: v}}` is `invert=True,
    treat_missing_as_empty=True`; `withoutHeaders: {x: {}}` is `present=True, invert=True`.
    """

    name: str
    match: StrMatch | None = None
    invert: bool = False
    present: bool | None = None
    treat_missing_as_empty: bool = False

    def __post_init__(self) -> None:
        if (self.match is None) == (self.present is None):
            raise ValueError("HeaderMatch needs exactly one of match / present")
        object.__setattr__(self, "name", self.name.lower())


@dataclass(frozen=True)
class QueryMatch:
    name: str
    match: StrMatch | None = None  # None: the key is present (any value)
    absent: bool = False  # the key must be absent (then `match` is None)


@dataclass(frozen=True)
class Match:
    path: PathMatch | None = None
    headers: tuple[HeaderMatch, ...] = ()
    query: tuple[QueryMatch, ...] = ()
    method: StrMatch | None = None
    authority: StrMatch | None = None
    port: int | None = None
    unsupported: str | None = None


@dataclass(frozen=True)
class HostPattern:
    """`*` (any), `*suffix`, `prefix*` or an exact name; compared case-insensitively.

    `one_label`: a leading `*.` covers exactly one label (Ingress) instead of one or more
    (Envoy, Gateway API). `ignore_port`: drop `:port` from the Host header first (Gateway
    API, Ingress); Envoy compares the whole authority.
    """

    pattern: str
    one_label: bool = False
    ignore_port: bool = False

    def matches(self, host: str) -> bool:
        h = ascii_lower(host)
        if self.ignore_port:
            h = re.sub(r":[0-9]+$", "", h)
        p = ascii_lower(wire(self.pattern))
        if p == "*":
            return True
        if p.startswith("*"):
            head = h[: len(h) - len(p) + 1]
            return h.endswith(p[1:]) and len(head) > 0 and not (self.one_label and "." in head)
        if p.endswith("*"):
            return h.startswith(p[:-1]) and len(h) > len(p) - 1
        return h == p


@dataclass(frozen=True)
class Entry:
    route_id: str
    clause_id: str
    match: Match
    hosts: tuple[HostPattern, ...] | None = None


@dataclass(frozen=True)
class MatchTable:
    entries: tuple[Entry, ...]
    rewrite: Rewrite = Rewrite()


@dataclass(frozen=True)
class Request:
    """A concrete request (witness). `headers` keys are lower-case; a tuple value is a header
    sent several times (one line per value, in order)."""

    host: str = "example.com"
    port: int = 80
    method: str = "GET"
    path: str = "/"
    headers: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)

    def target(self) -> str:
        """The request target: path plus the query string."""
        if not self.query:
            return self.path
        return self.path + "?" + "&".join(f"{k}={v}" for k, v in self.query.items())

    def to_json(self) -> dict[str, Any]:
        """JSON view: bytes that form UTF-8 are shown as that text; other non-ASCII bytes as `\\xNN`
        (then `"escaped_bytes": true`); `"http2": true` when only an HTTP/2 client can send it."""
        esc: list[bool] = []
        out: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "method": self.method,
            "path": shown(self.path, esc),
            "headers": {
                k: shown(v, esc) if isinstance(v, str) else [shown(x, esc) for x in v] for k, v in self.headers.items()
            },
            "query": dict(self.query),
        }
        if any(esc):
            out["escaped_bytes"] = True
        if self.http2_only():
            out["http2"] = True
        return out

    def http2_only(self) -> bool:
        """Only an HTTP/2 client can send it (non-ASCII path bytes, a method outside `METHODS`)."""
        return self.method not in METHODS or any(c > "\x7f" for c in self.path)

    def header_lines(self) -> list[tuple[str, str]]:
        """(name, value) per header line, repeated headers expanded in order."""
        return [(k, x) for k, v in self.headers.items() for x in ((v,) if isinstance(v, str) else v)]

    def problems(self) -> list[str]:
        """Why this request is outside the request model (empty when it is valid)."""
        out = []
        if not PATH_RE.fullmatch(self.path):
            out.append(f"path {self.path!r}")
        if not HOST_RE.fullmatch(self.host):
            out.append(f"host {self.host!r}")
        if not TOKEN_RE.fullmatch(self.method) or self.method == "CONNECT":
            out.append(f"method {self.method!r}")
        out += [f"query key {k!r}" for k in self.query if not QUERY_KEY_RE.fullmatch(k)]
        out += [f"query value {v!r}" for v in self.query.values() if not QUERY_VALUE_RE.fullmatch(v)]
        out += [
            f"header {k!r}"
            for k, v in self.header_lines()
            if k != k.lower() or k in PSEUDO or k.startswith(":") or not HEADER_VALUE_RE.fullmatch(v)
        ]
        out += [f"header {k!r} without values" for k, v in self.headers.items() if v == ()]
        return out


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(s: str) -> str:
    return s.translate(_LOWER)


def shown(value: str, escaped: list[bool]) -> str:
    """A byte string as text: its UTF-8 reading, else `\\xNN` escapes (noted in `escaped`)."""
    if value.isascii():
        return value
    raw = value.encode("latin-1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        escaped.append(True)
        return raw.decode("ascii", "backslashreplace")


def wire(text: str) -> str:
    """A config literal as the bytes Envoy compares (its UTF-8 encoding, one character per byte)."""
    return text if text.isascii() else text.encode("utf-8", "surrogatepass").decode("latin-1")


INTEGER_RE = re.compile(r"[+-]?[0-9]+")


def range_bounds(m: StrMatch) -> tuple[int, int]:
    lo, hi = m.value.split(",")
    return int(lo), int(hi)


def str_matches(m: StrMatch, value: str) -> bool:
    if m.kind == "present":
        return True
    if m.kind == "range":
        lo, hi = range_bounds(m)
        return INTEGER_RE.fullmatch(value) is not None and lo <= int(value) < hi
    if m.kind == "regex":
        return re.fullmatch(to_python(m.value), value) is not None
    return _literal_matches(m.kind, m.value, m.ignore_case, value)


def _literal_matches(kind: str, literal: str, ignore_case: bool, value: str) -> bool:
    """``str_matches`` of a literal ``StrMatch(kind, literal, ignore_case)`` (without building one)."""
    v, x = (ascii_lower(wire(literal)), ascii_lower(value)) if ignore_case else (wire(literal), value)
    if kind == "exact":
        return x == v
    if kind == "prefix":
        return x.startswith(v)
    if kind == "suffix":
        return x.endswith(v)
    if kind == "contains":
        return v in x
    raise ValueError(f"unknown StrMatch kind {kind!r}")


def segment_value(value: str) -> str:
    """The literal a segment prefix compares against (trailing `/` dropped)."""
    return value.rstrip("/")


def path_matches(m: PathMatch, path: str) -> bool:
    kind = m.kind
    if kind == "prefix" or kind == "exact":
        if m.ignore_case:
            return _literal_matches(kind, m.value, True, path)
        v = wire(m.value)  # `_literal_matches` without case folding, inline (every table probe asks it)
        return path.startswith(v) if kind == "prefix" else path == v
    if kind == "regex":
        return re.fullmatch(to_python(m.value), path) is not None
    if m.kind not in ("segment_prefix", "path_separated_prefix"):
        raise ValueError(f"unknown PathMatch kind {m.kind!r}")
    v = segment_value(m.value) if m.kind == "segment_prefix" else m.value
    if not v and m.kind == "segment_prefix":
        return True
    return _literal_matches("exact", v, m.ignore_case, path) or _literal_matches("prefix", v + "/", m.ignore_case, path)


def header_value(name: str, request: Request) -> tuple[str, ...] | None:
    if name in MANAGED_HEADERS or name.startswith("x-envoy-"):
        raise UnsupportedMatch(f"header {name!r} is set or consumed by the proxy")
    if name in PSEUDO:
        return (str(getattr(request, PSEUDO[name])),)
    if name.startswith(":"):
        raise UnsupportedMatch(f"pseudo-header {name!r}")
    v = request.headers.get(name)
    return None if v is None else ((v,) if isinstance(v, str) else tuple(v))


def header_matches(h: HeaderMatch, values: tuple[str, ...] | None) -> bool:
    """`values`: the header's values in order (None = absent)."""
    if values is None and not h.treat_missing_as_empty:
        return h.present is not None and h.present == h.invert
    if h.present is not None:
        result = h.present
    else:
        result = any(str_matches(h.match, v) for v in (values or ("",)))  # type: ignore[arg-type]
    return result != h.invert


def evaluate(match: Match, request: Request) -> bool:
    """Does `request` satisfy every condition of `match`? Raises UnsupportedMatch/UnsupportedRegex."""
    if match.unsupported:
        raise UnsupportedMatch(match.unsupported)
    if match.port is not None and request.port != match.port:
        return False
    if match.path is not None and not path_matches(match.path, request.path):
        return False
    if match.method is not None and not str_matches(match.method, request.method):
        return False
    if match.authority is not None and not str_matches(match.authority, request.host):
        return False
    for h in match.headers:
        if not header_matches(h, header_value(h.name, request)):
            return False
    for q in match.query:
        if q.absent:
            if q.name in request.query:
                return False
        elif q.name not in request.query or (q.match is not None and not str_matches(q.match, request.query[q.name])):
            return False
    return True


def conditions(m: Match) -> list[Match]:
    """The ANDed conditions of `m`, one `Match` each (`unsupported` left out)."""
    out = [Match(path=m.path), Match(method=m.method), Match(authority=m.authority), Match(port=m.port)]
    return out + [Match(headers=(h,)) for h in m.headers] + [Match(query=(q,)) for q in m.query]


def surely_misses(entry: Entry, request: Request) -> bool:
    """True when `request` provably does not match `entry`, even if some of its conditions
    cannot be evaluated (one condition that can be and fails is enough: conditions are ANDed)."""
    if not host_applies(entry, request.host):
        return True
    for part in conditions(entry.match):
        try:
            if not evaluate(part, request):
                return True
        except (UnsupportedMatch, ValueError):
            continue
    return False


def first_sure(table: MatchTable, request: Request) -> Entry | None:
    """`first_match`, except that an entry that cannot be evaluated is skipped when the request
    surely misses it (raises UnsupportedMatch / RegexError when it may match)."""
    seen = routed(table.rewrite, request)
    if seen is None:
        return None
    for entry in table.entries:
        try:
            if entry_matches(entry, seen):
                return entry
        except (UnsupportedMatch, ValueError):
            if not surely_misses(entry, seen):
                raise
    return None


def host_applies(entry: Entry, host: str) -> bool:
    return entry.hosts is None or any(p.matches(host) for p in entry.hosts)


def entry_matches(entry: Entry, request: Request) -> bool:
    hosts = entry.hosts  # `host_applies`, inline
    if hosts is not None and not any(p.matches(request.host) for p in hosts):
        return False
    return evaluate(entry.match, request)


def routed(rewrite: Rewrite, request: Request) -> Request | None:
    """The request as the routes see it after `rewrite` (None: it reaches no route)."""
    path = rewrite.path(request.path)
    if path is None:
        return None
    host = rewrite.host(request.host, request.port)
    return request if (path, host) == (request.path, request.host) else replace(request, path=path, host=host)


def first_match(table: MatchTable, request: Request) -> Entry | None:
    """The entry the request as sent takes (first match wins), or None (404, rejected)."""
    seen = routed(table.rewrite, request)
    if seen is None:
        return None
    for entry in table.entries:
        if entry_matches(entry, seen):
            return entry
    return None


__all__ = [
    "METHODS",
    "MANAGED_HEADERS",
    "Rewrite",
    "UnsupportedMatch",
    "routed",
    "wire",
    "UnsupportedRegex",
    "StrMatch",
    "PathMatch",
    "HeaderMatch",
    "QueryMatch",
    "Match",
    "HostPattern",
    "Entry",
    "MatchTable",
    "Request",
    "evaluate",
    "first_match",
    "entry_matches",
    "str_matches",
    "path_matches",
    "header_matches",
]
