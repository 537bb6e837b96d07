"""PodDisruptionBudget (policy/v1 and v1beta1)."""

from __future__ import annotations

from cnverify.model.apps import LabelSelector
from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import IntOrString
from pydantic import Field


class PDBSpec(Node):
    min_available: IntOrString | None = None
    max_unavailable: IntOrString | None = None
    selector: LabelSelector | None = None


@register_kind("policy", "PodDisruptionBudget")
class PodDisruptionBudget(Resource):
    spec: PDBSpec = Field(default_factory=PDBSpec)

    @property
    def selects_all_when_empty(self) -> bool:
        """policy/v1: ``{}`` selects every pod of the namespace; v1beta1: nothing."""
        return self.api_version != "policy/v1beta1"
