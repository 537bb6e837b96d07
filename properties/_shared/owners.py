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

from cnverify.model.apps import CronJob, DaemonSet, Deployment, Job, ReplicaSet, ReplicationController, StatefulSet
from cnverify.model.base import Resource, group_of
from cnverify.run_context import RunContext, context_of
from cnverify.snapshot import Snapshot

R = TypeVar("R", bound=Resource)
CONTROLLERS: tuple[type[Resource], ...] = (
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    ReplicationController,
)
CONTROLLER_KINDS = frozenset(c.KIND for c in CONTROLLERS)


def _present(source: RunContext | Snapshot) -> set[tuple[str, str, str, str]]:
    """(group, kind, namespace, name) of every controller in the inputs that accounts for what it owns: the
    workload kinds and unmodelled objects that may create pods (once per run context). A ConfigMap named as
    a garbage-collection owner does not run its dependent's pods."""
    ctx = context_of(source)

    def compute() -> set[tuple[str, str, str, str]]:
        snap = ctx.snap
        found = {(r.GROUP, r.KIND, r.namespace, r.name) for cls in CONTROLLERS for r in snap.all(cls)}
        return found | {(group_of(o.api_version), o.kind, o.namespace, o.name) for o in snap.opaque if o.creates_pods}

    return ctx.memo(("owners.present",), compute, reads=CONTROLLERS)


def owner_in_inputs(snap: RunContext | Snapshot, obj: Resource) -> str | None:
    """``Kind/name`` of ``obj``'s controlling owner when that owner is among the inputs."""
    present = _present(snap)
    for ref in obj.metadata.owner_references or []:
        if ref.controller is False:
            continue
        if (group_of(ref.api_version), ref.kind, obj.namespace, ref.name) in present:
            return f"{ref.kind}/{ref.name}"
    return None


def unowned(snap: RunContext | Snapshot, objs: Iterable[R]) -> list[R]:
    """``objs`` without those whose controlling owner is in the inputs."""
    return [o for o in objs if owner_in_inputs(snap, o) is None]
