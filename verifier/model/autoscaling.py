"""HorizontalPodAutoscaler (autoscaling/v1, v2, v2beta1, v2beta2)."""

from __future__ import annotations

from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import Int32, Quantity
from pydantic import Field


class CrossVersionObjectReference(Node):
    kind: str = ""
    name: str = ""
    api_version: str | None = None


class MetricTarget(Node):
    type: str | None = None
    value: Quantity | None = None
    average_value: Quantity | None = None
    average_utilization: Int32 | None = None


class ResourceMetricSource(Node):
    name: str = ""
    target: MetricTarget | None = None
    target_average_utilization: Int32 | None = None  # v2beta1
    target_average_value: Quantity | None = None  # v2beta1


class ContainerResourceMetricSource(ResourceMetricSource):
    container: str = ""


class MetricSpec(Node):
    type: str = ""
    resource: ResourceMetricSource | None = None
    container_resource: ContainerResourceMetricSource | None = None


class HPASpec(Node):
    scale_target_ref: CrossVersionObjectReference = Field(default_factory=CrossVersionObjectReference)
    min_replicas: Int32 | None = None
    max_replicas: Int32 | None = None
    metrics: list[MetricSpec] | None = None
    target_cpu_utilization_percentage: Int32 | None = Field(default=None, alias="targetCPUUtilizationPercentage")


@register_kind("autoscaling", "HorizontalPodAutoscaler")
class HorizontalPodAutoscaler(Resource):
    spec: HPASpec = Field(default_factory=HPASpec)

    @property
    def min_replicas(self) -> int:
        """minReplicas after defaulting (1)."""
        return 1 if self.spec.min_replicas is None else self.spec.min_replicas
