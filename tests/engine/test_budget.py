"""One budget per query and per run, honoured by every solver call (issue 13 item 2).

The run's limits (``--timeout``, rlimit, ``--run-timeout``) reach the routing analysis and pod
selection; what the solver cannot decide within them is ``unknown``, never a pass or a miss.
"""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from pathlib import Path

import yaml
from click.testing import CliRunner
from cnverify.cli import main
from cnverify.engine import Options, prove
from cnverify.smt import DEADLINE_REASON, Limits


def hostile_routes(n: int) -> str:
    """One VirtualService of ``n`` routes whose URI regexes nest alternations in counted loops and
    overlap each other, so deciding shadowing needs the solver on regex complements."""
    routes = []
    for i in range(n):
        rx = (
            f"/((a|ab)(c|bcd)|(abc|d)){{{i % 7 + 3},{i % 5 + 12}}}((a|b)+(c|ab)*){{{i % 3 + 1},{i % 4 + 6}}}"
            f"(d|(a|b){{2,{3 + i % 3}}})*"
        )
        routes.append(
            {
                "name": f"r{i}",
                "match": [{"uri": {"regex": rx}, "headers": {"h": {"regex": f"(v|w{i % 4}){{1,6}}(q|r)*"}}}],
                "route": [{"destination": {"host": "svc"}}],
            }
        )
    return yaml.safe_dump(
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": {"name": "vs", "namespace": "ns"},
            "spec": {"hosts": ["svc"], "http": routes},
        }
    )


def test_hostile_routes_end_unknown_within_the_run_budget() -> None:
    limits = Limits(timeout_ms=1_000, run_timeout_ms=6_000)
    t0 = time.process_time()
    report = prove(["-"], Options(select=["CNV101"], limits=limits), stdin=io.StringIO(hostile_routes(64)))
    # work done: the deadline plus translating 64 routes (CPU time: wall-clock measures the machine's load)
    assert time.process_time() - t0 < 6 + 6
    statuses = Counter(f.status for f in report.results)
    assert sum(statuses.values()) == 64 and statuses["violated"] == 0
    unknown = [f.message for f in report.results if f.status == "unknown"]
    assert any(DEADLINE_REASON in m for m in unknown)


def test_timeout_reaches_the_routing_analysis() -> None:
    """A per-query limit the routing queries cannot meet makes their routes unknown (they were
    decided under a hard-coded 2 s before)."""
    text = hostile_routes(4)
    generous = prove(["-"], Options(select=["CNV101"]), stdin=io.StringIO(text))
    starved = prove(["-"], Options(select=["CNV101"], limits=Limits(rlimit=1)), stdin=io.StringIO(text))
    solved = {f.subject["path"] for f in generous.results if f.status != "unknown"}
    assert solved
    starved_unknown = {f.subject["path"] for f in starved.results if f.status == "unknown"}
    assert starved_unknown & solved  # the same routes, undecided within one rlimit unit


STATEFUL = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: shop}
spec:
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-0, namespace: shop}
spec:
  selector: {app: web, statefulset.kubernetes.io/pod-name: web-0}
  ports: [{port: 80, targetPort: http}]
"""


def test_undecided_pod_selection_is_unknown_not_unselected(tmp_path: Path) -> None:
    """The pod name label is set by the StatefulSet controller: selecting it needs the solver."""
    f = tmp_path / "sts.yaml"
    f.write_text(STATEFUL)
    decided = {x.property: x.status for x in prove([str(f)], Options(select=["CNV202", "CNV203"])).results}
    assert decided == {"CNV202": "proved", "CNV203": "proved"}
    starved = prove([str(f)], Options(select=["CNV202", "CNV203"], limits=Limits(rlimit=1))).results
    assert {(x.property, x.status, x.location.line) for x in starved} == {
        ("CNV202", "unknown", 15),
        ("CNV203", "unknown", 16),
    }
    assert all("could not decide" in x.message and "StatefulSet/shop/web" in x.message for x in starved)


def test_cli_run_timeout(tmp_path: Path) -> None:
    f = tmp_path / "vs.yaml"
    f.write_text(hostile_routes(6))
    t0 = time.monotonic()
    res = CliRunner().invoke(main, ["prove", str(f), "--select", "CNV101", "--run-timeout", "0.5", "--format", "json"])
    assert time.monotonic() - t0 < 10
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["summary"]["violated"] == 0 and out["summary"]["unknown"] >= 1
