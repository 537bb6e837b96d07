"""Hypothesis strategies for random route tables in the match IR, and their Envoy rendering.

`tables(envoy=True)` draws tables Envoy can express (prefix / path / safe_regex /
path_separated_prefix with case_sensitive, Gateway API segment prefixes rendered the way
Istio renders them, header string / present / inverted matchers, query parameter matchers,
`:method`). `envoy=False` adds host patterns. `render_vhost` turns a table into one Envoy
virtual host whose routes answer with their own name.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import strategies as st

from cnverify.encodings.http import (
    Entry, HeaderMatch, HostPattern, Match, MatchTable, PathMatch, QueryMatch, Request, StrMatch,
)

SEGMENTS = ["a", "b", "A", "ab", "a.b", "a-b"]
PATH_REGEXES = ["/a", "/b", "/[ab]+", "/.*", "/[^/]*", "(/a)?", "/\\d+", "/A", "/a?b", "(/[a-z]+){1,2}"]
VALUES = ["1", "a", "ab", "A", "a b"]
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
        return StrMatch("regex", draw(st.sampled_from(["a.*", "[0-9]+", "(?i)a", "a|b", ".+b"])))
    value = draw(st.sampled_from(VALUES + ([""] if kind == "exact" else [])))
    return StrMatch(kind, value, draw(st.booleans()))


@st.composite
def header_matches(draw: st.DrawFn) -> HeaderMatch:
    name = draw(st.sampled_from(HEADER_NAMES))
    invert, missing = draw(st.booleans()), draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        return HeaderMatch(name, present=draw(st.booleans()), invert=invert, treat_missing_as_empty=missing)
    return HeaderMatch(name, draw(str_matches()), invert=invert, treat_missing_as_empty=missing)


@st.composite
def matches(draw: st.DrawFn, envoy: bool) -> Match:
    headers = draw(st.lists(header_matches(), max_size=2))
    query = draw(st.lists(st.builds(QueryMatch, st.sampled_from(QUERY_NAMES), st.none() | str_matches()), max_size=1))
    method = draw(st.none() | st.sampled_from([StrMatch("exact", "GET"), StrMatch("exact", "POST"),
                                              StrMatch("regex", "GET|PUT")]))
    return Match(path=draw(path_matches(envoy)), headers=tuple(headers), query=tuple(query), method=method)


HOSTS = [HostPattern("a.com"), HostPattern("*.a.com"), HostPattern("*.a.com", one_label=True),
         HostPattern("b.*"), HostPattern("A.COM", ignore_port=True), HostPattern("*.com", ignore_port=True)]


@st.composite
def tables(draw: st.DrawFn, envoy: bool = True, max_entries: int = 6) -> MatchTable:
    ms = draw(st.lists(matches(envoy), min_size=1, max_size=max_entries))
    entries = []
    for n, m in enumerate(ms):
        hosts = None
        if not envoy and draw(st.booleans()):
            hosts = tuple(draw(st.lists(st.sampled_from(HOSTS), min_size=1, max_size=2, unique=True)))
        entries.append(Entry(f"r{n}", "0", m, hosts))
    return MatchTable(tuple(entries))


def _string_matcher(m: StrMatch) -> dict[str, Any]:
    if m.kind == "regex":
        return {"safe_regex": {"regex": m.value}}
    return {m.kind: m.value, "ignore_case": m.ignore_case}


def _header(h: HeaderMatch) -> dict[str, Any]:
    out: dict[str, Any] = {"name": h.name, "invert_match": h.invert,
                           "treat_missing_header_as_empty": h.treat_missing_as_empty}
    if h.present is not None:
        out["present_match"] = h.present
    else:
        out["string_match"] = _string_matcher(h.match)  # type: ignore[arg-type]
    return out


def render_route(e: Entry) -> dict[str, Any]:
    m = e.match
    match: dict[str, Any] = {"prefix": "/"}
    if m.path is not None:
        kind, value = m.path.kind, m.path.value
        if kind == "segment_prefix":  # as Istio renders Gateway API PathPrefix (SEMANTICS §4.2)
            value = value.rstrip("/")
            kind = "path_separated_prefix" if value else "prefix"
            value = value or "/"
        key = {"exact": "path", "prefix": "prefix", "regex": "safe_regex",
               "path_separated_prefix": "path_separated_prefix"}[kind]
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
            {"name": q.name, "present_match": True} if q.match is None
            else {"name": q.name, "string_match": _string_matcher(q.match)} for q in m.query
        ]
    name = f"{e.route_id}.{e.clause_id}"
    return {"name": name, "match": match, "direct_response": {"status": 200, "body": {"inline_string": name}},
            "response_headers_to_add": [{"header": {"key": "x-route", "value": name}}]}


def render_vhost(table: MatchTable, host: str) -> dict[str, Any]:
    return {"name": host, "domains": [host], "routes": [render_route(e) for e in table.entries]}


def samples(table: MatchTable, limit: int = 40) -> list[Request]:
    """Requests around the table's literals (paths, header and query values, methods), seeded by the table."""
    paths = {"/", "/x", "/a", "/A/", "/ab", "/a/b", "/a.b/1", "/1"}
    values = set(VALUES) | {"", "b", "x1"}
    for e in table.entries:
        p = e.match.path
        if p is not None and p.kind != "regex":
            paths |= {p.value, p.value + "/", p.value + "x", p.value.upper(), p.value + "/1", p.value.rstrip("/")}
        for h in e.match.headers + tuple(q for q in e.match.query):  # type: ignore[operator]
            m = h.match
            if m is not None:
                values |= {m.value, m.value + "b", "x" + m.value, m.value.upper()}
    path_list = sorted(p for p in paths if p.startswith("/"))
    value_list = sorted(v for v in values if v == v.strip())
    rng = random.Random(repr(table))
    out = []
    for _ in range(limit):
        headers: dict[str, str | tuple[str, ...]] = {
            n: rng.choice(value_list) if rng.random() < 0.8 else (rng.choice(value_list), rng.choice(value_list))
            for n in HEADER_NAMES if rng.random() < 0.6
        }
        query = {n: rng.choice(value_list) for n in QUERY_NAMES if rng.random() < 0.4}
        out.append(Request(host="t", method=rng.choice(["GET", "POST", "PUT"]), path=rng.choice(path_list),
                           headers=headers, query=query))
    return [r for r in out if not r.problems()]
