"""Argo Rollouts (``argoproj.io/v1alpha1 Rollout``): a Deployment-like workload with canary / blue-green updates.

docs/SEMANTICS.md#argo-rollouts; argoproj/argo-rollouts ``pkg/apis/rollouts/v1alpha1/types.go`` (fields),
``rollout/templateref.go`` (``workloadRef``: the template of a Deployment, ReplicaSet or PodTemplate of the
Rollout's namespace; the selector too when the Rollout has none), ``utils/defaults/defaults.go`` (defaults).
"""

from __future__ import annotations

from typing import Any

from cnverify.model.apps import LabelSelector, Workload, WorkloadSpec
from cnverify.model.autoscaling import CrossVersionObjectReference
from cnverify.model.base import Node, register_kind
from cnverify.model.core import PodTemplateSpec
from cnverify.model.types import Int32, IntOrString
from pydantic import Field, PrivateAttr

#: ``infoByGroupKind`` of templateref.go: the kinds a workloadRef may name, by (API group, kind).
REFERABLE = (("apps", "Deployment"), ("apps", "ReplicaSet"), ("", "PodTemplate"))


class CanaryStrategy(Node):
    max_surge: IntOrString | None = None
    max_unavailable: IntOrString | None = None
    traffic_routing: dict[str, Any] | None = None
    steps: list[dict[str, Any]] | None = None
    dynamic_stable_scale: bool | None = None
    scale_down_delay_seconds: Int32 | None = None
    abort_scale_down_delay_seconds: Int32 | None = None


class BlueGreenStrategy(Node):
    active_service: str = ""
    preview_service: str | None = None
    preview_replica_count: Int32 | None = None
    scale_down_delay_seconds: Int32 | None = None
    abort_scale_down_delay_seconds: Int32 | None = None


class RolloutStrategy(Node):
    canary: CanaryStrategy | None = None
    blue_green: BlueGreenStrategy | None = None


class RolloutSpec(WorkloadSpec):
    workload_ref: CrossVersionObjectReference | None = None  # the same apiVersion/kind/name triple
    strategy: RolloutStrategy = Field(default_factory=RolloutStrategy)


@register_kind("argoproj.io", "Rollout")
class Rollout(Workload):
    """A Rollout's pods come from ``spec.template`` or, with ``spec.workloadRef``, the referenced object's
    template (:attr:`resolved`, set when the unit is linked; :attr:`unresolved` says why not)."""

    spec: RolloutSpec = Field(default_factory=RolloutSpec)
    _ref_template: PodTemplateSpec | None = PrivateAttr(default=None)
    _ref_selector: LabelSelector | None = PrivateAttr(default=None)
    _unresolved: str | None = PrivateAttr(default=None)
    _linked: bool = PrivateAttr(default=False)

    @property
    def template(self) -> PodTemplateSpec:
        return self._ref_template if self._ref_template is not None else self.spec.template

    @property
    def selector(self) -> LabelSelector | None:
        return self.spec.selector if self.spec.selector is not None else self._ref_selector

    @property
    def template_known(self) -> bool:
        return self._unresolved is None

    @property
    def unresolved(self) -> str | None:
        """Why this Rollout's pod template is not known (an unresolved ``workloadRef``), or None."""
        return self._unresolved

    @property
    def linked(self) -> bool:
        """Has :meth:`resolve` run (the unit's ``workloadRef`` target looked up)?"""
        return self._linked

    def resolve(self, template: PodTemplateSpec | None, selector: LabelSelector | None, why: str | None) -> None:
        """Record the template (and selector) of the ``workloadRef`` target, or why there is none."""
        self._ref_template, self._ref_selector, self._unresolved = template, selector, why
        self._linked = True
