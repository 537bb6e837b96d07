"""Reachable replica counts of a workload: ``spec.replicas``, the HPA range, a disabled HPA.

docs/SEMANTICS.md#hpa-replica-range: at rest an autoscaled workload runs between minReplicas and maxReplicas; a
target scaled to ``replicas: 0`` while minReplicas ≥ 1 disables the HPA (it stays at 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3
from cnverify.encodings import zterms
from cnverify.errors import Span
from cnverify.model import (
    CronJob,
    DaemonSet,
    Deployment,
    HorizontalPodAutoscaler,
    Job,
    Pod,
    ReplicaSet,
    Resource,
    StatefulSet,
)
from cnverify.model.apps import ReplicationController, Workload
from cnverify.model.argo import Rollout
from cnverify.model.base import group_of


@dataclass
class ReplicaRange:
    """The replica counts a workload can run: ``low..high`` (``high`` None = unbounded), with reasons.

    ``why`` holds ``(sentence, span)`` pairs suitable for proof-chain steps.  ``unknown`` is set
    when the count depends on the cluster (DaemonSet: one pod per eligible node).
    """

    workload: Resource
    low: int
    high: int | None
    why: list[tuple[str, Span]] = field(default_factory=list)
    hpa: HorizontalPodAutoscaler | None = None
    unknown: str | None = None

    def contains(self, n: int) -> bool:
        return self.low <= n and (self.high is None or n <= self.high)

    def constraint(self, var: z3.ArithRef) -> z3.BoolRef:
        """``var`` ranges over this workload's reachable counts."""
        if self.high is None:
            return zterms.ge(var, self.low)
        return zterms.conj([zterms.ge(var, self.low), zterms.le(var, self.high)])


SCALABLE = (Deployment, StatefulSet, ReplicaSet, ReplicationController, Rollout)
"""The kinds an HPA may scale (``spec.replicas`` under a scale subresource) among the workloads."""


def targets(hpa: HorizontalPodAutoscaler, workload: Resource) -> bool:
    """Does ``hpa`` (in the workload's namespace) name ``workload`` in its scaleTargetRef (kind, name, API group)?"""
    ref = hpa.spec.scale_target_ref
    if ref.kind != workload.KIND or ref.name != workload.name:
        return False
    return not ref.api_version or group_of(ref.api_version) in (workload.GROUP, "extensions")


def valid_bounds(hpa: HorizontalPodAutoscaler) -> bool:
    """Would the API server accept these bounds (1 ≤ minReplicas ≤ maxReplicas, or a missing max → unknown)?

    minReplicas 0 is accepted only behind the HPAScaleToZero gate; it is kept (the range then includes 0).
    """
    hi = hpa.spec.max_replicas
    return hi is None or (hi >= 1 and 0 <= hpa.min_replicas <= hi)


def range_of(workload: Resource, found: list[HorizontalPodAutoscaler]) -> ReplicaRange:
    """The reachable replica counts of ``workload`` (see module docstring), given the HPAs that target it
    (``targets``; only ``SCALABLE`` kinds consult them)."""
    if isinstance(workload, Pod):
        return ReplicaRange(workload, 1, 1, [("a bare Pod runs exactly one replica", workload.at("kind"))])
    if isinstance(workload, DaemonSet):
        return ReplicaRange(
            workload,
            0,
            None,
            [("a DaemonSet runs one pod per eligible node", workload.at("kind"))],
            unknown="a DaemonSet's pod count depends on the cluster's nodes",
        )
    if isinstance(workload, (Job, CronJob)):
        job_spec = workload.spec.job_template.spec if isinstance(workload, CronJob) else workload.spec
        par = 1 if job_spec.parallelism is None else job_spec.parallelism
        where = job_spec.at("parallelism")
        why = [
            (
                f"the job runs up to {par} pod{'s' * (par != 1)} at once (parallelism"
                f"{' default' if job_spec.parallelism is None else ''})",
                where,
            )
        ]
        if job_spec.completions is not None and job_spec.completions < par:
            par = job_spec.completions  # the Job controller never runs more pods than completions remain
            why.append(
                (f"completions {job_spec.completions} caps the pods running at once", job_spec.at("completions"))
            )
        if isinstance(workload, CronJob):
            return ReplicaRange(workload, 0, None, why, unknown="overlapping CronJob runs depend on the schedule")
        return ReplicaRange(workload, 0, par, why)
    own = workload.own_replicas() if isinstance(workload, Workload) else None
    if own is not None:
        return ReplicaRange(workload, own.low, own.high, own.why, unknown=own.unknown)
    assert isinstance(workload, SCALABLE), type(workload)
    spec = workload.spec
    declared = 1 if spec.replicas is None else spec.replicas
    r_at = spec.at("replicas")
    r_says = f"spec.replicas is {declared}" + (" (default)" if spec.replicas is None else "")
    hpas = [h for h in found if valid_bounds(h)]
    if not hpas:
        why = [(r_says + " and no HPA scales it", r_at)]
        why += [
            (
                f"HPA {h.name} has invalid bounds (minReplicas {h.min_replicas}, maxReplicas {h.spec.max_replicas}): "
                "the API server rejects it, so it scales nothing",
                h.spec.at("maxReplicas"),
            )
            for h in found
        ]
        return ReplicaRange(workload, declared, declared, why)
    lows = [h.min_replicas for h in hpas]
    highs = [h.spec.max_replicas for h in hpas]
    hpa = hpas[0]
    if spec.replicas == 0 and min(lows) >= 1:
        return ReplicaRange(
            workload,
            0,
            0,
            [
                ("spec.replicas is 0", r_at),
                (f"HPA {hpa.name} is disabled while its target runs 0 replicas (minReplicas ≥ 1)", hpa.at("spec")),
            ],
            hpa=hpa,
        )
    why = [
        (f"HPA {h.name} scales it between {h.min_replicas} and {h.spec.max_replicas}", h.spec.at("maxReplicas"))
        for h in hpas
    ]
    if any(x is None for x in highs):
        return ReplicaRange(workload, min(lows), None, why, hpa=hpa, unknown="an HPA has no maxReplicas")
    return ReplicaRange(workload, min(lows), max(h for h in highs if h is not None), why, hpa=hpa)
