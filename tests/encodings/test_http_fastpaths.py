"""Shortcuts of the routing analysis tied to the paths they replace (issue 15: the same verdicts, cheaper)."""

from __future__ import annotations

import sys
from pathlib import Path

from cnverify.encodings import http_analyze
from cnverify.encodings.http import Entry, HeaderMatch, HostPattern, Match, MatchTable, PathMatch, QueryMatch, StrMatch
from cnverify.encodings.http_analyze import _match_error, _plain, analyze, encoding_error
from cnverify.encodings.http_ir import UnsupportedMatch
from cnverify.encodings.http_rewrite import canonicalize
from cnverify.encodings.http_z3 import SymbolicRequest, entry_formula
from cnverify.encodings.regex import RegexError
from cnverify.smt import Limits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parents[1] / "oracle"))
from tables import tables  # noqa: E402


def table_probe_errors(table: MatchTable) -> list[str | None]:
    """What ``_Analyzer`` computed before ``encoding_error``: every entry encoded against one probe request built
    from the whole table."""
    probe = SymbolicRequest.from_table(table, single_values=True)
    out: list[str | None] = []
    for e in table.entries:
        try:
            entry_formula(e, probe)
            out.append(None)
        except (UnsupportedMatch, RegexError) as exc:
            out.append(f"{type(exc).__name__}: {exc}")
    return out


AWKWARD = (
    Entry("bad-regex", "c0", Match(path=PathMatch("regex", "/a(?=b)"))),
    Entry("unsupported", "c1", Match(unsupported="range_match")),
    Entry("managed", "c2", Match(headers=(HeaderMatch("x-request-id", match=StrMatch("exact", "1")),))),
    Entry("pseudo", "c3", Match(headers=(HeaderMatch(":scheme", match=StrMatch("exact", "https")),))),
    Entry("authority", "c4", Match(headers=(HeaderMatch(":authority", match=StrMatch("prefix", "a")),))),
    Entry("query", "c5", Match(query=(QueryMatch("v", StrMatch("regex", "[0-9]+")), QueryMatch("w", absent=True)))),
    Entry("hosts", "c6", Match(path=PathMatch("prefix", "/x")), (HostPattern("*.a.com"), HostPattern("b.com"))),
    Entry("header-regex", "c7", Match(headers=(HeaderMatch("x-v", match=StrMatch("regex", "a{1,2}\\")),))),
    Entry("plain", "c8", Match(headers=(HeaderMatch("x-v", present=True),))),
)


def test_encoding_error_is_the_table_probes_verdict_for_awkward_entries() -> None:
    table = MatchTable(AWKWARD)
    got = [encoding_error(e) for e in AWKWARD]
    assert got == table_probe_errors(table)
    assert [g is None for g in got] == [False, False, False, False, True, True, True, False, True]
    for k in range(len(AWKWARD)):  # in any table that holds the entry (a variant, a sub-table)
        sub = MatchTable(AWKWARD[k:] + AWKWARD[:k])
        assert [encoding_error(e) for e in sub.entries] == table_probe_errors(sub)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(envoy=False))
def test_encoding_error_is_the_table_probes_verdict(table: MatchTable) -> None:
    assert [encoding_error(e) for e in table.entries] == table_probe_errors(table)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(envoy=False))
def test_a_plain_match_is_one_the_encoder_takes(table: MatchTable) -> None:
    """``_plain`` skips the Z3 encoding only where it would succeed: ``_match_error`` (uncached) says None."""
    for e in table.entries:
        if _plain(e.match):
            assert _match_error.__wrapped__(e.match) is None


def test_plain_refuses_what_may_fail() -> None:
    plain = Match(path=PathMatch("prefix", "/a"), method=StrMatch("exact", "GET"), query=(QueryMatch("q"),))
    assert _plain(plain) and _plain(Match()) and _plain(Match(path=PathMatch("path_separated_prefix", "/b"), port=80))
    for m in (
        *(e.match for e in AWKWARD if e.route_id != "hosts"),  # its hosts are checked apart
        Match(path=PathMatch("regex", "/a")),
        Match(method=StrMatch("range", "1,x")),  # range_bounds raises ValueError: the encoder's own path decides
        Match(authority=StrMatch("regex", "a")),
        Match(query=(QueryMatch("v", StrMatch("regex", "[0-9]+")),)),
        Match(path=PathMatch("glob", "/a")),
    ):
        assert not _plain(m)


@given(st.text("/.%2fAa\\\\~-_0", max_size=12).map(lambda s: "/" + s))
def test_canonicalize_cache_is_the_function(path: str) -> None:
    assert canonicalize(path) == canonicalize.__wrapped__(path)
    assert canonicalize(path) == canonicalize.__wrapped__(path)  # a hit gives the same


def _renamed(table: MatchTable, tag: str) -> MatchTable:
    """The same values under other route and clause ids."""
    return MatchTable(
        tuple(Entry(f"{tag}/{e.route_id}", f"{tag}:{k}", e.match, e.hosts) for k, e in enumerate(table.entries)),
        table.rewrite,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(envoy=True, max_entries=5), st.data())
def test_a_table_of_the_same_values_is_analysed_as_a_fresh_one(drawn: MatchTable, data: st.DataObject) -> None:
    """The pre-solver results kept by a table's values (``_known``) give, under other ids, the verdicts a fresh
    analysis gives: ids and blockers relabelled, the covering step naming the new blocker, solver entries solved."""
    generous = Limits(timeout_ms=30_000)
    table, other = _renamed(drawn, "ns-a"), _renamed(drawn, "ns-b")
    picked = data.draw(st.sets(st.sampled_from([e.clause_id for e in other.entries])))
    http_analyze._TABLES.clear()
    fresh = analyze(other, limits=generous)
    fresh_only = analyze(other, limits=generous, only=picked)
    http_analyze._TABLES.clear()
    analyze(table, limits=generous)  # fills the cache under the first ids
    assert analyze(other, limits=generous) == fresh
    http_analyze._TABLES.clear()
    analyze(table, limits=generous, only={table.entries[0].clause_id})  # a part known, the rest computed
    assert analyze(other, limits=generous, only=picked) == fresh_only
    assert analyze(other, limits=generous) == fresh
