"""Capacity deltas: per workload the replica range and per-pod requests, per namespace the
worst-case ResourceQuota headroom, before and after.

Worst case (CATALOG CNV302): every workload of the namespace at its highest replica count plus
the extra pods of a rolling update (Deployment ``maxSurge``, default 25 % rounded up; none for
``Recreate``).  Headroom = ``spec.hard`` − that total; it is ``None`` (with a reason) when a
replica count is unbounded or unknown, or the quota is scoped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from cnverify.encodings.quantity import format_milli, milli
from cnverify.encodings.replicas import replica_range
from cnverify.encodings.resources import effective_containers, pod_limits, pod_requests, pod_spec_of
from cnverify.errors import Span
from cnverify.model import Deployment, ResourceQuota
from cnverify.model import WORKLOAD_KINDS
from cnverify.model.base import Resource
from cnverify.snapshot import Snapshot

ResKey = tuple[str, str]  # ("requests" | "limits", resource name)


@dataclass
class WorkloadCapacity:
    ref: str
    location: Span
    low: int
    high: int | None
    surge: int  # extra pods at the highest count during a rolling update
    per_pod: dict[ResKey, int]  # milli-units
    unknown: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"replicas": {"min": self.low, "max": self.high}, "surge": self.surge,
                "requests": _fmt(self.per_pod, "requests"), "limits": _fmt(self.per_pod, "limits"),
                **({"unknown": self.unknown} if self.unknown else {})}

    def same(self, other: "WorkloadCapacity") -> bool:
        return (self.low, self.high, self.surge, self.per_pod, self.unknown) == (
            other.low, other.high, other.surge, other.per_pod, other.unknown)


def _fmt(per_pod: dict[ResKey, int], which: str) -> dict[str, str]:
    return {res: format_milli(v, res) for (kind, res), v in sorted(per_pod.items()) if kind == which}


@dataclass
class Headroom:
    """One ResourceQuota's worst-case totals and headroom per resource of ``spec.hard``."""

    ref: str
    location: Span
    hard: dict[str, int] = field(default_factory=dict)
    worst: dict[str, int | None] = field(default_factory=dict)
    reason: str | None = None

    def headroom(self, resource: str) -> int | None:
        w = self.worst.get(resource)
        return None if w is None else self.hard[resource] - w

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for res, hard in sorted(self.hard.items()):
            h, w = self.headroom(res), self.worst.get(res)
            out[res] = {"hard": format_milli(hard, _base(res)),
                        "worst": None if w is None else format_milli(w, _base(res)),
                        "headroom": None if h is None else format_milli(h, _base(res))}
        return {"resources": out, **({"unknown": self.reason} if self.reason else {})}


def _base(quota_key: str) -> str:
    return quota_key.split(".", 1)[1] if quota_key.startswith(("requests.", "limits.")) else quota_key


def _quota_key(name: str) -> ResKey | None:
    """``requests.cpu``/``cpu`` → (requests, cpu); ``limits.memory`` → (limits, memory); pods → (pods, pods)."""
    if name == "pods":
        return ("pods", "pods")
    if name.startswith(("requests.", "limits.")):
        kind, res = name.split(".", 1)
        return (kind, res)
    if name in ("cpu", "memory", "ephemeral-storage"):
        return ("requests", name)
    return None


def _surge(w: Resource, high: int) -> int:
    if not isinstance(w, Deployment):
        return 0
    strategy = w.spec.strategy
    if strategy is not None and strategy.type == "Recreate":
        return 0
    raw: Any = strategy.rolling_update.max_surge if strategy and strategy.rolling_update else None
    raw = "25%" if raw is None else raw
    if isinstance(raw, str) and raw.endswith("%"):
        return math.ceil(high * int(raw[:-1]) / 100)
    return int(raw)


def workloads(snap: Snapshot) -> dict[str, WorkloadCapacity]:
    """Every workload's capacity, by ``Kind/namespace/name``."""
    out = {}
    for cls in WORKLOAD_KINDS:
        for w in snap.all(cls):
            rr = replica_range(snap, w)
            per_pod, why = _per_pod(snap, w)
            high = rr.high
            surge = _surge(w, high) if high is not None else 0
            out[w.ref] = WorkloadCapacity(w.ref, w.at(), rr.low, high, surge, per_pod, rr.unknown or why)
    return out


def _per_pod(snap: Snapshot, w: Resource) -> tuple[dict[ResKey, int], str | None]:
    """Effective per-pod requests and limits (LimitRange defaults applied; cnverify.encodings.resources)."""
    effs = effective_containers(snap, w)
    overhead = pod_spec_of(w).overhead
    out: dict[ResKey, int] = {("requests", r): v for r, v in pod_requests(effs, overhead).items()}
    out.update({("limits", r): v for r, v in pod_limits(effs, overhead).items()})
    return out, next((ec.unknown for ec in effs if ec.unknown), None)


def quotas(snap: Snapshot, caps: dict[str, WorkloadCapacity]) -> dict[str, Headroom]:
    """Worst-case headroom of every ResourceQuota, by ``ResourceQuota/namespace/name``."""
    out = {}
    for q in snap.all(ResourceQuota):
        h = Headroom(q.ref, q.at())
        if q.spec.scopes or q.spec.scope_selector:
            h.reason = "scoped quota: its pod set depends on priority classes and pod states"
        in_ns = [c for c in caps.values() if c.ref.split("/")[1] == q.namespace]
        for name, raw in sorted((q.spec.hard or {}).items()):
            key = _quota_key(name)
            if key is None:
                continue
            h.hard[name] = milli(raw)
            h.worst[name] = None if h.reason else _worst(in_ns, key)
        out[q.ref] = h
    return out


def _worst(caps: list[WorkloadCapacity], key: ResKey) -> int | None:
    total = 0
    for c in caps:
        if c.high is None or c.unknown:
            return None
        pods = c.high + c.surge
        total += pods * 1000 if key[0] == "pods" else pods * c.per_pod.get(key, 0)
    return total
