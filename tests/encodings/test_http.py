"""Match IR: Z3 encoding vs the Python evaluator (Hypothesis), exact semantics, analyze()."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import z3
from cnverify.encodings import http_analyze
from cnverify.encodings.http import (
    Entry,
    HeaderMatch,
    HostPattern,
    Match,
    MatchTable,
    PathMatch,
    QueryMatch,
    Request,
    StrMatch,
    SymbolicRequest,
    UnsupportedMatch,
    analyze,
    entry_formula,
    entry_matches,
    evaluate,
    first_match,
)
from cnverify.encodings.http_precheck import candidates, covers, disjoint
from cnverify.encodings.regex import sval
from cnverify.smt import Limits
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parents[1] / "oracle"))
from tables import HEADER_NAMES, QUERY_NAMES, samples, tables  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HOSTS = ["a.com", "x.a.com", "x.y.a.com", "A.COM:8080", "b.x", "b.", "c.com", "-", "x.COM", ".a.com", "b"]
VALUE = st.text("aAb1 ", min_size=0, max_size=3).map(str.strip)


@st.composite
def requests(draw: st.DrawFn) -> Request:
    path = "/" + draw(st.text("aAb/.-1", max_size=6))
    headers = {n: draw(VALUE | st.tuples(VALUE, VALUE)) for n in HEADER_NAMES if draw(st.booleans())}
    query = {n: draw(st.text("aAb1", max_size=3)) for n in QUERY_NAMES if draw(st.booleans())}
    return Request(
        host=draw(st.sampled_from(HOSTS)),
        port=80,
        method=draw(st.sampled_from(["GET", "POST", "PUT"])),
        path=path,
        headers=headers,
        query=query,
    )


def concrete(req: SymbolicRequest, r: Request) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
    subs = [
        (req.path, sval(r.path)),
        (req.host, sval(r.host)),
        (req.method, sval(r.method)),
        (req.port, z3.IntVal(r.port)),
    ]
    for n, f in req.query.items():
        subs += [(f.present, z3.BoolVal(n in r.query)), (f.value, sval(r.query.get(n, "")))]
    for n, slots in req.headers.items():
        v = r.headers.get(n, ())
        values = (v,) if isinstance(v, str) else v
        assert len(values) <= len(slots)
        for k, f in enumerate(slots):
            subs += [(f.present, z3.BoolVal(k < len(values))), (f.value, sval(values[k] if k < len(values) else ""))]
    return subs


def holds(f: z3.BoolRef) -> bool:
    v = z3.simplify(f)
    if z3.is_true(v) or z3.is_false(v):
        return z3.is_true(v)
    s = z3.Solver()
    s.add(v)
    return s.check() == z3.sat


@SETTINGS
@given(tables(envoy=False, max_entries=3), st.lists(requests(), min_size=1, max_size=5))
def test_entry_formula_equals_evaluator(table, reqs):
    names = {h.name for e in table.entries for h in e.match.headers}
    req = SymbolicRequest(
        names, {q.name for e in table.entries for q in e.match.query}, header_slots=dict.fromkeys(names, 2)
    )
    for r in reqs + samples(table, 5):
        assert not r.problems(), r
        for e in table.entries:
            expected = (e.hosts is None or any(p.matches(r.host) for p in e.hosts)) and evaluate(e.match, r)
            assert holds(z3.substitute(entry_formula(e, req), *concrete(req, r))) == expected, (e, r)


@SETTINGS
@given(tables(envoy=False, max_entries=2), st.lists(requests(), min_size=1, max_size=8))
def test_disjoint_and_covers_are_sound(table, reqs):
    a, b = table.entries[0], table.entries[-1]
    for r in reqs + samples(table, 10) + list(candidates(a)) + list(candidates(b)):
        if r.problems():
            continue
        ma, mb = entry_matches(a, r), entry_matches(b, r)
        assert not (ma and mb and disjoint(a, b)), r
        assert not (mb and covers(a, b) and not ma), r


def _covered(table: MatchTable, i: int, blockers: list[int]) -> bool:
    req = SymbolicRequest.from_table(table)
    s = z3.Solver()
    s.add(req.domain())
    s.add(entry_formula(table.entries[i], req))
    s.add([z3.Not(entry_formula(table.entries[j], req)) for j in blockers])
    return s.check() == z3.unsat


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(envoy=False, max_entries=4))
def test_precheck_and_solver_agree(table):
    generous = Limits(timeout_ms=30_000)  # agreement, not speed: generous under a loaded machine
    fast = analyze(table, limits=generous)
    slow = analyze(table, precheck=False, limits=generous)
    # Z3 alone may give no answer in the time given (a regex path with a 'contains' header and a query
    # match: 'solver: canceled' after 15 s, on main too); then there is no verdict to agree with
    assume(all(v.status != "unknown" or v.reason != "solver: canceled" for v in slow))
    assert [v.status for v in fast] == [v.status for v in slow]
    for v in fast + slow:
        assert v.status != "unknown", v
        if v.status == "unreachable":
            idx = [b.index for b in v.blockers]
            assert _covered(table, v.index, idx)
            for k in range(len(idx)):  # minimal: no blocker can be dropped
                assert not _covered(table, v.index, idx[:k] + idx[k + 1 :])
            for r in samples(table, 20):
                assert first_match(table, r) is not table.entries[v.index]
        else:
            assert first_match(table, v.witness) is table.entries[v.index]


def _e(rid: str, m: Match, hosts: tuple[HostPattern, ...] | None = None) -> Entry:
    return Entry(rid, "0", m, hosts)


P = PathMatch


@pytest.mark.parametrize(
    "pm,path,expected",
    [
        (P("prefix", "/api"), "/apiv2", True),
        (P("prefix", "/api", True), "/APIv2", True),
        (P("exact", "/health"), "/health/", False),
        (P("exact", "/Health", True), "/hEALTH", True),
        (P("segment_prefix", "/abc"), "/abc", True),
        (P("segment_prefix", "/abc"), "/abc/", True),
        (P("segment_prefix", "/abc"), "/abc/def", True),
        (P("segment_prefix", "/abc"), "/abcd", False),
        (P("segment_prefix", "/aaa/bbb/"), "/aaa/bbb", True),
        (P("segment_prefix", "/"), "/anything", True),
        (P("path_separated_prefix", "/api/dev"), "/api/developer", False),
        (P("path_separated_prefix", "/api/dev"), "/api/dev/x", True),
        (P("regex", "/v[0-9]+"), "/v12", True),
        (P("regex", "/v[0-9]+", True), "/V12", False),  # ignore_case has no effect on regex
    ],
)
def test_path_semantics(pm, path, expected):
    r = Request(path=path)
    assert evaluate(Match(path=pm), r) is expected
    req = SymbolicRequest()
    assert holds(z3.substitute(entry_formula(_e("x", Match(path=pm)), req), *concrete(req, r))) is expected


H = HeaderMatch


@pytest.mark.parametrize(
    "hm,headers,expected",
    [
        (H("x-a", StrMatch("exact", "v")), {}, False),
        (H("x-a", StrMatch("exact", "v"), invert=True), {}, False),  # Envoy: absent fails inverted too
        (H("x-a", StrMatch("exact", "v"), invert=True), {"x-a": "w"}, True),
        (H("x-a", present=False), {}, True),
        (H("x-a", present=True, invert=True), {}, True),
        (H("x-a", present=True, invert=True), {"x-a": ""}, False),
        (H("x-a", present=False, treat_missing_as_empty=True), {}, False),
        (H("x-a", StrMatch("exact", "foo"), invert=True, treat_missing_as_empty=True), {}, True),  # withoutHeaders
        (H("x-a", StrMatch("exact", "foo"), invert=True, treat_missing_as_empty=True), {"x-a": "foo"}, False),
        (H("X-A", StrMatch("prefix", "Ab", ignore_case=True)), {"x-a": "aBc"}, True),
        (H("x-a", StrMatch("regex", "\\d+")), {"x-a": "a123"}, False),
        (H(":method", StrMatch("exact", "GET")), {}, True),
        (H("x-a", StrMatch("exact", "b")), {"x-a": ("a", "b")}, True),  # any value (Envoy 1.40)
        (H("x-a", StrMatch("exact", "a,b")), {"x-a": ("a", "b")}, False),  # not comma-joined
        (H("x-a", StrMatch("exact", "a"), invert=True), {"x-a": ("a", "b")}, False),
    ],
)
def test_header_semantics(hm, headers, expected):
    r = Request(headers=headers)
    m = Match(headers=(hm,))
    assert evaluate(m, r) is expected
    req = SymbolicRequest([hm.name], header_slots={hm.name: 2})
    assert holds(z3.substitute(entry_formula(_e("x", m), req), *concrete(req, r))) is expected


@pytest.mark.parametrize(
    "pattern,host,expected",
    [
        (HostPattern("*.foo.com"), "a.b.foo.com", True),
        (HostPattern("*.foo.com", one_label=True), "a.b.foo.com", False),
        (HostPattern("*.foo.com", one_label=True), "bar.foo.com", True),
        (HostPattern("*.foo.com"), "foo.com", False),
        (HostPattern("*-bar.foo.com"), "-bar.foo.com", False),
        (HostPattern("foo.*"), "foo.com:80", True),
        (HostPattern("Foo.com"), "fOO.com", True),
        (HostPattern("foo.com"), "foo.com:80", False),
        (HostPattern("foo.com", ignore_port=True), "foo.com:80", True),
    ],
)
def test_host_patterns(pattern, host, expected):
    assert pattern.matches(host) is expected
    e = _e("x", Match(), (pattern,))
    req = SymbolicRequest()
    assert holds(z3.substitute(entry_formula(e, req), *concrete(req, Request(host=host)))) is expected


def test_analyze_verdicts():
    table = MatchTable(
        (
            _e("api", Match(path=P("prefix", "/api"))),
            _e("health", Match(path=P("exact", "/api/health"))),
            _e("v", Match(path=P("regex", "/api/v[0-9]+/users/.*"))),
            _e("alt", Match(path=P("regex", "(/api/a|/api/b)[0-9]*"))),
            _e("h1", Match(path=P("prefix", "/x"), headers=(H("x-a", StrMatch("exact", "1")),))),
            _e("h2", Match(path=P("prefix", "/x"), headers=(H("x-a", StrMatch("exact", "1"), invert=True),))),
            _e("h3", Match(path=P("prefix", "/x/"), headers=(H("x-a", present=True),))),
            _e("self", Match(query=(QueryMatch("k", StrMatch("exact", "a")), QueryMatch("k", StrMatch("exact", "b"))))),
            _e("two-lines", Match(headers=(H("x-a", StrMatch("regex", "[0-9]+")), H("x-a", StrMatch("prefix", "a"))))),
            _e(
                "self-re",
                Match(
                    headers=(H("x-a", StrMatch("regex", "[0-9]+")), H("x-a", StrMatch("regex", "[0-9]*"), invert=True))
                ),
            ),
            _e("bad", Match(path=P("regex", "a\\bb"))),
            _e("after-bad", Match(path=P("regex", "/z.*"))),
        )
    )
    got = {v.route_id: v for v in analyze(table)}
    assert got["api"].status == "reachable" and got["api"].decided_by == "precheck"
    assert got["api"].witness == Request(path="/api")
    assert (got["health"].status, got["health"].decided_by) == ("unreachable", "precheck")
    assert [b.route_id for b in got["health"].blockers] == ["api"]
    assert (got["v"].status, got["v"].decided_by, [b.route_id for b in got["v"].blockers]) == (
        "unreachable",
        "precheck",
        ["api"],
    )
    assert (got["alt"].status, got["alt"].decided_by, [b.route_id for b in got["alt"].blockers]) == (
        "unreachable",
        "solver",
        ["api"],
    )
    assert [b.route_id for b in got["h3"].blockers] == ["h1", "h2"]
    assert (got["self"].status, got["self"].blockers, got["self"].decided_by) == ("unreachable", (), "precheck")
    # two matchers on one header need two header lines, not one value matching both
    assert got["two-lines"].status == "reachable" and got["two-lines"].decided_by == "solver"
    assert isinstance(got["two-lines"].witness.headers["x-a"], tuple)
    assert (got["self-re"].status, got["self-re"].blockers) == ("unreachable", ())
    assert got["self-re"].step == "its own conditions cannot hold together"
    assert got["bad"].status == "unknown" and "word boundary" in got["bad"].reason
    assert got["after-bad"].status == "unknown" and "#10 bad/0" in got["after-bad"].reason


def test_unreachable_behind_unsupported_entry_is_still_proved():
    table = MatchTable(
        (
            _e("bad", Match(path=P("regex", "a\\bb"))),
            _e("all", Match()),
            _e("late", Match(path=P("regex", "/z.*"))),
        )
    )
    v = analyze(table)[2]
    assert (v.status, [b.route_id for b in v.blockers]) == ("unreachable", ["all"])


def test_unsupported_constructs():
    with pytest.raises(UnsupportedMatch):
        evaluate(Match(headers=(H("x-request-id", present=True),)), Request())
    with pytest.raises(UnsupportedMatch):
        evaluate(Match(unsupported="range_match"), Request())
    v = analyze(MatchTable((_e("r", Match(unsupported="range_match")),)))[0]
    assert (v.status, v.reason) == ("unknown", "UnsupportedMatch: range_match")


def test_witness_disagreement_raises(monkeypatch):
    table = MatchTable((_e("r", Match(path=P("regex", "/v[0-9]+"))),))
    monkeypatch.setattr(http_analyze, "first_sure", lambda t, r: None)
    monkeypatch.setattr(http_analyze, "_TABLES", {})  # no pre-check result of an earlier test's equal table
    with pytest.raises(AssertionError, match="takes no entry"):
        analyze(table)


def test_request_json_and_target():
    r = Request(host="a.com", port=8080, method="POST", path="/p", headers={"x-a": "1"}, query={"k": "v", "j": ""})
    assert r.target() == "/p?k=v&j="
    assert r.to_json() == {
        "host": "a.com",
        "port": 8080,
        "method": "POST",
        "path": "/p",
        "headers": {"x-a": "1"},
        "query": {"k": "v", "j": ""},
    }
    assert Request(path="/a b", headers={"x-a": " v"}).problems() == ["path '/a b'", "header 'x-a'"]


def test_range_match_is_encoded():
    rng = Match(headers=(HeaderMatch("x-v", StrMatch("range", "0,10")),))
    inner = Match(headers=(HeaderMatch("x-v", StrMatch("range", "5,8")),))
    table = MatchTable((_e("r0", rng), _e("r1", inner), _e("r2", Match(path=P("prefix", "/")))))
    v0, v1, v2 = analyze(table)
    assert v0.status == "reachable" and 0 <= int(v0.witness.headers["x-v"]) < 10
    assert v1.status == "unreachable" and [b.route_id for b in v1.blockers] == ["r0"]
    assert v2.status == "reachable" and "x-v" not in v2.witness.headers
    for value, hit in [("+7", True), ("007", True), ("-0", True), ("10", False), ("1e1", False), ("", False)]:
        assert evaluate(rng, Request(headers={"x-v": value})) is hit, value


def test_query_absent():
    table = MatchTable((_e("r0", Match(query=(QueryMatch("q", absent=True),))), _e("r1", Match())))
    v0, v1 = analyze(table)
    assert v0.status == "reachable" and "q" not in v0.witness.query
    assert v1.status == "reachable" and "q" in v1.witness.query


def test_unencodable_entry_does_not_hide_later_ones():
    """An earlier entry that cannot be encoded only blocks what it may take: a request that surely
    misses it (one of its encodable conditions fails) proves a later entry reachable."""
    opaque = Match(path=P("prefix", "/a"), unsupported="runtime_fraction (not a request-only condition)")
    get = Match(method=StrMatch("exact", "GET"))
    table = MatchTable((_e("r0", opaque), _e("r1", get), _e("r2", Match(path=P("prefix", "/a/b")))))
    v0, v1, v2 = analyze(table, precheck=False)
    assert v0.status == "unknown"
    assert v1.status == "reachable" and not v1.witness.path.startswith("/a") and v1.witness.method == "GET"
    assert v2.status == "unknown" and "cannot be encoded" in v2.reason
    assert [v.status for v in analyze(table)] == ["unknown", "reachable", "unknown"]
