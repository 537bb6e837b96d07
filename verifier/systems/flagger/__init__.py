"""Flagger (``flagger.app``): a Canary's references resolved in the unit, and the pods of the primary it generates.

A Canary copies its target (a Deployment or DaemonSet of its namespace) into ``<target>-primary``, whose pods
carry the target's template labels with the selector label's value suffixed ``-primary`` (fluxcd/flagger
``pkg/canary/deployment_controller.go`` ``createPrimaryDeployment``, ``getSelectorLabel``; ``util.go``
``makePrimaryLabels``).  Those pods are not in the inputs: the Canary is a pod creator with those labels, or
with unknown labels when its target is not in the unit.  A Knative Service target runs no pods of Flagger's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from cnverify.model import DaemonSet, Deployment, HorizontalPodAutoscaler, Resource
from cnverify.model.flagger import SELECTOR_LABELS, Canary
from cnverify.opaque import Opaque
from cnverify.systems.base import Group, System

FLAGGER = Group(
    creates_pods=False,
    creator="Flagger (MetricTemplates and AlertProviders run no pods; a Canary's primary is modelled)",
)
TARGETS: dict[str, type[Resource]] = {"Deployment": Deployment, "DaemonSet": DaemonSet}
AUTOSCALERS: dict[str, type[Resource]] = {"HorizontalPodAutoscaler": HorizontalPodAutoscaler}
_TOOLKIT = "toolkit.fluxcd.io"  # util.go toolkitMarker: such labels are not copied to the primary


def selector_label(target: Resource) -> tuple[str, str] | None:
    """``getSelectorLabel``: the first default selector label in the target's ``matchLabels`` and its value."""
    sel = getattr(target, "selector", None)
    labels = (sel.match_labels or {}) if sel is not None else {}
    return next(((k, labels[k]) for k in SELECTOR_LABELS if k in labels), None)


def primary_labels(target: Resource) -> dict[str, str] | None:
    """The primary's pod labels (``makePrimaryLabels``), or None when the target has no selector label."""
    found = selector_label(target)
    if found is None:
        return None
    label, value = found
    labels = {k: v for k, v in (target.template.metadata.labels or {}).items() if _TOOLKIT not in k}  # type: ignore[attr-defined]
    return {**labels, label: f"{value}-primary"}


def primary_creator(cd: Canary) -> str:
    """Who runs the primary's pods, for reasons and chain steps."""
    ref = cd.spec.target_ref
    return f"Flagger (the {ref.kind or 'workload'} {cd.namespace}/{cd.primary} it copies from {ref.name})"


class Flagger(System):
    name = "flagger"
    title = "Flagger (Canary: target and autoscaler references, generated primary, weight progression)"
    order = 87
    kinds = (Canary,)
    groups = {"flagger.app": FLAGGER}
    declines = {
        "raw_shapes": "Flagger objects carry apiVersion and kind",
        "route_tables": "Flagger generates mesh routes at run time; the user's routes are their systems' tables",
        "targets": "a Canary names no route destination of its own (the generated routes are not in the inputs)",
        "weighted_splits": "the weights Flagger writes are checked by CNV406, not CNV103",
        "diff_actions": "no routing table",
    }

    def link(self, resources: Iterable[Resource]) -> None:
        """Resolve each Canary's ``targetRef`` and ``autoscalerRef`` in its namespace."""
        pool = list(resources)
        pending = [r for r in pool if isinstance(r, Canary) and not r.linked]
        if not pending:
            return
        found: dict[tuple[type[Resource], str, str], Resource] = {}
        for r in pool:
            found.setdefault((type(r), r.namespace, r.name), r)
        for cd in pending:
            ref, auto = cd.spec.target_ref, cd.spec.autoscaler_ref
            target_cls = TARGETS.get(ref.kind or "")
            auto_cls = AUTOSCALERS.get(auto.kind or "") if auto is not None else None
            cd.resolve(
                found.get((target_cls, cd.namespace, ref.name)) if target_cls else None,
                found.get((auto_cls, cd.namespace, auto.name)) if auto_cls and auto else None,
            )

    def modelled_creator(self, resource: Resource) -> Opaque | None:
        """The primary's pods: labelled as Flagger labels them when the target is in the unit, else unknown."""
        if not isinstance(resource, Canary) or resource.spec.target_ref.kind not in TARGETS:
            return None  # a Knative Service target: its revisions are Knative's pods
        labels: Mapping[str, str] | None = None
        if resource.target is not None:
            labels = primary_labels(resource.target)
        pods = Opaque.of_modelled(resource, labels, primary_creator(resource))
        if isinstance(resource.target, Deployment):  # CNV302 counts the primary with its target (surge_of)
            return replace(pods, counted_with=resource.target.ref)
        return pods


SYSTEM = Flagger()
