"""Routing-analysis benchmark: a 500-route table (prefixes, exacts, regexes, headers) fully analyzed.

Prints ms per route (amortized, target <= 2 ms), the verdict counts and how many entries the
pre-check decided versus the solver. Run: `python benchmarks/bench_routing.py [--routes N] [--repeat K] [--no-precheck]`.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

import z3
from cnverify.encodings.http import (
    Entry,
    HeaderMatch,
    Match,
    MatchTable,
    PathMatch,
    QueryMatch,
    StrMatch,
    analyze,
)
from cnverify.smt import Limits


def build_table(n: int, seed: int = 7) -> MatchTable:
    """A deterministic table in the style of large gateway configs (with some dead routes)."""
    rng = random.Random(seed)
    services = [f"svc{k}" for k in range(max(n // 10, 1))]
    entries = []
    for i in range(n):
        svc = rng.choice(services)
        ver = f"v{rng.randint(1, 3)}"
        roll = rng.random()
        headers: tuple[HeaderMatch, ...] = ()
        query: tuple[QueryMatch, ...] = ()
        method = None
        if roll < 0.35:
            path = PathMatch("prefix", f"/{svc}/{ver}/{rng.choice(['users', 'orders', 'items', ''])}")
        elif roll < 0.55:
            path = PathMatch("exact", f"/{svc}/{rng.choice(['health', 'ready', 'metrics', 'v1/users/me'])}")
        elif roll < 0.70:
            path = PathMatch(
                "regex",
                rng.choice(
                    [
                        f"/{svc}/items/[0-9]+",
                        f"/{svc}/(a|b)/.*",
                        f"/{svc}/{ver}/users/[^/]+/orders",
                        f"(?i)/{svc}/search",
                    ]
                ),
            )
        elif roll < 0.80:
            path = PathMatch("path_separated_prefix", f"/{svc}/{ver}", ignore_case=rng.random() < 0.3)
        else:
            path = PathMatch("prefix", f"/{svc}/")
            headers = (
                HeaderMatch(
                    rng.choice(["x-version", "x-canary", "x-user"]),
                    rng.choice(
                        [StrMatch("exact", ver), StrMatch("regex", "beta-[0-9]+"), StrMatch("prefix", "internal")]
                    ),
                ),
            )
            if rng.random() < 0.3:
                headers += (HeaderMatch("x-debug", present=True, invert=True),)
            if rng.random() < 0.3:
                query = (QueryMatch("preview", StrMatch("exact", "1")),)
            if rng.random() < 0.3:
                method = StrMatch("exact", rng.choice(["GET", "POST"]))
        entries.append(Entry(f"route-{i}", "0", Match(path=path, headers=headers, query=query, method=method)))
    entries.append(Entry("catch-all", "0", Match(path=PathMatch("prefix", "/"))))
    entries.append(Entry("after-catch-all", "0", Match(path=PathMatch("prefix", "/late"))))
    return MatchTable(tuple(entries))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--routes", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-precheck", action="store_true", help="send every entry to the solver")
    args = ap.parse_args()
    table = build_table(args.routes)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        verdicts = analyze(table, limits=Limits(timeout_ms=5000), precheck=not args.no_precheck)
        times.append(time.perf_counter() - t0)
    best = min(times)
    status = Counter(v.status for v in verdicts)
    decided = Counter(v.decided_by for v in verdicts)
    n = len(table.entries)
    print(
        f"z3 {z3.get_full_version()}: {n} routes analyzed in {best * 1000:.0f} ms (best of {args.repeat}) "
        f"= {best * 1000 / n:.2f} ms/route"
    )
    print(f"verdicts: {dict(status)}; decided by: {dict(decided)}")


if __name__ == "__main__":
    main()
