"""NetworkPolicy (networking.k8s.io/v1), docs/SEMANTICS.md#networkpolicy."""

from __future__ import annotations

from cnverify.model.apps import LabelSelector
from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import Int32, IntOrString
from pydantic import Field


class IPBlock(Node):
    cidr: str = ""
    except_: list[str] | None = Field(default=None, alias="except")


class NetworkPolicyPeer(Node):
    """One ``from``/``to`` entry: podSelector and namespaceSelector are pointers (nil = not specified)."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None


class NetworkPolicyPort(Node):
    protocol: str = "TCP"
    port: IntOrString | None = None
    end_port: Int32 | None = None


class NetworkPolicyIngressRule(Node):
    from_: list[NetworkPolicyPeer] | None = Field(default=None, alias="from")
    ports: list[NetworkPolicyPort] | None = None


class NetworkPolicyEgressRule(Node):
    to: list[NetworkPolicyPeer] | None = None
    ports: list[NetworkPolicyPort] | None = None


class NetworkPolicySpec(Node):
    """``podSelector`` is a non-pointer field: omitted is the same as ``{}`` (all pods of the namespace)."""

    pod_selector: LabelSelector = Field(default_factory=LabelSelector)
    policy_types: list[str] | None = None
    ingress: list[NetworkPolicyIngressRule] | None = None
    egress: list[NetworkPolicyEgressRule] | None = None


@register_kind("networking.k8s.io", "NetworkPolicy")
class NetworkPolicy(Resource):
    spec: NetworkPolicySpec = Field(default_factory=NetworkPolicySpec)

    @property
    def policy_types(self) -> list[str]:
        """policyTypes after defaulting: as written, else Ingress plus Egress iff egress rules exist."""
        if self.spec.policy_types:
            return list(self.spec.policy_types)
        return ["Ingress", "Egress"] if self.spec.egress else ["Ingress"]
