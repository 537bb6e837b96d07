"""Linkerd's route matching: one ``policy.linkerd.io`` HTTPRoute match as IR plus its precedence score, and
Linkerd's best-score selection turned into a first-match order (docs/SEMANTICS.md#linkerd).

linkerd2-proxy ``linkerd/http/route/src/lib.rs``: ``find`` keeps, over all routes, the greatest ``RouteMatch
{host, route}`` (derived ``Ord``: host first, ``None`` below ``Some``), within a route the greatest rule, within
a rule the greatest match; ``best`` keeps the *first* route and rule on a tie (routes in the order the control
plane sends them, rules as written).  ``http/match.rs`` ``impl Ord for RequestMatch``: the path score, then
(29637b64, 2026-08-21) header count, query-param count, method present — or (3865944, linkerd2-proxy#4604)
method, headers, query params; within a rule 29637b64 keeps the last tied match (``Iterator::max``) and 3865944
the first (``first_max``); linkerd2-proxy#4604 says it also changes Exact/PathPrefix ties (code not read:
Exact first is assumed possible).  All are `FLAVORS`, analysed as variants.  ``http/match/path.rs``: the path
score is a length only (``impl Ord for PathMatch``): Exact the value's length, PathPrefix the value without
trailing ``/`` (``/`` itself counts 1), RegularExpression the **request path's** length (the first match of
``Regex::find`` must start at 0 and end at the path's end).

The request-dependent regex score is encoded exactly: when a regex matches a path of length L, every matching
Exact scores L and every matching PathPrefix scores at most L, equal only when the path is the prefix value
itself.  So the table is the "tie zone" first (regexes, Exacts and each PathPrefix restricted to its value,
all scoring L when they match, ordered by the rest of the score), then the PathPrefixes by score.  A
PathPrefix's restricted copy is a `Clause` with its own key and the same route and path (CNV101/CNV105 judge
both together).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from cnverify.encodings.http import Entry, HeaderMatch, HostPattern, Match, PathMatch, QueryMatch, StrMatch
from cnverify.encodings.regex import RegexError
from cnverify.encodings.regex_parse import parse
from cnverify.encodings.regex_syntax import Cat, CharSet, Node, Rep
from cnverify.model.gateway import HTTPRouteMatch, ValueMatch
from cnverify.model.linkerd import LinkerdHTTPRoute

EQ = "#path-equals-prefix"  # suffix of the key of a PathPrefix clause restricted to its value
QUERY_SAFE = re.compile(r"[A-Za-z0-9._~:@!$'()*,;/?-]*")  # characters form decoding leaves as they are
_LEFTMOST = (
    "{what} {v!r}: Linkerd takes the first match of Regex::find, which must span the value; cnverify encodes "
    "that only for regexes without alternation, lazy or inner variable repetition"
)
LAZY = re.compile(r"(?<!\\)(?:[*+?}]\?|\(\?[a-zA-Z]*U)")


@dataclass
class Row:
    """One match of one rule of one route: its IR match and the static parts of its score."""

    route: LinkerdHTTPRoute
    key: str  # clause key
    match: Match
    kind: str  # "exact" | "prefix" | "regex"
    length: int  # path score of exact / prefix
    value: str  # the prefix value without trailing "/" ("/" for the root)
    rest: tuple[int, int, int]  # (method present, header count, query-param count)
    rule: int
    index: int


def leftmost_first_exact(pattern: str) -> bool:
    """Is "the first match of ``Regex::find`` spans the path" the same as a full match of ``pattern``?

    True when the pattern is single characters, fixed counts of them and at most a final greedy repetition
    of one character class: then the match at 0 has one length, or the greedy tail takes all it can.
    Alternation, lazy or inner variable repetition can make the first match shorter than the path while
    another match spans it (``/a|/ab`` on ``/ab``), which the IR's full match would accept."""
    if LAZY.search(pattern):
        return False
    try:
        node: Node = parse(pattern)
    except RegexError:
        return False
    items = _flat(node)
    if items is None:
        return False
    for n, x in enumerate(items):
        if isinstance(x, Rep) and not (isinstance(x.item, CharSet) and (x.lo == x.hi or n == len(items) - 1)):
            return False
    return True


def _flat(node: Node) -> list[Node] | None:
    if isinstance(node, Cat):
        out: list[Node] = []
        for x in node.items:
            sub = _flat(x)
            if sub is None:
                return None
            out += sub
        return out
    return [node] if isinstance(node, (CharSet, Rep)) else None


def _lax(x: StrMatch | None) -> bool:
    """A regex whose leftmost-first match may differ from a full match."""
    return x is not None and x.kind == "regex" and not leftmost_first_exact(x.value)


def host_score(hostname: str) -> tuple[int, int]:
    """``HostMatch`` of a route hostname when it matches (greater wins): Exact(len) above Suffix(len(".x"))
    (linkerd2-proxy http/match/host.rs ``summarize_match``, ``impl Ord for HostMatch``)."""
    return (1, len(hostname) - 1) if hostname.startswith("*.") else (2, len(hostname))


def host_patterns(hostnames: list[str]) -> tuple[HostPattern, ...]:
    """The hosts that match: case-insensitive, port dropped, a trailing dot on the request ignored."""
    return tuple(HostPattern(h + dot, ignore_port=True) for h in hostnames for dot in ("", "."))


