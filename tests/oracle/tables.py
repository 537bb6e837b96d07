"""Hypothesis strategies for random route tables in the match IR, and their Envoy rendering.

`tables(envoy=True)` draws tables Envoy can express (prefix / path / safe_regex /
path_separated_prefix with case_sensitive, Gateway API segment prefixes rendered the way
Istio renders them, header string / present / inverted matchers, query parameter matchers,
`:method`, `:authority`), with non-ASCII bytes in header values and regexes, paths that
path normalisation changes, and one of `REWRITES` (the connection manager's rewriting; the
oracle runs one listener per option set). Envoy tables carry the virtual host's domain on
its entries as the Envoy translator does (`envoy_cases`).
`envoy=False` adds host patterns. `render_vhost` turns a table into one Envoy virtual host
whose routes answer with their own name.
"""

from __future__ import annotations

import random
from typing import Any

from cnverify.encodings.http import (
    Entry,
    HeaderMatch,
    HostPattern,
    Match,
    MatchTable,
    PathMatch,
    QueryMatch,
    Request,
    Rewrite,
    StrMatch,
    wire,
)
from cnverify.systems.routing.tables import scoped
from hypothesis import strategies as st

SEGMENTS = ["a", "b", "A", "ab", "a.b", "a-b", ".", "..", "%41", "a%2Fb", ""]
PATH_REGEXES = [
    "/a",
    "/b",
    "/[ab]+",
    "/.*",
    "/[^/]*",
    "(/a)?",
    "/\\d+",
    "/A",
    "/a?b",
    "(/[a-z]+){1,2}",
    "/\\.\\.?",
    "/%2[fF]",
    "/%41",
    "//",
    "/\\\\",
    "/[^/]*%[0-9A-F]{2}",
]
VALUES = ["1", "a", "ab", "A", "a b", "é"]  # config text; requests carry its UTF-8 bytes (and other bytes)
BYTES = ["\xe9", "\xc3", "\xc9", "a\xffb"]  # request-only byte values (not valid UTF-8)
DOT_PATHS = [
    "/a/../b",
    "/a/./b",
    "/a//b",
    "/%41",
    "/a%2Fb",
    "/a%2fb",
    "/a\\b",
    "/%2e%2e/a",
    "//a",
    "/a/..",
    "/%00",
    "/a%5Cb",
    "/%%34%31",
    "/a/%2e",
    "/A/.%2E/a",
    "/a%22b",
    "/a|b",
]
SAMPLE_HOSTS = {
    "t.test": ["t.test", "T.TEST", "t.test:81"],
    "*.t.test": ["a.t.test", "A.T.Test", "a.t.test:81"],
    "a.*": ["a.b", "a.t.test", "a.b:81"],
    "*": ["a.t.test", "x", "a.b:81"],
}
REWRITES = [
    Rewrite(),
    Rewrite(normalize_path=True),
    Rewrite(merge_slashes=True),
    Rewrite(True, True),
    Rewrite(escaped_slashes="REJECT_REQUEST"),
    Rewrite(escaped_slashes="UNESCAPE_AND_REDIRECT"),
    Rewrite(escaped_slashes="UNESCAPE_AND_FORWARD"),
    Rewrite(True, True, "UNESCAPE_AND_FORWARD"),
    Rewrite(True, False, "REJECT_REQUEST"),
    Rewrite(strip_port="any"),
]
DOMAINS = ["t.test", "*.t.test", "a.*", "*"]
AUTHORITY = [
    StrMatch("exact", "a.t.test"),
    StrMatch("prefix", "A", True),
    StrMatch("suffix", ".test"),
    StrMatch("contains", "t.t"),
    StrMatch("regex", "[a-z]\\.t\\.test"),
    StrMatch("exact", "a.b:81"),
]
HEADER_NAMES = ["x-a", "x-b"]
QUERY_NAMES = ["k", "K"]


@st.composite
def literal_paths(draw: st.DrawFn) -> str:
    segs = draw(st.lists(st.sampled_from(SEGMENTS), min_size=0, max_size=3))
    return "/" + "/".join(segs)


@st.composite
def path_matches(draw: st.DrawFn, envoy: bool) -> PathMatch | None:
    kinds = ["prefix", "exact", "regex", "path_separated_prefix", "segment_prefix", "none"]
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None
    if kind == "regex":
        pieces = draw(st.lists(st.sampled_from(PATH_REGEXES), min_size=1, max_size=3))
        prefix = "(?i)" if draw(st.integers(0, 5)) == 0 else ""
        return PathMatch("regex", prefix + "".join(pieces))
    value = draw(literal_paths())
    if kind == "path_separated_prefix":
        value = value.rstrip("/") or "/a"
    if kind == "segment_prefix" and draw(st.booleans()):
        value += "/"
    return PathMatch(kind, value, draw(st.booleans()) if kind != "segment_prefix" else False)


