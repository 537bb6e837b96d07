"""The pods a Flagger primary adds beside its target Deployment (docs/SEMANTICS.md#flagger, CNV302).

fluxcd/flagger 15bd6ad5 ``pkg/canary/deployment_controller.go``: ``createPrimaryDeployment`` copies the target
into ``<target>-primary`` (its replicas, its strategy); ``hpa_reconciler.go`` copies the target's HPA for it
(same bounds), so during an analysis the primary and the canary (the target, scaled from zero by
``ScaleFromZero``) both run up to the HPA maximum; ``Promote`` then rolls the primary with the copied strategy
while the canary still runs, so the primary's own rolling surge comes on top.
"""

from __future__ import annotations

from dataclasses import replace

from cnverify.model import Deployment, HorizontalPodAutoscaler
from cnverify.model.flagger import Canary
from cnverify.snapshot import Snapshot
from cnverify.systems.kubernetes.quota import Surge
from cnverify.systems.kubernetes.workloads import hpas_for


def canary_of(snap: Snapshot, w: Deployment) -> Canary | None:
    """The Canary whose resolved target is ``w``."""
    return next((cd for cd in snap.in_namespace(Canary, w.namespace) if cd.target is w), None)


def with_primary(snap: Snapshot, w: Deployment, base: Surge | str | None) -> Surge | str | None:
    """``base`` (the Deployment's own surge) plus the primary Flagger runs at the same count, when a Canary
    targets ``w``; else ``base``."""
    cd = canary_of(snap, w)
    if cd is None or isinstance(base, str):
        return base
    why = _unlike_target(snap, cd, w)
    if why is not None:
        return f"Flagger's primary {w.namespace}/{cd.primary} of Canary {cd.name}: {why}"
    hpa = cd.autoscaler
    scaled = f", scaled by {hpa.name}-primary, a copy of HPA {hpa.name}" if hpa is not None else ""
    says = (
        f"Flagger runs Deployment {w.namespace}/{cd.primary} (generated from Canary {cd.name}: a copy of {w.name}"
        f"{scaled}) at up to the same count beside it during an analysis"
    )
    copy = f"the generated primary {w.namespace}/{cd.primary}"
    if base is None:  # Recreate: the primary's promotion adds no surge pods
        return Surge(0, False, cd.spec.target_ref.at("name"), says, copy=copy)
    return replace(
        base,
        at=cd.spec.target_ref.at("name"),
        says=f"{says}; promotion rolls it with the copied strategy ({base.says})",
        copy=copy,
    )


def _unlike_target(snap: Snapshot, cd: Canary, w: Deployment) -> str | None:
    """Why the primary's replica range may differ from the target's (None: the same range)."""
    ref, hpa = cd.spec.autoscaler_ref, cd.autoscaler
    if ref is None:
        if hpas_for(snap, w):
            return "the Canary names no autoscalerRef, so the primary runs the target's replicas without its HPA"
        return None
    if ref.primary_scaler_replicas:
        return "autoscalerRef.primaryScalerReplicas gives it its own bounds (not modelled)"
    if not isinstance(hpa, HorizontalPodAutoscaler):
        return (
            f"its autoscaler is a copy of {ref.kind}/{ref.name}, which is not a HorizontalPodAutoscaler of the inputs"
        )
    if hpa not in hpas_for(snap, w):
        return f"its HPA is a copy of {hpa.name}, which does not scale {w.name}"
    return None
