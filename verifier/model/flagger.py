"""Flagger (``flagger.app/v1beta1 Canary``): a progressive-delivery controller for an existing workload.

Source: fluxcd/flagger 15bd6ad5 ``pkg/apis/flagger/v1beta1/canary.go`` (``CanarySpec``, ``CanaryService``,
``CanaryAnalysis``, ``AutoscalerReference``, ``GetServiceNames``, ``GetAnalysis``, ``DeploymentStrategy``) and
``artifacts/flagger/crd.yaml`` (``targetRef`` and ``analysis`` required, ``service.port`` required, no bounds on
the weights: they are JSON numbers the controller decodes as Go ``int``).  The objects Flagger generates
(``<target>-primary`` Deployment and HPA, Services ``<apex>``, ``<apex>-primary``, ``<apex>-canary``, the mesh
routes) are named here; the adapter (``cnverify.systems.flagger``) resolves the references.
"""

from __future__ import annotations

from typing import Any

from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import Int32, Int64, IntOrString
from pydantic import Field, PrivateAttr

GROUP = "flagger.app"
#: ``-mesh-provider`` default of ``cmd/flagger/main.go`` (a flag of the cluster's Flagger install).
DEFAULT_PROVIDER = "istio"
#: ``-selector-labels`` default of ``cmd/flagger/main.go``: the first of these in the target's matchLabels.
SELECTOR_LABELS = ("app", "name", "app.kubernetes.io/name")


class TargetRef(Node):
    api_version: str | None = None
    kind: str | None = None
    name: str = ""


class AutoscalerRef(TargetRef):
    primary_scaler_replicas: dict[str, Any] | None = None  # min/max overrides for the primary's copy


class CanaryServiceSpec(Node):
    name: str | None = None
    port: Int32 | None = None
    port_name: str | None = None
    target_port: IntOrString | None = None
    port_discovery: bool | None = None
    gateways: list[str] | None = None
    hosts: list[str] | None = None
    delegation: bool | None = None
    traffic_policy: dict[str, Any] | None = None
    match: list[dict[str, Any]] | None = None


class CanaryAnalysis(Node):
    interval: str | None = None
    iterations: Int64 | None = None
    mirror: bool | None = None
    mirror_weight: Int64 | None = None
    max_weight: Int64 | None = None
    step_weight: Int64 | None = None
    step_weights: list[Int64] | None = None
    step_weight_promotion: Int64 | None = None
    threshold: Int64 | None = None
    primary_ready_threshold: Int64 | None = None
    canary_ready_threshold: Int64 | None = None
    match: list[dict[str, Any]] | None = None


class CanarySpec(Node):
    provider: str | None = None
    target_ref: TargetRef = Field(default_factory=TargetRef)
    autoscaler_ref: AutoscalerRef | None = None
    service: CanaryServiceSpec = Field(default_factory=CanaryServiceSpec)
    analysis: CanaryAnalysis | None = None
    progress_deadline_seconds: Int32 | None = None
    skip_analysis: bool | None = None
    suspend: bool | None = None


@register_kind(GROUP, "Canary")
class Canary(Resource):
    """A Canary of ``spec.targetRef``; :attr:`target` / :attr:`autoscaler` are set when the unit is linked."""

    spec: CanarySpec = Field(default_factory=CanarySpec)
    _target: Resource | None = PrivateAttr(default=None)
    _autoscaler: Resource | None = PrivateAttr(default=None)
    _linked: bool = PrivateAttr(default=False)

    @property
    def analysis(self) -> CanaryAnalysis | None:
        """``spec.analysis`` (``GetAnalysis`` also reads the v1alpha3 ``canaryAnalysis``, but the v1beta1 CRD's
        structural schema does not list it: the API server prunes it, and ``analysis`` is required)."""
        return self.spec.analysis

    @property
    def apex(self) -> str:
        """``GetServiceNames``: the apex Service is ``service.name``, else the target's name."""
        return self.spec.service.name or self.spec.target_ref.name

    @property
    def services(self) -> tuple[str, str, str]:
        """The Services Flagger generates: apex, ``<apex>-primary``, ``<apex>-canary``."""
        return self.apex, f"{self.apex}-primary", f"{self.apex}-canary"

    @property
    def primary(self) -> str:
        """The workload Flagger copies the target into (``<targetRef.name>-primary``)."""
        return f"{self.spec.target_ref.name}-primary"

    @property
    def provider(self) -> str | None:
        """``spec.provider``; None: the cluster's ``-mesh-provider`` flag decides."""
        return self.spec.provider or None

    @property
    def target(self) -> Resource | None:
        return self._target

    @property
    def autoscaler(self) -> Resource | None:
        return self._autoscaler

    @property
    def linked(self) -> bool:
        return self._linked

    def resolve(self, target: Resource | None, autoscaler: Resource | None) -> None:
        """Record the target workload and autoscaler found in the unit (None: not in the inputs)."""
        self._target, self._autoscaler, self._linked = target, autoscaler, True
