"""Argo (``argoproj.io``): the Rollout is modelled as a workload (at every state of its update: ``states.py``), its
Services and the Istio routes it rewrites are checked (``targets.py``, ``splits.py``); Argo's other kinds stay opaque.

A Rollout's pods come from its template or its ``workloadRef`` target (resolved here, in the unit:
argoproj/argo-rollouts ``rollout/templateref.go``); an unresolved reference leaves it a pod creator
whose pods are not known, so the verdicts that depend on them are ``unknown`` with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING

from cnverify.model import Deployment, ReplicaSet, Resource
from cnverify.model.argo import REFERABLE, Rollout
from cnverify.model.base import group_of
from cnverify.opaque import Opaque
from cnverify.systems.base import Group, Split, System

if TYPE_CHECKING:
    from cnverify.snapshot import Snapshot

ARGO = Group(
    creates_pods=True,
    creator="Argo's controller (a Rollout runs ReplicaSets of its template; Workflows, "
    "Experiments and AnalysisRuns run pods)",
)
_TARGETS = {("apps", "Deployment"): Deployment, ("apps", "ReplicaSet"): ReplicaSet}


def _why_unresolved(
    ro: Rollout, found: dict[tuple[type[Resource], str, str], Resource]
) -> tuple[Resource | None, str | None]:
    ref = ro.spec.workload_ref
    assert ref is not None
    key = (group_of(ref.api_version or ""), ref.kind)
    if key not in REFERABLE:
        return (
            None,
            f"workloadRef kind {ref.kind!r} ({ref.api_version}) is not one Argo Rollouts resolves "
            "(Deployment, ReplicaSet, PodTemplate): the Rollout is rejected",
        )
    cls = _TARGETS.get(key)
    if cls is None:
        return None, f"workloadRef {ref.kind}/{ref.name}: PodTemplate targets are not modelled"
    target = found.get((cls, ro.namespace, ref.name))
    if target is None:
        return None, f"workloadRef {ref.kind}/{ro.namespace}/{ref.name} is not in the inputs"
    if ro.spec.template.spec.containers or ro.spec.template.metadata.labels:
        return (
            None,
            'a Rollout with a workloadRef must leave spec.template empty ("template must be empty for '
            'workload reference rollout"): the controller does not resolve it',
        )
    return target, None


class Argo(System):
    name = "argo"
    title = "Argo Rollouts (Rollout as a workload at every update state, its Services and Istio routes; other Argo kinds opaque)"
    order = 80
    kinds = (Rollout,)
    groups = {"argoproj.io": ARGO}
    declines = {
        "raw_shapes": "Argo objects carry apiVersion and kind",
        "route_tables": "a Rollout rewrites other systems' routes; their tables are those systems'",
        "diff_actions": "no routing table",
    }

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.argo import targets

        return (targets,)

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """The weights a Rollout writes into the Istio routes it manages, at its update's worst state."""
        from cnverify.systems.argo.splits import splits

        return splits(snap)

    def split_reads(self) -> tuple[type[Resource], ...]:
        from cnverify.systems.argo.splits import READS

        return READS

    def link(self, resources: Iterable[Resource]) -> None:
        """Resolve each Rollout's ``workloadRef`` against the unit (same namespace; Deployment or ReplicaSet)."""
        pool = list(resources)
        pending = [r for r in pool if isinstance(r, Rollout) and r.spec.workload_ref is not None and not r.linked]
        if not pending:
            return  # namespace views of a linked unit: nothing to do
        found: dict[tuple[type[Resource], str, str], Resource] = {}
        for r in pool:
            found.setdefault((type(r), r.namespace, r.name), r)
        for ro in pending:
            target, why = _why_unresolved(ro, found)
            ro.resolve(getattr(target, "template", None), getattr(target, "selector", None), why)

    def modelled_creator(self, resource: Resource) -> Opaque | None:
        """A Rollout whose ``workloadRef`` is not resolved creates pods whose labels are not known."""
        if not isinstance(resource, Rollout) or resource.unresolved is None:
            return None
        return Opaque.of_modelled(resource, None, f"Argo Rollouts ({resource.unresolved})")


SYSTEM = Argo()
