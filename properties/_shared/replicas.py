"""A workload's reachable replica counts, read from the snapshot (the encoding: ``cnverify.encodings.replicas``)."""
from __future__ import annotations

from cnverify.encodings.replicas import SCALABLE, ReplicaRange, range_of, targets
from cnverify.model import HorizontalPodAutoscaler, Resource
from cnverify.snapshot import Snapshot

__all__ = ["ReplicaRange", "hpas_for", "replica_range"]


def hpas_for(snap: Snapshot, workload: Resource) -> list[HorizontalPodAutoscaler]:
    """HPAs in the workload's namespace whose scaleTargetRef names it (kind, name, API group)."""
    return [h for h in snap.in_namespace(HorizontalPodAutoscaler, workload.namespace) if targets(h, workload)]


def replica_range(snap: Snapshot, workload: Resource) -> ReplicaRange:
    """The reachable replica counts of ``workload``: ``spec.replicas``, the HPA range, a disabled HPA."""
    return range_of(workload, hpas_for(snap, workload) if isinstance(workload, SCALABLE) else [])