@st.composite
def str_matches(draw: st.DrawFn) -> StrMatch:
    kind = draw(st.sampled_from(["exact", "prefix", "suffix", "contains", "regex"]))
    if kind == "regex":
        return StrMatch(
            "regex",
            draw(
                st.sampled_from(
                    ["a.*", "[0-9]+", "(?i)a", "a|b", ".+b", "é", "..", "\\x{e9}", "[^a]", "(?i)\\x{c9}", "\\C\\C"]
                )
            ),
        )
    value = draw(st.sampled_from(VALUES + ([""] if kind == "exact" else [])))
    return StrMatch(kind, value, draw(st.booleans()))


@st.composite
def header_matches(draw: st.DrawFn) -> HeaderMatch:
    name = draw(st.sampled_from(HEADER_NAMES))
    invert, missing = draw(st.booleans()), draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        return HeaderMatch(name, present=draw(st.booleans()), invert=invert, treat_missing_as_empty=missing)
    if draw(st.integers(0, 5)) == 0:
        lo = draw(st.integers(-12, 12))
        return HeaderMatch(name, StrMatch("range", f"{lo},{lo + draw(st.integers(0, 15))}"), invert, None, missing)
    return HeaderMatch(name, draw(str_matches()), invert=invert, treat_missing_as_empty=missing)


@st.composite
def matches(draw: st.DrawFn, envoy: bool) -> Match:
    headers = draw(st.lists(header_matches(), max_size=2))
    if envoy and draw(st.integers(0, 11)) == 0:  # host conditions on every entry are costly: 1 in 12
        headers.append(HeaderMatch(":authority", draw(st.sampled_from(AUTHORITY)), invert=draw(st.booleans())))
    query = draw(st.lists(st.builds(QueryMatch, st.sampled_from(QUERY_NAMES), st.none() | str_matches()), max_size=1))
    if draw(st.integers(0, 7)) == 0:
        query.append(QueryMatch(draw(st.sampled_from(QUERY_NAMES)), absent=True))
    method = draw(
        st.none() | st.sampled_from([StrMatch("exact", "GET"), StrMatch("exact", "POST"), StrMatch("regex", "GET|PUT")])
    )
    return Match(path=draw(path_matches(envoy)), headers=tuple(headers), query=tuple(query), method=method)


HOSTS = [
    HostPattern("a.com"),
    HostPattern("*.a.com"),
    HostPattern("*.a.com", one_label=True),
    HostPattern("b.*"),
    HostPattern("A.COM", ignore_port=True),
    HostPattern("*.com", ignore_port=True),
]


@st.composite
def tables(draw: st.DrawFn, envoy: bool = True, max_entries: int = 6) -> MatchTable:
    ms = draw(st.lists(matches(envoy), min_size=1, max_size=max_entries))
    entries = []
    for n, m in enumerate(ms):
        hosts = None
        if not envoy and draw(st.booleans()):
            hosts = tuple(draw(st.lists(st.sampled_from(HOSTS), min_size=1, max_size=2, unique=True)))
        entries.append(Entry(f"r{n}", "0", m, hosts))
    return MatchTable(tuple(entries), draw(st.sampled_from(REWRITES)) if envoy else Rewrite())


@st.composite
def envoy_cases(draw: st.DrawFn, max_entries: int = 5) -> tuple[MatchTable, str, str | None]:
    """(table, virtual host domain, witness host): the entries scoped to the domain as the Envoy
    translator does (`scoped`: host conditions only when an entry tests the host, else a sample host)."""
    table = draw(tables(envoy=True, max_entries=max_entries))
    domain = draw(st.sampled_from(DOMAINS))
    entries, sample = scoped(list(table.entries), HostPattern(domain), [])
    return MatchTable(tuple(entries), table.rewrite), domain, sample


def hcm_options(rw: Rewrite) -> dict[str, Any]:
    """The HttpConnectionManager fields of a `Rewrite` (one oracle listener each)."""
    return {
        "normalize_path": rw.normalize_path,
        "merge_slashes": rw.merge_slashes,
        "path_with_escaped_slashes_action": rw.escaped_slashes,
        "strip_any_host_port": rw.strip_port == "any",
        "strip_matching_host_port": rw.strip_port == "matching",
    }


