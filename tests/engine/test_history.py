"""A verdict is a function of its own obligation alone (issue 13 items 1, 2).

Every query runs in a fresh Z3 context (``cnverify.smt.check``), so neither its verdict nor its
deterministic cost (rlimit units) depends on what ran before in the process; and a file about other
objects changes no other subject's result.
"""

from __future__ import annotations

import io
import json
import random
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
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "q", "namespace": "q"},
            "spec": {"hard": {"requests.cpu": hard, "requests.memory": "64Gi"}},
        }
    ]
    for i in range(n):
        docs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"w{i}", "namespace": "q"},
                "spec": {
                    "replicas": 1 + i % 3,
                    "selector": {"matchLabels": {"app": f"w{i}"}},
                    "template": {
                        "metadata": {"labels": {"app": f"w{i}"}},
                        "spec": {
                            "containers": [
                                {
                                    "name": "c",
                                    "resources": {"requests": {"cpu": f"{7 + 3 * i}m", "memory": f"{33 + i}Mi"}},
                                }
                            ]
                        },
                    },
                },
            }
        )
        docs.append(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": f"w{i}", "namespace": "q"},
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"w{i}"},
                    "minReplicas": 1,
                    "maxReplicas": 5 + i % 7,
                },
            }
        )
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
        f = z3.And(
            x * 3 + y > i, y < x, z3.InRe(s, z3.Star(z3.Union(z3.Re(f"a{i}"), z3.Re("b")))), z3.Length(s) > i % 5
        )
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
    files = sorted(
        str(p)
        for d in ("quota_holds_under_scaling", "route_reachable", "selectors_disjoint")
        for p in (GRIDS / d).glob("*.yaml")
        if p.name != "cases.yaml"
    )
    extra = tmp_path / "unrelated.yaml"
    extra.write_text(UNRELATED)

    def verdicts(paths: list[str]) -> list[tuple[str, str, str, int, str]]:
        """Each result's verdict (messages may count the cluster's namespaces: a new one is seen)."""
        return [
            (f.property, json.dumps(f.subject, sort_keys=True), f.location.file, f.location.line, f.status)
            for f in prove(paths).results
            if f.location.file != str(extra)
        ]

    before = verdicts(files)
    assert before and verdicts(files + [str(extra)]) == before


def mixed_queries() -> list[tuple[list[z3.BoolRef], list[z3.BoolRef], bool]]:
    """Queries of the shapes the code base asks: integer ranges with a core, a satisfiable capacity
    sum with a model, label strings, and a routing-style regex query (Z3's default solver)."""
    r, lo, hi = z3.Ints("hr hlo hhi")
    cpu = [z3.Int(f"hcpu{i}") for i in range(6)]
    label, path = z3.String("hlabel"), z3.String("hpath")
    return [
        ([], [lo == 2, hi == 9, r >= lo, r <= hi, r > 12], False),
        ([], [c == 100 + 7 * i for i, c in enumerate(cpu)] + [z3.Sum(cpu) * r > 2000, r >= 1, r <= 4], False),
        ([], [z3.Or(label == "web", label == "api"), label != "web", z3.Length(label) > 2], False),
        (
            [
                z3.InRe(path, z3.Concat(z3.Re("/api/"), z3.Star(z3.Range("a", "z")))),
                z3.Not(z3.InRe(path, z3.Concat(z3.Re("/api/v"), z3.Star(z3.AllChar(z3.ReSort(z3.StringSort())))))),
            ],
            [],
            True,
        ),
    ]


def signature(a: smt.Answer) -> tuple[str, tuple[int, ...], list[tuple[str, str]], int]:
    """Everything an answer shows: verdict, core, witness values (tracking labels left out), cost."""
    shown = (
        []
        if a.model is None
        else sorted((d.name(), str(a.model[d])) for d in a.model.decls() if not d.name().startswith("__fact"))
    )
    return a.result, a.core, shown, a.rlimit


def test_answers_alone_after_a_battery_and_shuffled_are_identical() -> None:
    """Verdict, core, witness and rlimit cost of each query are the same asked alone, after unrelated
    queries, and in any order: the fresh-context policy holds without a per-query timer too."""
    queries = mixed_queries()
    alone = [signature(smt.check(a, t, preprocess=p)) for a, t, p in queries]
    assert [s[0] for s in alone] == ["unsat", "sat", "sat", "sat"] and alone[0][1] == (1, 3, 4)
    battery()
    for seed in (1, 2):
        order = random.Random(seed).sample(range(len(queries)), len(queries))
        again = {i: signature(smt.check(queries[i][0], queries[i][1], preprocess=queries[i][2])) for i in order}
        assert [again[i] for i in range(len(queries))] == alone
