"""What a workload's pods are, read from the snapshot: reachable replica counts (its HPAs) and effective
container resources (its namespace's LimitRange defaults).

Kubernetes core semantics shared by the properties (through ``cnverify.properties._shared``) and
``cnverify diff``'s capacity deltas; the encodings they apply are ``cnverify.encodings.replicas`` and
``cnverify.encodings.resources`` (docs/SEMANTICS.md#resourcequota).
"""

from __future__ import annotations

from cnverify.encodings.replicas import SCALABLE, ReplicaRange, range_of, targets
from cnverify.encodings.resources import Defaults, EffectiveContainer, effective, limitrange_defaults
from cnverify.model import HorizontalPodAutoscaler, LimitRange, Resource
from cnverify.snapshot import Snapshot

__all__ = ["ReplicaRange", "container_defaults", "effective_containers", "hpas_for", "replica_range"]


def hpas_for(snap: Snapshot, workload: Resource) -> list[HorizontalPodAutoscaler]:
    """HPAs in the workload's namespace whose scaleTargetRef names it (kind, name, API group)."""
    return [h for h in snap.in_namespace(HorizontalPodAutoscaler, workload.namespace) if targets(h, workload)]


def replica_range(snap: Snapshot, workload: Resource) -> ReplicaRange:
    """The reachable replica counts of ``workload``: ``spec.replicas``, the HPA range, a disabled HPA.

    Once per run and workload when ``snap`` (or the snapshot it is a namespace view of) has a run context: quota,
    budget, route and ordinal properties ask the same (the workload's namespace holds the same HPAs in both; the
    range holds the workload, so its id names it while the entry lives; callers never mutate a range)."""
    ctx = (snap.reads_into or snap).run_context
    if ctx is None:
        return _replica_range(snap, workload)
    return ctx.memo(("workloads.replica_range", id(workload)), lambda: _replica_range(snap, workload), _HPA)  # type: ignore[no-any-return,unused-ignore]


_HPA = (HorizontalPodAutoscaler,)


def _replica_range(snap: Snapshot, workload: Resource) -> ReplicaRange:
    return range_of(workload, hpas_for(snap, workload) if isinstance(workload, SCALABLE) else [])


def container_defaults(snap: Snapshot, namespace: str) -> Defaults:
    """The LimitRanger defaults for containers of ``namespace``."""
    return limitrange_defaults(snap.in_namespace(LimitRange, namespace))


def effective_containers(
    snap: Snapshot, workload: Resource, *, defaults: Defaults | None = None
) -> list[EffectiveContainer]:
    """Every container (init containers first) of ``workload``'s pods, with effective values."""
    return effective(workload, defaults if defaults is not None else container_defaults(snap, workload.namespace))