def _string_matcher(m: StrMatch) -> dict[str, Any]:
    if m.kind == "regex":
        return {"safe_regex": {"regex": m.value}}
    return {m.kind: m.value, "ignore_case": m.ignore_case}


def _header(h: HeaderMatch) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": h.name,
        "invert_match": h.invert,
        "treat_missing_header_as_empty": h.treat_missing_as_empty,
    }
    if h.present is not None:
        out["present_match"] = h.present
    elif h.match is not None and h.match.kind == "range":
        lo, hi = h.match.value.split(",")
        out["range_match"] = {"start": int(lo), "end": int(hi)}
    else:
        out["string_match"] = _string_matcher(h.match)  # type: ignore[arg-type]
    return out


def render_route(e: Entry) -> dict[str, Any]:
    m = e.match
    match: dict[str, Any] = {"prefix": "/"}
    if m.path is not None:
        kind, value = m.path.kind, m.path.value
        # as Istio renders Gateway API PathPrefix (docs/SEMANTICS.md#virtualservice-match-conditions)
        if kind == "segment_prefix":
            value = value.rstrip("/")
            kind = "path_separated_prefix" if value else "prefix"
            value = value or "/"
        key = {
            "exact": "path",
            "prefix": "prefix",
            "regex": "safe_regex",
            "path_separated_prefix": "path_separated_prefix",
        }[kind]
        match = {key: {"regex": value} if key == "safe_regex" else value}
        if m.path.ignore_case:
            match["case_sensitive"] = False
    headers = [_header(h) for h in m.headers]
    if m.method is not None:
        headers.append({"name": ":method", "string_match": _string_matcher(m.method)})
    if headers:
        match["headers"] = headers
    if m.query:
        match["query_parameters"] = [
            {"name": q.name, "present_match": not q.absent}
            if q.match is None
            else {"name": q.name, "string_match": _string_matcher(q.match)}
            for q in m.query
        ]
    name = f"{e.route_id}.{e.clause_id}"
    return {
        "name": name,
        "match": match,
        "direct_response": {"status": 200, "body": {"inline_string": name}},
        "response_headers_to_add": [{"header": {"key": "x-route", "value": name}}],
    }


def render_vhost(table: MatchTable, domain: str) -> dict[str, Any]:
    return {"name": "t", "domains": [domain], "routes": [render_route(e) for e in table.entries]}


def samples(table: MatchTable, limit: int = 40, domain: str = "") -> list[Request]:
    """Requests around the table's literals (paths, header and query values, methods), seeded by the table."""
    paths = {"/", "/x", "/a", "/A/", "/ab", "/a/b", "/a.b/1", "/1"} | set(DOT_PATHS)
    values = {wire(v) for v in VALUES} | set(BYTES) | {"", "b", "x1", "5", "-3", "+7", "007", "12", "-0"}
    for e in table.entries:
        p = e.match.path
        if p is not None and p.kind != "regex":
            v = wire(p.value)
            paths |= {v, v + "/", v + "x", v.upper(), v + "/1", v.rstrip("/"), v + "/../x", v + "/."}
        for h in e.match.headers + tuple(q for q in e.match.query):  # type: ignore[operator]
            m = h.match
            if m is not None and m.kind == "range":
                lo, hi = (int(x) for x in m.value.split(","))
                values |= {str(lo), str(hi), str(hi - 1), f"+{lo}"}
            elif m is not None and h.name != ":authority":
                v = wire(m.value)
                values |= {v, v + "b", "x" + v, v.upper()}
    path_list = sorted(p for p in paths if p.startswith("/"))
    value_list = sorted(v for v in values if v == v.strip())
    rng = random.Random(repr(table))
    out = []
    for _ in range(limit):
        headers: dict[str, str | tuple[str, ...]] = {
            n: rng.choice(value_list) if rng.random() < 0.8 else (rng.choice(value_list), rng.choice(value_list))
            for n in HEADER_NAMES
            if rng.random() < 0.6
        }
        query = {n: rng.choice(value_list) for n in QUERY_NAMES if rng.random() < 0.4}
        host = rng.choice(SAMPLE_HOSTS.get(domain, ["t"]))
        out.append(
            Request(
                host=host,
                method=rng.choice(["GET", "POST", "PUT"]),
                path=rng.choice(path_list),
                headers=headers,
                query=query,
            )
        )
    return [r for r in out if not r.problems() and not r.http2_only()]
