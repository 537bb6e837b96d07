"""A verdict is a function of its own obligation alone (issue 13 items 1, 2).

Every query runs in a fresh Z3 context (``cnverify.smt.check``), so neither its verdict nor its
deterministic cost (rlimit units) depends on what ran before in the process; and a file about other
objects changes no other subject's result.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
import z3

from cnverify import smt
from cnverify.engine import Options, prove

GRIDS = Path(__file__).resolve().parents[1] / "properties"


def quota_namespace(n: int, hard: str) -> str:
    """One quota over ``n`` autoscaled Deployments (a query with real arithmetic to search)."""
    docs: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "q"},
                                   "spec": {"hard": {"requests.cpu": hard, "requests.memory": "64Gi"}}}]
    for i in range(n):
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"w{i}", "namespace": "q"},
                     "spec": {"replicas": 1 + i % 3, "selector": {"matchLabels": {"app": f"w{i}"}},
                              "template": {"metadata": {"labels": {"app": f"w{i}"}}, "spec": {"containers": [
                                  {"name": "c", "resources": {"requests": {"cpu": f"{7 + 3 * i}m",
                                                                          "memory": f"{33 + i}Mi"}}}]}}}})
        docs.append({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                     "metadata": {"name": f"w{i}", "namespace": "q"},
                     "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"w{i}"},
                              "minReplicas": 1, "maxReplicas": 5 + i % 7}})
    return yaml.safe_dump_all(docs)


def answers_of(answers: list[smt.Answer], text: str) -> tuple[list[tuple[str, int]], list[str]]:
    """(result, rlimit units) of every query proving ``text``, and the verdicts."""
    start = len(answers)
    report = prove(["-"], Options(select=["CNV302"]), stdin=io.StringIO(text))
    return [(a.result, a.rlimit) for a in answers[start:]], [f.status for f in report.results]


def battery() -> None:
    """Unrelated work in Z3's global context: terms, regexes, arithmetic, solved both ways."""
    for i in range(60):
        x, y, s = z3.Int(f"bx{i}"), z3.Real(f"by{i}"), z3.String(f"bs{i}")
        f = z3.And(x * 3 + y > i, y < x, z3.InRe(s, z3.Star(z3.Union(z3.Re(f"a{i}"), z3.Re("b")))), z3.Length(s) > i % 5)
        smt.check([f])
        raw = z3.Solver()
        raw.add(f, x % 7 == i % 7)
        raw.check()


@pytest.mark.parametrize("hard", ["20", "9500m"])
def test_same_query_same_verdict_and_cost_after_unrelated_queries(smt_answers: list[smt.Answer], hard: str) -> None:
    text = quota_namespace(40, hard)
    alone, verdicts = answers_of(smt_answers, text)
    assert alone and all(units > 0 for _, units in alone)
    battery()
    after, verdicts_after = answers_of(smt_answers, text)
    assert (after, verdicts_after) == (alone, verdicts)


UNRELATED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: other, namespace: elsewhere}
spec:
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: other}}
    spec: {containers: [{name: c, image: x, resources: {requests: {cpu: 100m}, limits: {cpu: 50m}}}]}
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: elsewhere}
spec: {selector: {app: nothing}, ports: [{port: 80, targetPort: http}]}
"""


def test_unrelated_file_changes_no_other_result(tmp_path: Path) -> None:
    files = sorted(str(p) for d in ("quota_holds_under_scaling", "route_reachable", "selectors_disjoint")
                   for p in (GRIDS / d).glob("*.yaml") if p.name != "cases.yaml")
    extra = tmp_path / "unrelated.yaml"
    extra.write_text(UNRELATED)
    def verdicts(paths: list[str]) -> list[tuple[str, str, str, int, str]]:
        """Each result's verdict (messages may count the cluster's namespaces: a new one is seen)."""
        return [(f.property, json.dumps(f.subject, sort_keys=True), f.location.file, f.location.line, f.status)
                for f in prove(paths).results if f.location.file != str(extra)]

    before = verdicts(files)
    assert before and verdicts(files + [str(extra)]) == before
