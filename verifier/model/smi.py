"""SMI (Service Mesh Interface): TrafficSplit (``split.smi-spec.io`` v1alpha1–v1alpha4) and the route groups
its ``spec.matches`` name (``specs.smi-spec.io``).

Source: smi-spec ``apis/traffic-split/v1alpha{1..4}/traffic-split.md`` (cc4babdc, project archived) and the
smi-sdk-go CRD ``crds/split.yaml`` (``spec.service``/``spec.backends`` required; each backend's ``service`` and
``weight`` required). v1alpha1 weights are Kubernetes quantities (``10m``; "Identical to resources, 1 = 1000m");
from v1alpha2 "weights must be whole numbers".
"""

from __future__ import annotations

from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import Quantity
from pydantic import model_validator

SPLIT = "split.smi-spec.io"
SPECS = "specs.smi-spec.io"


class TrafficSplitBackend(Node):
    service: str
    weight: Quantity  # v1alpha1: a quantity; v1alpha2+: a whole number (TrafficSplit checks)


class TrafficSplitMatch(Node):
    kind: str
    name: str
    api_group: str | None = None


class TrafficSplitSpec(Node):
    service: str
    backends: list[TrafficSplitBackend]
    matches: list[TrafficSplitMatch] | None = None


@register_kind(SPLIT, "TrafficSplit")
class TrafficSplit(Resource):
    spec: TrafficSplitSpec

    @property
    def quantity_weights(self) -> bool:
        """v1alpha1 weights are quantities; later versions' are whole numbers."""
        return self.api_version.rsplit("/", 1)[-1] == "v1alpha1"

    @model_validator(mode="after")
    def _whole_weights(self) -> TrafficSplit:
        if not self.quantity_weights:
            for i, b in enumerate(self.spec.backends):
                if not isinstance(b.weight, int):
                    raise ValueError(
                        f"spec.backends[{i}].weight {b.weight!r}: {self.api_version} weights must be "
                        "whole numbers (quantities such as 10m are v1alpha1 only)"
                    )
        return self


@register_kind(SPECS, "HTTPRouteGroup")
class HTTPRouteGroup(Resource):
    """Only its identity: TrafficSplit ``spec.matches`` refer to it by name."""


@register_kind(SPECS, "TCPRoute")
class SmiTCPRoute(Resource):
    """Only its identity: TrafficSplit ``spec.matches`` refer to it by name."""
