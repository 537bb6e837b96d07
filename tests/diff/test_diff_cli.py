"""`cnverify diff` on fixture pairs: invariant deltas, capacity deltas, output formats, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cnverify.cli import main
from cnverify.registry import load_properties

FIX = Path(__file__).parent / "fixtures"


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["diff", *args], catch_exceptions=False)
    return res.exit_code, res.output


def as_json(*args: str) -> tuple[int, dict[str, Any]]:
    code, out = run(*args, "--format", "json")
    return code, json.loads(out)


def brief(d: dict[str, Any]) -> tuple[Any, ...]:
    f = d["new"] if d["change"] != "fixed" else d["old"]
    s = f["subject"]
    return (
        d["change"],
        f["property"],
        f"{s['kind']}/{s['namespace']}/{s['name']}",
        f["location"]["file"],
        f["location"]["line"],
        d["new"]["status"] if d["new"] else None,
    )


def test_new_fixed_and_still_violated() -> None:
    old, new = str(FIX / "fix/old"), str(FIX / "fix/new")
    code, j = as_json(old, new, "--select", "CNV401")
    assert code == 1
    assert [brief(d) for d in j["invariants"]] == [
        ("new-violation", "CNV401", "HorizontalPodAutoscaler/shop/worker", f"{new}/hpa.yaml", 28, "violated"),
        ("fixed", "CNV401", "HorizontalPodAutoscaler/shop/api", f"{old}/hpa.yaml", 8, "proved"),
        ("still-violated", "CNV401", "HorizontalPodAutoscaler/shop/broken", f"{new}/hpa.yaml", 18, "violated"),
    ]
    fixed = j["invariants"][1]
    assert fixed["old"]["fingerprint"] == fixed["new"]["fingerprint"] == fixed["fingerprint"]
    assert [s["location"]["line"] for s in fixed["old"]["chain"] if "location" in s] == [8, 9]
    assert j["changed_files"] == ["hpa.yaml"]
    assert j["summary"]["new_violations"] == 1 and j["summary"]["fixed"] == 1
    assert j["summary"]["still_violated"] == 1
    assert [d["reason"] for d in j["invariants"]] == ["", "now proved", ""]


def test_fail_on_gates() -> None:
    old, new = str(FIX / "fix/old"), str(FIX / "fix/new")
    assert run(old, new, "--select", "CNV401", "--fail-on", "never")[0] == 0
    assert run(old, new, "--select", "CNV401", "--fail-on", "routing-change")[0] == 0
    assert run(old, new, "--select", "CNV401", "--fail-on", "any")[0] == 1
    # the reverse change: worker's violation goes with its subject, api's comes back
    code, j = as_json(new, old, "--select", "CNV401", "--fail-on", "never")
    assert code == 0
    assert [
        (
            d["change"],
            d["fingerprint"] == d[("old" if d["change"] == "fixed" else "new")]["fingerprint"],
            (d["new"] or d["old"])["subject"]["name"],
        )
        for d in j["invariants"]
    ] == [("new-violation", True, "api"), ("fixed", True, "worker"), ("still-violated", True, "broken")]
    assert j["invariants"][1]["new"] is None


def test_identical_sides_report_nothing() -> None:
    side = str(FIX / "fix/new")
    code, j = as_json(side, side, "--select", "CNV401")
    assert code == 0 and j["invariants"] == [] and j["changed_files"] == []
    assert j["stats"]["slice"] == "no file changed"


def test_quota_tightened_below_hpa_maximum() -> None:
    code, j = as_json(str(FIX / "quota/old"), str(FIX / "quota/new"), "--fail-on", "capacity-change")
    assert code == 1
    assert j["capacity"]["workloads"] == []
    (q,) = j["capacity"]["quotas"]
    assert q["quota"] == "ResourceQuota/shop/compute" and q["location"]["line"] == 1
    # worst case: 10 replicas (HPA max, Recreate: no surge) x 500m
    assert q["old"]["resources"]["requests.cpu"] == {"hard": "8", "worst": "5", "headroom": "3"}
    assert q["new"]["resources"]["requests.cpu"] == {"hard": "4", "worst": "5", "headroom": "-1"}
    assert q["new"]["resources"]["pods"] == {"hard": "20", "worst": "10", "headroom": "10"}


def test_quota_tightened_is_a_new_cnv302_violation() -> None:
    if "CNV302" not in load_properties():
        pytest.skip("CNV302 quota-holds-under-scaling is not registered yet")
    code, j = as_json(str(FIX / "quota/old"), str(FIX / "quota/new"), "--select", "CNV302")
    assert code == 1
    assert [
        (d["change"], d["new"]["subject"]["name"], d["new"]["location"]["line"], d["old"]["status"])
        for d in j["invariants"]
    ] == [("new-violation", "compute", 7, "proved")]


def test_workload_capacity_delta_text_and_markdown() -> None:
    old, new = str(FIX / "fix/old"), str(FIX / "fix/new")
    code, text = run(str(FIX / "quota/old"), str(FIX / "quota/new"), "--fail-on", "never")
    assert code == 0
    assert (
        "  ResourceQuota/shop/compute:\n    requests.cpu headroom: 3 (hard 8, worst case 5) → -1 (hard 4, worst case 5)"
        in text
    )
    code, md = run(old, new, "--select", "CNV401", "--format", "markdown")
    assert md.startswith("### ❌ cnverify diff")
    assert f"| new violation | `{new}/hpa.yaml:28` | CNV401 | HorizontalPodAutoscaler shop/worker |" in md


def test_usage_errors() -> None:
    assert run(str(FIX / "fix/old"))[0] == 2
    assert run(str(FIX / "fix/old"), str(FIX / "nope"))[0] == 2
    assert run(str(FIX / "fix/old"), str(FIX / "fix/new"), "--select", "CNV999")[0] == 2


def test_a_suppression_on_the_new_side_is_reported_as_such(tmp_path: Path) -> None:
    text = (FIX / "fix/old/hpa.yaml").read_text()
    (tmp_path / "new").mkdir()
    (tmp_path / "new/hpa.yaml").write_text(
        text.replace("  name: api\n", '  name: api\n  annotations: {cnverify.io/ignore: "CNV401 -- migrating"}\n', 1)
    )
    code, j = as_json(str(FIX / "fix/old"), str(tmp_path / "new"), "--select", "CNV401")
    assert code == 0
    assert [(d["change"], d["old"]["subject"]["name"], d["reason"]) for d in j["invariants"]] == [
        ("fixed", "api", "suppressed by a cnverify.io/ignore annotation"),
        ("still-violated", "broken", ""),
    ]


def test_two_single_files_pair_up() -> None:
    code, j = as_json(str(FIX / "fix/old/hpa.yaml"), str(FIX / "fix/new/hpa.yaml"), "--select", "CNV401")
    assert code == 1 and j["changed_files"] == ["hpa.yaml"]
    assert [d["change"] for d in j["invariants"]] == ["new-violation", "fixed", "still-violated"]


def test_reused_results_carry_the_new_sides_positions(tmp_path: Path) -> None:
    text = (FIX / "fix/old/hpa.yaml").read_text()
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old/hpa.yaml").write_text(text)
    # same content, one line lower: nothing may be reused with the old lines
    (tmp_path / "new/hpa.yaml").write_text("# moved down\n" + text)
    code, j = as_json(str(tmp_path / "old"), str(tmp_path / "new"), "--select", "CNV401", "--fail-on", "never")
    assert [brief(d) for d in j["invariants"]] == [
        ("still-violated", "CNV401", "HorizontalPodAutoscaler/shop/api", f"{tmp_path}/new/hpa.yaml", 9, "violated"),
        ("still-violated", "CNV401", "HorizontalPodAutoscaler/shop/broken", f"{tmp_path}/new/hpa.yaml", 19, "violated"),
    ]
    # an edit of another document of the file leaves the first one's results reusable
    (tmp_path / "new/hpa.yaml").write_text(
        text.replace("maxReplicas: 3\n", "maxReplicas: 4\n").replace("maxReplicas: 4\n", "maxReplicas: 3\n", 1)
    )
    code, j = as_json(str(tmp_path / "old"), str(tmp_path / "new"), "--select", "CNV401", "--fail-on", "never")
    assert [brief(d)[2:5] for d in j["invariants"]] == [
        ("HorizontalPodAutoscaler/shop/api", f"{tmp_path}/new/hpa.yaml", 8),
        ("HorizontalPodAutoscaler/shop/broken", f"{tmp_path}/new/hpa.yaml", 18),
    ]
    assert all(d["new"]["location"]["file"] == f"{tmp_path}/new/hpa.yaml" for d in j["invariants"])


def test_workload_replicas_and_requests_before_after(tmp_path: Path) -> None:
    new = tmp_path / "new"
    new.mkdir()
    (new / "quota.yaml").write_text((FIX / "quota/old/quota.yaml").read_text())
    (new / "shop.yaml").write_text(
        (FIX / "quota/old/shop.yaml")
        .read_text()
        .replace("maxReplicas: 10", "maxReplicas: 4")
        .replace("cpu: 500m", "cpu: 250m")
    )
    code, j = as_json(str(FIX / "quota/old"), str(new), "--fail-on", "never")
    (w,) = j["capacity"]["workloads"]
    assert (w["workload"], w["location"]["line"]) == ("Deployment/shop/web", 1)
    assert w["old"] == {
        "replicas": {"min": 2, "max": 10},
        "surge": 0,
        "requests": {"cpu": "500m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "256Mi"},
    }
    assert w["new"]["replicas"] == {"min": 2, "max": 4} and w["new"]["requests"]["cpu"] == "250m"
    (q,) = j["capacity"]["quotas"]
    assert q["old"]["resources"]["requests.cpu"]["headroom"] == "3"
    assert q["new"]["resources"]["requests.cpu"] == {"hard": "8", "worst": "1", "headroom": "7"}
    code, text = run(str(FIX / "quota/old"), str(new), "--fail-on", "never")
    assert "  Deployment/shop/web: replicas 2..10 → 2..4\n    requests.cpu per pod: 500m → 250m\n" in text


def test_input_error_on_the_new_side_exits_2(tmp_path: Path) -> None:
    (tmp_path / "hpa.yaml").write_text("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: [\n")
    code, j = as_json(str(FIX / "fix/old"), str(tmp_path), "--select", "CNV401")
    assert code == 2
    (e,) = j["errors"]["new"]
    assert e["location"]["file"] == f"{tmp_path}/hpa.yaml" and e["location"]["line"] == 4
    # the same broken file on the old side only is reported, not gated
    code, j = as_json(str(tmp_path), str(FIX / "fix/old"), "--select", "CNV401", "--fail-on", "never")
    assert code == 0 and len(j["errors"]["old"]) == 1 and j["errors"]["new"] == []


SYNC_APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web:1, envFrom: [{configMapRef: {name: settings}}]}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
  annotations: {argocd.argoproj.io/sync-wave: "%s"}
data: {a: b}
"""


@pytest.mark.parametrize(("old_wave", "new_wave", "change"), [("0", "5", "new-violation"), ("5", "0", "fixed")])
def test_a_change_only_to_an_unmodelled_object_is_not_hidden(
    tmp_path: Path, old_wave: str, new_wave: str, change: str
) -> None:
    """The ConfigMap is not a modelled kind: CNV503 must still be re-run when only its sync wave changes
    (a property's results are reused only when everything it reads is equal, unmodelled objects included)."""
    for side, wave in (("old", old_wave), ("new", new_wave)):
        (tmp_path / side).mkdir()
        (tmp_path / side / "app.yaml").write_text(SYNC_APP % wave)
    _, j = as_json(str(tmp_path / "old"), str(tmp_path / "new"), "--select", "CNV503")
    assert [(d["change"], d["new"]["status"] if d["new"] else None) for d in j["invariants"]] == [
        (change, "violated" if change == "new-violation" else "proved")
    ]
