"""``pod_facts.selected_directly``: the query ``require_selected`` would build for a shape the exact pre-check
selected is decided without building it, as exact evaluation decides the built query.  Over the selector grids and label values Z3 would not
return as written, the report is the same bytes as with every such query left to exact evaluation (the path it
replaces); under ``--certify`` the queries are left to exact evaluation and Z3's re-check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cnverify.engine import Options, prove
from cnverify.properties._shared.scaling import named_ref
from cnverify.properties._shared.selectors import pod_facts
from cnverify.report import RenderOptions
from cnverify.report import json as report_json

GRIDS = Path(__file__).parent
FOLDERS = [GRIDS / n for n in ("service_selects_pods", "policy_selects_pods", "pdb_allows_disruption")]
CODES = ["CNV202", "CNV205"]

ODD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: VALUE}}
  template:
    metadata: {labels: {app: VALUE, tier: front}}
    spec: {containers: [{name: web, image: web}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: VALUE}, ports: [{port: 80}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: VALUE}, matchExpressions: [{key: tier, operator: In, values: [front]}, {key: x, operator: DoesNotExist}]}
"""


def _report(
    paths: list[Path], monkeypatch: pytest.MonkeyPatch, *, direct: bool, certify: bool = False
) -> tuple[str, int]:
    """The compact JSON report, and how many queries were decided where they were built."""
    calls: list[bool] = []
    decide = pod_facts.selected_directly

    def counting(*args: Any) -> bool:
        calls.append(decide(*args))
        return calls[-1]

    with monkeypatch.context() as m:
        m.setattr(pod_facts, "selected_directly", counting if direct else lambda *args: False)
        report = prove([str(p) for p in paths], Options(select=CODES, jobs=1, certify=certify))
    text = "".join(report_json.chunks(report, RenderOptions()))
    assert '"internal_errors"' not in text
    return text, sum(calls)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_the_grids_decide_as_exact_evaluation(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    direct, taken = _report([folder], monkeypatch, direct=True)
    assert taken  # the direct path was taken
    assert direct == _report([folder], monkeypatch, direct=False)[0]


@pytest.mark.parametrize(
    ("value", "taken"), [("web", 2), ('"wéb"', 0), ('"a\\\\u{41}"', 0), ("'x y'", 2), ('"web\\t"', 0)]
)
def test_values_z3_may_not_return_as_written(
    value: str, taken: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "odd.yaml").write_text(ODD.replace("VALUE", value))
    direct, n = _report([tmp_path], monkeypatch, direct=True)
    assert n == taken  # the Service's and the budget's queries, unless a value is not plain printable ASCII
    assert direct == _report([tmp_path], monkeypatch, direct=False)[0]
    assert direct.count('"status":"proved"') == 2


def test_certify_leaves_them_to_exact_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = GRIDS / "service_selects_pods"
    certified, taken = _report([folder], monkeypatch, direct=True, certify=True)
    assert taken == 0
    assert certified == _report([folder], monkeypatch, direct=False, certify=True)[0]


BIG = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: LABELS}
  template:
    metadata: {labels: LABELS}
    spec: {containers: [{name: web, image: web}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: LABELS, ports: [{port: 80}]}
"""


@pytest.mark.parametrize("n", [1, 10, 22, 23, 30, 40])
def test_large_selectors_are_decided_where_exact_evaluation_decides_them(
    n: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to ``MAX_DIRECT_FACTS`` facts (a requirement each, the pick, the pool) the query is decided where it is
    built; beyond, exact evaluation or, past its work cap, Z3 decides it, as before."""
    (tmp_path / "big.yaml").write_text(BIG.replace("LABELS", "{" + ", ".join(f"k{i}: v{i}" for i in range(n)) + "}"))
    direct, taken = _report([tmp_path], monkeypatch, direct=True)
    assert taken == (n + 2 <= pod_facts.MAX_DIRECT_FACTS)
    assert direct == _report([tmp_path], monkeypatch, direct=False)[0]
    assert ("(solver: sat)" in direct) == (n == 40)


def _hpa_report(paths: list[Path], monkeypatch: pytest.MonkeyPatch, *, direct: bool) -> tuple[str, int]:
    calls: list[bool] = []
    decide = named_ref.decided_found

    def counting(*args: Any) -> bool:
        calls.append(decide(*args) if direct else False)
        return calls[-1]

    with monkeypatch.context() as m:
        m.setattr(named_ref, "decided_found", counting)
        report = prove([str(p) for p in paths], Options(select=["CNV402"], jobs=1))
    text = "".join(report_json.chunks(report, RenderOptions()))
    assert '"internal_errors"' not in text
    return text, sum(calls)


HPA = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: NAME, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: API, kind: Deployment, name: NAME}
  minReplicas: 1
  maxReplicas: 3
"""


@pytest.mark.parametrize(
    ("name", "api", "taken"), [("web", "apps/v1", 1), ("web", "batch/v1", 0), ('"wéb"', "apps/v1", 0), ("web", '""', 1)]
)
def test_an_hpa_target_found_is_decided_as_exact_evaluation(
    name: str, api: str, taken: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CNV402: a reference to a workload of the inventory (right API group, a name Z3 returns as written) is decided
    without building its query; the report is the bytes of exact evaluation's on the built query (the path it
    replaces)."""
    (tmp_path / "hpa.yaml").write_text(HPA.replace("NAME", name).replace("API", api))
    direct, n = _hpa_report([tmp_path], monkeypatch, direct=True)
    assert n == taken
    assert direct == _hpa_report([tmp_path], monkeypatch, direct=False)[0]


def test_the_hpa_grid_decides_as_exact_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = GRIDS / "hpa_target_exists"
    direct, n = _hpa_report([folder], monkeypatch, direct=True)
    assert n
    assert direct == _hpa_report([folder], monkeypatch, direct=False)[0]
