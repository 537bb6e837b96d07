"""CNV402 hpa-target-exists."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.encodings.replicas import SCALABLE as SCALABLE_KINDS
from cnverify.model import HorizontalPodAutoscaler
from cnverify.model.base import group_of
from cnverify.obligation import Obligation
from cnverify.properties._shared.scaling.canary_refs import READS as CANARY_READS
from cnverify.properties._shared.scaling.canary_refs import canary_obligations
from cnverify.properties._shared.scaling.named_ref import listing, resolve_named
from cnverify.registry import Property, register
from cnverify.run_context import RunContext

SCALABLE = {cls.KIND: cls for cls in SCALABLE_KINDS}


@register
class HpaTargetExists(Property):
    """
    ## What it proves
    Every HorizontalPodAutoscaler's `scaleTargetRef` resolves to a workload of that kind and name in the
    HPA's own namespace (Deployment, StatefulSet, ReplicaSet, ReplicationController or Argo Rollout, with a
    matching API group). Every Flagger Canary's `targetRef` resolves to a Deployment, DaemonSet or (Knative)
    Service of its namespace, a Deployment/DaemonSet target's `matchLabels` holding one of Flagger's selector
    labels (`app`, `name`, `app.kubernetes.io/name`), and its `autoscalerRef` to an HPA there (a KEDA
    ScaledObject is `unknown`).

    ## Why it matters
    An HPA whose target is missing (a typo, a renamed Deployment, the wrong namespace) never scales
    anything; the controller only reports `FailedGetScale` in events nobody reads, and the workload
    runs at its static replica count under load.

    ## Evidence
    Violated: the reference and the workloads of that kind that do exist in the namespace.
    Proved: the resolved workload's location. A target kind cnverify does not model (a custom resource
    with a scale subresource) is `unknown`, never a pass.

    ## Example
    ```yaml
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web-v2}   # only 'web' exists
    ```

    ## Assumes
    - The target is in the inputs: a target created elsewhere (another repository, an operator) is reported
      missing; kinds cnverify does not model are `unknown`.
    - Flagger runs with its default `-selector-labels` (an `assumes:` chain step on a Canary's target).
    """

    code = "CNV402"
    name = "hpa-target-exists"
    title = "HPA scale target exists"
    severity = "error"
    reads = (HorizontalPodAutoscaler, *SCALABLE.values(), *CANARY_READS)
    remediation = "Point scaleTargetRef at an existing workload (kind, name) in the HPA's namespace."
    closed_world = frozenset({"violated"})  # absent here may be in an unread document
    existence = True  # an object assumed in .cnverify.yaml exists (cnverify.context)

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        for model in SCALABLE.values():
            snap.all(model)  # every HPA may resolve against any of them
        for hpa in snap.all(HorizontalPodAutoscaler):
            ref = hpa.spec.scale_target_ref
            ob = self.obligation(hpa, at=ref.at("name"))
            desc = f"{ref.kind}/{hpa.namespace}/{ref.name}"
            cls = SCALABLE.get(ref.kind)
            if cls is None:
                ob.unknown(f"scale target kind {ref.kind!r} is not a workload cnverify models")
                ob.on(unknown=f"cannot resolve scale target {desc}: kind {ref.kind!r} is not modelled")
                yield ob
                continue
            group = group_of(ref.api_version or "")
            wrong_group = bool(ref.api_version) and group not in (cls.GROUP, "extensions")
            if wrong_group:
                ob.fact(
                    False,
                    at=ref.at("apiVersion"),
                    says=f"scaleTargetRef.apiVersion {ref.api_version} is not "
                    f"the API group of {ref.kind} ({cls.GROUP})",
                )
            found = resolve_named(
                ob,
                snap,
                cls,
                hpa.namespace,
                ref.name,
                at=ref.at("name"),
                kind_at=ref.at("kind"),
                var="scaleTargetRef.name",
                says=f"the HPA scales {desc}",
            )
            ob.on(
                violated=f"scale target {desc} has apiVersion {ref.api_version}, not group {cls.GROUP}"
                if wrong_group and found
                else f"scale target {desc} does not exist" + listing(snap, cls, hpa.namespace),
                proved=f"scale target {desc} exists" + (f" at {found.at()}" if found else ""),
            )
            yield ob
        yield from canary_obligations(self, snap)
