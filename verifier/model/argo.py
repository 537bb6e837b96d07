"""Argo Rollouts (``argoproj.io/v1alpha1 Rollout``): a Deployment-like workload with canary / blue-green updates.

docs/SEMANTICS.md#argo-rollouts; argoproj/argo-rollouts ``pkg/apis/rollouts/v1alpha1/types.go`` (fields),
``rollout/templateref.go`` (``workloadRef``: the template of a Deployment, ReplicaSet or PodTemplate of the
Rollout's namespace; the selector too when the Rollout has none), ``utils/defaults/defaults.go`` (defaults).
"""

from __future__ import annotations

from typing import Any

from cnverify.model.apps import LabelSelector, Workload, WorkloadSpec
from cnverify.model.argo_validation import spec_errors
from cnverify.model.autoscaling import CrossVersionObjectReference
from cnverify.model.base import Node, register_kind
from cnverify.model.core import PodTemplateSpec
from cnverify.model.types import Int32, IntOrString
from pydantic import Field, PrivateAttr, model_validator

#: ``infoByGroupKind`` of templateref.go: the kinds a workloadRef may name, by (API group, kind).
REFERABLE = (("apps", "Deployment"), ("apps", "ReplicaSet"), ("", "PodTemplate"))


class PodTemplateMetadata(Node):
    """Ephemeral metadata (``canaryMetadata``/``stableMetadata``, ``previewMetadata``/``activeMetadata``): labels
    the controller adds to the pods of one role (rollout/ephemeralmetadata.go)."""

    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class SetCanaryScale(Node):
    weight: Int32 | None = None
    replicas: Int32 | None = None
    match_traffic_weight: bool = False


class CanaryStep(Node):
    """One ``steps[]`` entry (types.go ``CanaryStep``); the actions cnverify does not read stay mappings."""

    set_weight: Int32 | None = None
    pause: dict[str, Any] | None = None
    experiment: dict[str, Any] | None = None
    analysis: dict[str, Any] | None = None
    set_canary_scale: SetCanaryScale | None = None
    set_header_route: dict[str, Any] | None = None
    set_mirror_route: dict[str, Any] | None = None
    plugin: dict[str, Any] | None = None


class IstioRouteRef(Node):
    """``tlsRoutes[]`` / ``tcpRoutes[]``: a route located by its port (and SNI hosts)."""

    port: int | None = None
    sni_hosts: list[str] | None = None


class IstioVirtualServiceRef(Node):
    name: str = ""
    routes: list[str] | None = None
    tls_routes: list[IstioRouteRef] | None = None
    tcp_routes: list[IstioRouteRef] | None = None


class IstioDestinationRuleRef(Node):
    name: str = ""
    canary_subset_name: str = ""
    stable_subset_name: str = ""
    additional_subset_names: list[str] | None = None


class IstioTrafficRouting(Node):
    virtual_service: IstioVirtualServiceRef | None = None
    virtual_services: list[IstioVirtualServiceRef] | None = None
    destination_rule: IstioDestinationRuleRef | None = None

    @property
    def services(self) -> list[IstioVirtualServiceRef]:
        """The VirtualServices the Rollout rewrites: ``virtualServices[]`` when set (even empty), else
        ``virtualService`` (utils/istio/istio.go ``MultipleVirtualServiceConfigured``)."""
        if self.virtual_services is not None:
            return list(self.virtual_services)
        return [self.virtual_service] if self.virtual_service else []


#: ``trafficRouting`` providers other than Istio (types.go ``RolloutTrafficRouting``), by field name.
OTHER_PROVIDERS = ("nginx", "alb", "smi", "ambassador", "appMesh", "traefik", "apisix", "plugins")


class TrafficRouting(Node):
    istio: IstioTrafficRouting | None = None
    nginx: dict[str, Any] | None = None
    alb: dict[str, Any] | None = None
    smi: dict[str, Any] | None = None
    ambassador: dict[str, Any] | None = None
    app_mesh: dict[str, Any] | None = None
    traefik: dict[str, Any] | None = None
    apisix: dict[str, Any] | None = None
    plugins: dict[str, Any] | None = None
    managed_routes: list[dict[str, Any]] | None = None
    max_traffic_weight: Int32 | None = None

    @property
    def providers(self) -> list[str]:
        """The providers set, in types.go order (``istio`` first)."""
        names = ("istio", *OTHER_PROVIDERS)
        return [n for n in names if getattr(self, "app_mesh" if n == "appMesh" else n) is not None]


class CanaryStrategy(Node):
    canary_service: str = ""
    stable_service: str = ""
    max_surge: IntOrString | None = None
    max_unavailable: IntOrString | None = None
    traffic_routing: TrafficRouting | None = None
    steps: list[CanaryStep] | None = None
    dynamic_stable_scale: bool | None = None
    min_pods_per_replica_set: Int32 | None = None
    scale_down_delay_seconds: Int32 | None = None
    abort_scale_down_delay_seconds: Int32 | None = None
    canary_metadata: PodTemplateMetadata | None = None
    stable_metadata: PodTemplateMetadata | None = None
    ping_pong: dict[str, Any] | None = None


class BlueGreenStrategy(Node):
    active_service: str = ""
    preview_service: str | None = None
    preview_replica_count: Int32 | None = None
    scale_down_delay_seconds: Int32 | None = None
    abort_scale_down_delay_seconds: Int32 | None = None
    max_unavailable: IntOrString | None = None
    preview_metadata: PodTemplateMetadata | None = None
    active_metadata: PodTemplateMetadata | None = None


class RolloutStrategy(Node):
    canary: CanaryStrategy | None = None
    blue_green: BlueGreenStrategy | None = None


class RolloutSpec(WorkloadSpec):
    workload_ref: CrossVersionObjectReference | None = None  # the same apiVersion/kind/name triple
    strategy: RolloutStrategy = Field(default_factory=RolloutStrategy)

    @model_validator(mode="after")
    def _valid_strategy(self) -> RolloutSpec:
        errors = spec_errors(self)
        if errors:
            raise ValueError(
                "; ".join(errors) + " (the Argo Rollouts controller rejects the Rollout: condition InvalidSpec)"
            )
        return self


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
