"""Owned objects: a ``kubectl get -o yaml`` dump lists a Deployment *and* its ReplicaSets and Pods.

An object whose controller ``ownerReference`` names an object in the inputs is that owner's doing,
not another workload: counting it again would double its pods in quotas and make a Deployment
"overlap" its own ReplicaSet. An owner absent from the inputs leaves the owned object as the only
evidence, so it is kept. (``metadata.ownerReferences``, the garbage collector's and controllers'
``controller: true`` link; kubernetes ``apimachinery/pkg/apis/meta/v1`` ``GetControllerOf``.)
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from cnverify.model.base import Resource, group_of
from cnverify.snapshot import Snapshot

R = TypeVar("R", bound=Resource)
CONTROLLER_KINDS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob",
                              "ReplicationController"})


def _present(snap: Snapshot) -> set[tuple[str, str, str, str]]:
    """(group, kind, namespace, name) of every controller in the inputs that accounts for what it owns: the
    workload kinds and unmodelled objects that may create pods (cached per snapshot). A ConfigMap named as
    a garbage-collection owner does not run its dependent's pods."""
    cached = getattr(snap, "_owners_present", None)
    if cached is None:
        cached = {(r.GROUP, r.KIND, r.namespace, r.name) for r in snap.resources if r.KIND in CONTROLLER_KINDS}
        cached |= {(group_of(o.api_version), o.kind, o.namespace, o.name) for o in snap.opaque if o.creates_pods}
        snap._owners_present = cached  # type: ignore[attr-defined]
    return cached


def owner_in_inputs(snap: Snapshot, obj: Resource) -> str | None:
    """``Kind/name`` of ``obj``'s controlling owner when that owner is among the inputs."""
    present = _present(snap)
    for ref in obj.metadata.owner_references or []:
        if ref.controller is False:
            continue
        if (group_of(ref.api_version), ref.kind, obj.namespace, ref.name) in present:
            return f"{ref.kind}/{ref.name}"
    return None


def unowned(snap: Snapshot, objs: Iterable[R]) -> list[R]:
    """``objs`` without those whose controlling owner is in the inputs."""
    return [o for o in objs if owner_in_inputs(snap, o) is None]
