"""Core API (v1): Pod, Service, ResourceQuota, LimitRange, Namespace and pod specs."""

from __future__ import annotations

from typing import Any

from cnverify.model.base import Node, ObjectMeta, Resource, register_kind
from cnverify.model.types import Int32, IntOrString, ResourceList
from pydantic import Field


class ContainerPort(Node):
    name: str | None = None
    container_port: Int32
    protocol: str = "TCP"


class ResourceRequirements(Node):
    requests: ResourceList | None = None
    limits: ResourceList | None = None


class PortAction(Node):
    """The port part of an httpGet / tcpSocket / grpc probe handler."""

    port: IntOrString | None = None


class Probe(Node):
    http_get: PortAction | None = None
    tcp_socket: PortAction | None = None
    grpc: PortAction | None = None


class Container(Node):
    name: str = ""
    image: str | None = None
    ports: list[ContainerPort] | None = None
    resources: ResourceRequirements | None = None
    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    startup_probe: Probe | None = None
    restart_policy: str | None = None  # "Always" on an init container = sidecar

    @property
    def requests(self) -> dict[str, Any]:
        return (self.resources.requests if self.resources else None) or {}

    @property
    def limits(self) -> dict[str, Any]:
        return (self.resources.limits if self.resources else None) or {}


class PodSpec(Node):
    containers: list[Container] = Field(default_factory=list)
    init_containers: list[Container] | None = None
    overhead: ResourceList | None = None
    runtime_class_name: str | None = None
    #: Pod-level resources (KEP-2837 PodLevelResources): not modelled; properties that aggregate
    #: container requests/limits give unknown when it is set (see ``pod_level_resources``).
    resources: ResourceRequirements | None = None

    def all_containers(self) -> list[tuple[str, int, Container]]:
        """``(field, index, container)`` for init containers then app containers."""
        out = [("initContainers", i, c) for i, c in enumerate(self.init_containers or [])]
        out += [("containers", i, c) for i, c in enumerate(self.containers)]
        return out


class PodTemplateSpec(Node):
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: PodSpec = Field(default_factory=PodSpec)


class PodStatus(Node):
    phase: str | None = None


@register_kind("", "Pod")
class Pod(Resource):
    spec: PodSpec = Field(default_factory=PodSpec)
    status: PodStatus | None = None  # read only for the terminal phases a dump shows

    @property
    def terminal(self) -> bool:
        """``status.phase`` Succeeded or Failed (pkg/quota/v1/evaluator/core/pods.go ``QuotaV1Pod``)."""
        return self.status is not None and self.status.phase in ("Succeeded", "Failed")


class ServicePort(Node):
    name: str | None = None
    port: Int32
    target_port: IntOrString | None = None
    protocol: str = "TCP"
    node_port: Int32 | None = None


class ServiceSpec(Node):
    selector: dict[str, str] | None = None
    ports: list[ServicePort] | None = None
    type: str = "ClusterIP"
    external_name: str | None = None
    cluster_ip: str | None = Field(default=None, alias="clusterIP")
    allocate_load_balancer_node_ports: bool | None = None


@register_kind("", "Service")
class Service(Resource):
    spec: ServiceSpec = Field(default_factory=ServiceSpec)


class ScopedResourceSelectorRequirement(Node):
    scope_name: str
    operator: str
    values: list[str] | None = None


class ScopeSelector(Node):
    match_expressions: list[ScopedResourceSelectorRequirement] | None = None


class ResourceQuotaSpec(Node):
    hard: ResourceList | None = None
    scopes: list[str] | None = None
    scope_selector: ScopeSelector | None = None


@register_kind("", "ResourceQuota")
class ResourceQuota(Resource):
    spec: ResourceQuotaSpec = Field(default_factory=ResourceQuotaSpec)


class LimitRangeItem(Node):
    type: str
    max: ResourceList | None = None
    min: ResourceList | None = None
    default: ResourceList | None = None
    default_request: ResourceList | None = None
    max_limit_request_ratio: ResourceList | None = None


class LimitRangeSpec(Node):
    limits: list[LimitRangeItem] = Field(default_factory=list)


@register_kind("", "LimitRange")
class LimitRange(Resource):
    spec: LimitRangeSpec = Field(default_factory=LimitRangeSpec)


@register_kind("", "Namespace")
class Namespace(Resource):
    NAMESPACED = False


class PersistentVolumeClaimSpec(Node):
    storage_class_name: str | None = None
    resources: ResourceRequirements | None = None


def storage_class_of(meta: ObjectMeta, spec: PersistentVolumeClaimSpec) -> str | None:
    """``spec.storageClassName``, else the beta annotation the PVC quota evaluator also reads."""
    return spec.storage_class_name or (meta.annotations or {}).get("volume.beta.kubernetes.io/storage-class")


class PersistentVolumeClaimTemplate(Node):
    """A PVC body: a PersistentVolumeClaim's, or one of a StatefulSet's ``volumeClaimTemplates``."""

    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: PersistentVolumeClaimSpec = Field(default_factory=PersistentVolumeClaimSpec)

    @property
    def storage_class(self) -> str | None:
        return storage_class_of(self.metadata, self.spec)


@register_kind("", "PersistentVolumeClaim")
class PersistentVolumeClaim(Resource):
    spec: PersistentVolumeClaimSpec = Field(default_factory=PersistentVolumeClaimSpec)

    @property
    def storage_class(self) -> str | None:
        return storage_class_of(self.metadata, self.spec)
