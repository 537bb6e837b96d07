"""Capacity deltas: per workload the replica range and per-pod requests, per namespace the
worst-case ResourceQuota headroom, before and after.

Worst case (CATALOG CNV302): every workload of the namespace at its highest replica count plus
the extra pods of a rolling update.  What a pod adds to a quota key, the rollout surge and the
quota scopes are Kubernetes core's (``cnverify.systems.kubernetes.quota``, shared with CNV302), the
effective per-pod values from ``cnverify.encodings.resources``.  Headroom = ``spec.hard`` − worst
total; ``None`` (with a reason) when a replica count is unbounded or unknown, a value is
ambiguous, or the scope cannot be decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnverify.encodings.quantity import format_milli, milli
from cnverify.encodings.resources import pod_limits, pod_requests
from cnverify.errors import Span
from cnverify.model import WORKLOAD_KINDS, ResourceQuota, pod_template
from cnverify.model.base import Resource
from cnverify.snapshot import Snapshot
from cnverify.systems.kubernetes.quota import in_scope, pod_usage, scope_filter, surge_of
from cnverify.systems.kubernetes.workloads import effective_containers, replica_range


@dataclass
class WorkloadCapacity:
    ref: str
    namespace: str
    location: Span
    low: int
    high: int | None
    surge: int  # extra pods at the highest count during a rolling update
    requests: dict[str, int]  # per pod, milli-units
    limits: dict[str, int]
    effs: Any = field(default=None, compare=False, repr=False)
    unknown: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "replicas": {"min": self.low, "max": self.high},
            "surge": self.surge,
            "requests": _fmt(self.requests),
            "limits": _fmt(self.limits),
            **({"unknown": self.unknown} if self.unknown else {}),
        }

    def same(self, other: WorkloadCapacity) -> bool:
        return self.to_json() == other.to_json()


def _fmt(values: dict[str, int]) -> dict[str, str]:
    return {res: format_milli(v, res) for res, v in sorted(values.items())}


@dataclass
class Headroom:
    """One ResourceQuota's worst-case totals and headroom per pod compute key of ``spec.hard``."""

    ref: str
    location: Span
    hard: dict[str, int] = field(default_factory=dict)
    worst: dict[str, int | None] = field(default_factory=dict)
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, hard in sorted(self.hard.items()):
            w = self.worst.get(key)
            out[key] = {
                "hard": format_milli(hard, key),
                "worst": None if w is None else format_milli(w, key),
                "headroom": None if w is None else format_milli(hard - w, key),
            }
        return {"resources": out, **({"unknown": self.reason} if self.reason else {})}


def workloads(snap: Snapshot) -> dict[str, WorkloadCapacity]:
    """Every workload's capacity, by ``Kind/namespace/name``."""
    out = {}
    for cls in WORKLOAD_KINDS:
        for w in snap.all(cls):
            out[w.ref] = _workload(snap, w)
    return out


def _workload(snap: Snapshot, w: Resource) -> WorkloadCapacity:
    rr = replica_range(snap, w)
    effs = effective_containers(snap, w)
    overhead = pod_template(w).spec.overhead
    surge = surge_of(w, snap)  # a Flagger target adds its generated primary
    unknown = rr.unknown or next((ec.unknown for ec in effs if ec.unknown), None)
    if isinstance(surge, str):
        unknown = unknown or surge
    extra = surge.at_count(rr.high) if surge is not None and not isinstance(surge, str) and rr.high is not None else 0
    return WorkloadCapacity(
        w.ref,
        w.namespace,
        w.at(),
        rr.low,
        rr.high,
        extra,
        pod_requests(effs, overhead),
        pod_limits(effs, overhead),
        effs,
        unknown,
    )


def quotas(snap: Snapshot, caps: dict[str, WorkloadCapacity]) -> dict[str, Headroom]:
    """Worst-case headroom of every ResourceQuota, by ``ResourceQuota/namespace/name``."""
    out = {}
    for q in snap.all(ResourceQuota):
        h = Headroom(q.ref, q.at())
        scopes, h.reason = scope_filter(q)
        members = [c for c in caps.values() if c.namespace == q.namespace and in_scope(scopes, c.effs)]
        blocked = next(
            (f"{c.ref}: {c.unknown or 'unbounded replicas'}" for c in members if c.unknown or c.high is None), None
        )
        h.reason = h.reason or blocked
        for key, raw in sorted((q.spec.hard or {}).items()):
            if pod_usage(key, {}, {}) is None:
                continue  # object counts and keys no pod uses
            h.hard[key] = milli(raw)
            h.worst[key] = (
                None
                if h.reason
                else sum(  # no reason: every member's high is set (``blocked``)
                    ((c.high or 0) + c.surge) * (pod_usage(key, c.requests, c.limits) or 0) for c in members
                )
            )
        out[q.ref] = h
    return out
