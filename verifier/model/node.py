"""RuntimeClass (node.k8s.io/v1): the pod overhead the RuntimeClass admission plugin copies into pods."""

from __future__ import annotations

from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import ResourceList


class Overhead(Node):
    pod_fixed: ResourceList | None = None


@register_kind("node.k8s.io", "RuntimeClass")
class RuntimeClass(Resource):
    """Cluster-scoped. ``overhead.podFixed`` is added to every pod naming this class (admission)."""

    NAMESPACED = False
    handler: str = ""
    overhead: Overhead | None = None
