"""Reachable replica counts (encodings/replicas.py): spec.replicas, HPA ranges, disabled HPAs."""

from __future__ import annotations

from pathlib import Path

import pytest
import z3
from cnverify import loader, snapshot
from cnverify.encodings.replicas import ReplicaRange
from cnverify.model import CronJob, DaemonSet, Deployment, Job, Pod, StatefulSet
from cnverify.properties._shared.replicas import hpas_for, replica_range
from hypothesis import given, settings
from hypothesis import strategies as st

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: shop}}
spec:
{replicas}  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec: {{containers: [{{name: c, image: i}}]}}
"""
HPA = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: {hpa}, namespace: shop}}
spec:
  scaleTargetRef: {{apiVersion: {api}, kind: {kind}, name: {name}}}
{minimum}  maxReplicas: {maximum}
"""


def snap_of(tmp_path: Path, *docs: str) -> snapshot.Snapshot:
    f = tmp_path / "in.yaml"
    f.write_text("---\n".join(docs))
    snap, errors = snapshot.build(loader.load([str(f)]))
    assert not errors, errors
    return snap


def deploy(name: str = "web", replicas: int | None = None) -> str:
    return DEPLOY.format(name=name, replicas="" if replicas is None else f"  replicas: {replicas}\n")


def hpa(
    name: str = "web",
    lo: int | None = None,
    hi: int = 5,
    hpa_name: str = "h",
    kind: str = "Deployment",
    api: str = "apps/v1",
) -> str:
    return HPA.format(
        hpa=hpa_name, name=name, kind=kind, api=api, maximum=hi, minimum="" if lo is None else f"  minReplicas: {lo}\n"
    )


def bounds(r: ReplicaRange) -> tuple[int, int | None]:
    return r.low, r.high


@pytest.mark.parametrize(
    "docs,expected",
    [
        ([deploy()], (1, 1)),  # default spec.replicas
        ([deploy(replicas=3)], (3, 3)),
        ([deploy(replicas=3), hpa(lo=2, hi=7)], (2, 7)),  # the HPA decides at rest
        ([deploy(replicas=3), hpa(hi=7)], (1, 7)),  # minReplicas defaults to 1
        ([deploy(replicas=0), hpa(lo=2, hi=7)], (0, 0)),  # scaled to 0: HPA disabled
        ([deploy(), hpa(lo=2, hi=7, name="other")], (1, 1)),  # an HPA for another workload
        ([deploy(), hpa(lo=2, hi=7, kind="StatefulSet")], (1, 1)),  # kind must match
        ([deploy(), hpa(lo=2, hi=7, api="argoproj.io/v1alpha1")], (1, 1)),  # API group must match
        ([deploy(), hpa(lo=2, hi=7, api="extensions/v1beta1")], (2, 7)),
        ([deploy(), hpa(lo=2, hi=4), hpa(lo=3, hi=9, hpa_name="h2")], (2, 9)),  # fighting HPAs: the hull
    ],
)
def test_scalable_workloads(tmp_path: Path, docs: list[str], expected: tuple[int, int]) -> None:
    snap = snap_of(tmp_path, *docs)
    [d] = snap.all(Deployment)
    r = replica_range(snap, d)
    assert bounds(r) == expected
    assert r.unknown is None
    assert all(span.line >= 1 for _, span in r.why)
    assert (r.hpa is not None) == bool(hpas_for(snap, d))


def test_other_kinds(tmp_path: Path) -> None:
    snap = snap_of(
        tmp_path,
        """apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: i}]}
""",
        """apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec:
  selector: {matchLabels: {a: b}}
  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}
""",
        """apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  parallelism: 5
  completions: 2
  template: {spec: {containers: [{name: c, image: i}]}}
""",
        """apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec:
  schedule: "* * * * *"
  jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: i}]}}}}
""",
        """apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 4
  selector: {matchLabels: {a: db}}
  template: {metadata: {labels: {a: db}}, spec: {containers: [{name: c, image: i}]}}
""",
    )
    assert bounds(replica_range(snap, snap.all(Pod)[0])) == (1, 1)
    ds = replica_range(snap, snap.all(DaemonSet)[0])
    assert bounds(ds) == (0, None) and ds.unknown
    assert bounds(replica_range(snap, snap.all(Job)[0])) == (0, 2)  # completions cap parallelism
    cj = replica_range(snap, snap.all(CronJob)[0])
    assert cj.unknown and cj.high is None
    assert bounds(replica_range(snap, snap.all(StatefulSet)[0])) == (4, 4)


@settings(max_examples=150, deadline=None)
@given(low=st.integers(0, 20), span=st.one_of(st.none(), st.integers(0, 20)), n=st.integers(-2, 45))
def test_constraint_agrees_with_contains(low: int, span: int | None, n: int) -> None:
    """The Z3 constraint admits exactly the counts the Python range contains."""
    r = ReplicaRange(workload=None, low=low, high=None if span is None else low + span)  # type: ignore[arg-type]
    x = z3.Int("x")
    s = z3.Solver()
    s.add(r.constraint(x), x == n)
    assert (s.check() == z3.sat) == r.contains(n)


def test_invalid_hpa_scales_nothing(tmp_path: Path) -> None:
    """An HPA the API server rejects (min > max) leaves the workload at spec.replicas, with the reason."""
    snap = snap_of(tmp_path, deploy(replicas=3), hpa(lo=5, hi=2))
    r = replica_range(snap, snap.all(Deployment)[0])
    assert bounds(r) == (3, 3) and r.hpa is None
    assert any("rejects it" in says for says, _ in r.why)