def _value(v: ValueMatch) -> StrMatch | None:
    if v.type not in ("Exact", "RegularExpression"):
        return None
    return StrMatch("exact" if v.type == "Exact" else "regex", v.value)


def row(route: LinkerdHTTPRoute, key: str, m: HTTPRouteMatch | None, rule: int, index: int) -> Row:
    """The IR of one match (None: a rule without matches, the default ``PathPrefix /``)."""
    why: list[str] = []
    p = m.path if m is not None else None
    ptype, pvalue = (p.type, p.value) if p is not None else ("PathPrefix", "/")
    kind, value = "prefix", pvalue if pvalue == "/" else pvalue.rstrip("/")  # "//" scores 0 and equals no path
    length = 1 if pvalue == "/" else len(value.encode())
    if ptype == "Exact":
        kind, path, value, length = "exact", PathMatch("exact", pvalue), pvalue, len(pvalue.encode())
    elif ptype == "PathPrefix":
        path = PathMatch("segment_prefix", pvalue)
    elif ptype == "RegularExpression":
        kind, path, length = "regex", PathMatch("regex", pvalue), 0
        why += [_LEFTMOST.format(what="path regex", v=pvalue)] if not leftmost_first_exact(pvalue) else []
    else:
        path = None
        why.append(f"path match type {ptype}")
    headers, query = [], []
    for h in (m.headers or []) if m is not None else []:
        x = _value(h)
        headers += [HeaderMatch(h.name, match=x)] if x else []
        why += [] if x else [f"header match type {h.type}"]
        why += [_LEFTMOST.format(what=f"header {h.name} regex", v=h.value)] if _lax(x) else []
    for q in (m.query_params or []) if m is not None else []:
        x = _value(q)
        query += [QueryMatch(q.name, x)] if x else []
        why += [] if x else [f"query match type {q.type}"]
        if x and (x.kind == "regex" or not (QUERY_SAFE.fullmatch(x.value) and QUERY_SAFE.fullmatch(q.name))):
            why.append(
                f"query param {q.name}: Linkerd compares the form-decoded value, encoded here as written only for plain literals"
            )
    method = StrMatch("exact", m.method) if m is not None and m.method else None
    match = Match(
        path=path, headers=tuple(headers), query=tuple(query), method=method, unsupported="; ".join(why) or None
    )
    rest = (1 if method else 0, len(headers), len(query))
    return Row(route, key, match, kind, length, value, rest, rule, index)


@dataclass(frozen=True)
class Flavor:
    """How a proxy version breaks what the path length leaves equal."""

    name: str
    method_first: bool  # method present before header / query-param counts
    first_match_wins: bool  # among tied matches of one rule: the first (else the last, ``Iterator::max``)
    exact_first: bool = False  # an Exact path outranks an equally long PathPrefix or regex match


FLAVORS = (
    Flavor("linkerd2-proxy 29637b64: headers, query params, method; the last tied match", False, False),
    Flavor("linkerd2-proxy 3865944: method, headers, query params; the first tied match", True, True),
    Flavor("3865944 with Exact above an equally long PathPrefix (linkerd2-proxy#4604)", True, True, True),
)
VERSIONS = (
    "the Linkerd proxy version (linkerd2-proxy 29637b64, 2026-08-21, ranks header and query-param counts before a "
    "method match and keeps the last of a rule's tied matches; 3865944 ranks the method first and keeps the first; "
    "linkerd2-proxy#4604 also changes ties between Exact and PathPrefix matches, code not read)"
)


def first_match_order(
    rows: list[Row],
    position: dict[str, int],
    hosts: Mapping[str, tuple[HostPattern, ...]] | None = None,
    flavor: Flavor = FLAVORS[0],
) -> list[Entry]:
    """``rows`` (routes of one host score: ``hosts`` by route ref) in the first-match order equal to Linkerd's
    best score under ``flavor``."""

    def tie(r: Row) -> tuple[int, int, int]:
        return (position[r.route.ref], r.rule, r.index if flavor.first_match_wins else -r.index)

    def entry(r: Row, key: str, match: Match) -> Entry:
        return Entry(r.route.ref, key, match, hosts[r.route.ref] if hosts else None)

    def rest(r: Row) -> tuple[int, ...]:
        method, headers, query = r.rest
        return (-method, -headers, -query) if flavor.method_first else (-headers, -query, -method)

    def kind(r: Row) -> int:
        return 0 if r.kind == "exact" or not flavor.exact_first else 1

    prefixes = sorted((r for r in rows if r.kind == "prefix"), key=lambda r: (-r.length, *rest(r), *tie(r)))
    if not any(r.kind == "regex" for r in rows):
        fixed = sorted((r for r in rows if r.kind != "regex"), key=lambda r: (-r.length, kind(r), *rest(r), *tie(r)))
        return [entry(r, r.key, r.match) for r in fixed]
    zone = sorted(rows, key=lambda r: (kind(r), *rest(r), *tie(r)))
    out = [
        entry(r, r.key + EQ, replace(r.match, path=PathMatch("exact", r.value)))
        if r.kind == "prefix"
        else entry(r, r.key, r.match)
        for r in zone
    ]
    return out + [entry(r, r.key, r.match) for r in prefixes]
