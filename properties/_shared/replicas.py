"""A workload's reachable replica counts, read from the snapshot: Kubernetes core's, in
``cnverify.systems.kubernetes.workloads`` (shared with ``cnverify diff``); re-exported for the properties."""

from __future__ import annotations

from cnverify.systems.kubernetes.workloads import ReplicaRange, hpas_for, replica_range

__all__ = ["ReplicaRange", "hpas_for", "replica_range"]
