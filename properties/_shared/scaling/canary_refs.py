"""A Flagger Canary's ``targetRef`` and ``autoscalerRef``, resolved in its namespace (CNV402).

fluxcd/flagger 15bd6ad5: ``pkg/canary/factory.go`` (``Controller``: DaemonSet, Deployment, a Knative or core
Service; ``ScalerReconciler``: HorizontalPodAutoscaler, ScaledObject, any other kind is ignored),
``artifacts/flagger/crd.yaml`` (``targetRef.kind`` enum DaemonSet, Deployment, Service),
``deployment_controller.go`` ``getSelectorLabel`` (the target's matchLabels must hold one of the
``-selector-labels``, default app, name, app.kubernetes.io/name).
"""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.model import DaemonSet, Deployment, HorizontalPodAutoscaler, KnativeService, Resource, Service
from cnverify.model.base import group_of
from cnverify.model.flagger import SELECTOR_LABELS, Canary, TargetRef
from cnverify.obligation import Obligation
from cnverify.properties._shared.scaling.named_ref import listing, resolve_named
from cnverify.registry import Property
from cnverify.snapshot import Snapshot
from cnverify.systems.flagger import selector_label

READS: tuple[type[Resource], ...] = (Canary, Deployment, DaemonSet, Service, KnativeService, HorizontalPodAutoscaler)
UNMODELLED_SCALERS = {"ScaledObject": "a KEDA ScaledObject"}


def _target_class(ref: TargetRef) -> type[Resource] | None:
    if ref.kind == "Service":
        return KnativeService if group_of(ref.api_version or "") == "serving.knative.dev" else Service
    return {"Deployment": Deployment, "DaemonSet": DaemonSet}.get(ref.kind or "")


def canary_obligations(prop: Property, snap: Snapshot) -> Iterator[Obligation]:
    """One obligation per reference of each Canary: its target, and its autoscaler when it names one."""
    for cls in READS:
        snap.all(cls)  # every reference may resolve against any of them
    for cd in snap.all(Canary):
        yield _target(prop, snap, cd)
        if cd.spec.autoscaler_ref is not None:
            yield _autoscaler(prop, snap, cd, cd.spec.autoscaler_ref)


def _target(prop: Property, snap: Snapshot, cd: Canary) -> Obligation:
    ref = cd.spec.target_ref
    ob = prop.obligation(cd, at=ref.at("name"), path="spec.targetRef")
    cls = _target_class(ref)
    if cls is None:
        claim = (
            f"targetRef kind {ref.kind!r} is not one the Canary CRD accepts (DaemonSet, Deployment, Service)"
            if ref.kind and ref.name
            else "targetRef needs apiVersion, kind and name (the Canary CRD requires them): the Canary is rejected"
        )
        ob.note(f"the Canary targets {ref.kind or '(no kind)'}/{cd.namespace}/{ref.name}", ref.at("kind"))
        ob.decide("violated", claim)
        ob.on(violated=f"Canary {cd.name}: {claim}")
        return ob
    desc = f"{cls.KIND}/{cd.namespace}/{ref.name}"
    found = resolve_named(
        ob,
        snap,
        cls,
        cd.namespace,
        ref.name,
        at=ref.at("name"),
        kind_at=ref.at("kind"),
        var="targetRef.name",
        says=f"the Canary targets {desc}",
    )
    unlabelled = found is not None and cls in (Deployment, DaemonSet) and selector_label(found) is None
    if found is not None and cls in (Deployment, DaemonSet):
        ob.assume(f"Flagger runs with its default -selector-labels ({', '.join(SELECTOR_LABELS)})")
    if unlabelled:
        sel = getattr(found, "selector", None)
        keys = ", ".join(sorted((sel.match_labels or {}) if sel is not None else {})) or "none"
        ob.note(f"{desc} spec.selector.matchLabels has the keys {keys}", found.spec.at("selector"))  # type: ignore[union-attr]
        ob.decide(
            "violated",
            f'Flagger cannot select its pods: "spec.selector.matchLabels must contain one of {list(SELECTOR_LABELS)}"',
        )
    ob.on(
        violated=f"Canary {cd.name}: {desc} spec.selector.matchLabels must contain one of {', '.join(SELECTOR_LABELS)}"
        if unlabelled
        else f"Canary {cd.name}: target {desc} does not exist" + listing(snap, cls, cd.namespace),
        proved=f"Canary {cd.name}: target {desc} exists" + (f" at {found.at()}" if found else ""),
    )
    return ob


def _autoscaler(prop: Property, snap: Snapshot, cd: Canary, ref: TargetRef) -> Obligation:
    ob = prop.obligation(cd, at=ref.at("name"), path="spec.autoscalerRef")
    desc = f"{ref.kind}/{cd.namespace}/{ref.name}"
    if ref.kind in UNMODELLED_SCALERS:
        ob.unknown(f"autoscalerRef {desc}: {UNMODELLED_SCALERS[ref.kind]} is not modelled")
        return ob
    if ref.kind != "HorizontalPodAutoscaler":
        claim = f"autoscalerRef kind {ref.kind!r} is not one Flagger reconciles (HorizontalPodAutoscaler, ScaledObject)"
        ob.decide("violated", claim + ": it is ignored")
        ob.on(violated=f"Canary {cd.name}: {claim}")
        return ob
    found = resolve_named(
        ob,
        snap,
        HorizontalPodAutoscaler,
        cd.namespace,
        ref.name,
        at=ref.at("name"),
        kind_at=ref.at("kind"),
        var="autoscalerRef.name",
        says=f"the Canary's autoscaler is {desc} (Flagger copies it for {cd.primary})",
    )
    ob.on(
        violated=f"Canary {cd.name}: autoscaler {desc} does not exist"
        + listing(snap, HorizontalPodAutoscaler, cd.namespace),
        proved=f"Canary {cd.name}: autoscaler {desc} exists" + (f" at {found.at()}" if found else ""),
    )
    return ob


def generated_primary(snap: Snapshot, kind: str, ns: str, name: str) -> Canary | None:
    """The Canary of ``ns`` whose generated primary is the ``kind`` named ``name`` (``<target>-primary``)."""
    return next(
        (cd for cd in snap.in_namespace(Canary, ns) if cd.spec.target_ref.kind == kind and cd.primary == name), None
    )
