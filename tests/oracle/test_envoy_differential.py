"""Differential test: `analyze` verdicts and the Python evaluator against a real Envoy.

For each generated table (one virtual host): every witness of a reachable entry must be
routed by Envoy to that entry; sampled requests around the table's literals (and the
literals of unreachable entries) must be routed as `first_match` says, and never to an
entry proved unreachable. The run is bounded in tables (ORACLE_TABLES), requests per table
and total time (TIME_BUDGET_S).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import replace

import pytest
from cnverify.encodings.http import HostPattern, MatchTable, Request, analyze, first_match, routed
from cnverify.encodings.http_precheck import candidates
from cnverify.smt import Limits
from hypothesis import HealthCheck, given, settings
from tables import envoy_cases, render_vhost, samples

ORACLE_TABLES = int(os.environ.get("CNV_ORACLE_TABLES", "2000"))
TIME_BUDGET_S = float(os.environ.get("CNV_ORACLE_BUDGET_S", "600"))
SAMPLES_PER_TABLE = 20


def _name(entry: object) -> str:
    return "" if entry is None else f"{entry.route_id}.{entry.clause_id}"  # type: ignore[attr-defined]


def _send(envoy: object, table: MatchTable, r: Request) -> str:
    return envoy.route(
        r.host,
        r.method,
        r.target(),
        r.header_lines(),  # type: ignore[attr-defined]
        variant=table.rewrite.key(),
    )


def test_envoy_agrees_with_analyze(envoy):
    stats: Counter[str] = Counter()
    start = time.monotonic()

    @settings(
        max_examples=ORACLE_TABLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(envoy_cases())
    def check(case: tuple[MatchTable, str, str | None]) -> None:
        table, domain, host = case
        if time.monotonic() - start > TIME_BUDGET_S:
            pytest.fail(f"oracle exceeded its {TIME_BUDGET_S:.0f} s budget after {stats['tables']} tables")
        stats["tables"] += 1
        stats["rewrite " + table.rewrite.key()] += 1
        envoy.load([render_vhost(table, domain)])
        t0 = time.monotonic()
        verdicts = analyze(table, limits=Limits(timeout_ms=2000))  # a timeout is counted, not failed
        stats["analyze s"] += round(time.monotonic() - t0, 3)
        verdicts = [replace(v, witness=replace(v.witness, host=host)) if host and v.witness else v for v in verdicts]
        unreachable = set()
        for v in verdicts:
            stats[v.status] += 1
            stats[v.decided_by] += 1
            if v.status == "unknown":
                stats["unknown: " + v.reason[:80]] += 1
            if v.status == "reachable" and v.witness.http2_only():
                stats["witness needs HTTP/2"] += 1
            elif v.status == "reachable":
                assert not any(k.startswith(":") or k == "host" for k in v.witness.headers), v.witness
                got = _send(envoy, table, v.witness)
                stats["requests"] += 1
                assert got == f"{v.route_id}.{v.clause_id}", (v.witness.to_json(), got)
            elif v.status == "unreachable":
                unreachable.add(f"{v.route_id}.{v.clause_id}")
        probes = samples(table, SAMPLES_PER_TABLE, domain)
        for v in verdicts:
            if v.status == "unreachable":
                probes += [
                    r for r in candidates(table.entries[v.index], limit=8) if not r.problems() and not r.http2_only()
                ]
        for r in probes:
            got = _send(envoy, table, r)
            stats["requests"] += 1
            seen = routed(table.rewrite, r)
            expect = _name(first_match(table, r)) if seen and HostPattern(domain).matches(seen.host) else ""
            assert got == expect, (r.to_json(), got)
            assert got not in unreachable, (r.to_json(), got)

    check()
    elapsed = time.monotonic() - start
    print(f"\nenvoy oracle: {dict(stats)} in {elapsed:.1f} s")
    assert stats["tables"] >= ORACLE_TABLES
