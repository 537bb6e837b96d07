"""Linkerd: ``policy.linkerd.io`` Server, ServerAuthorization, AuthorizationPolicy, MeshTLSAuthentication,
NetworkAuthentication and HTTPRoute, and ``linkerd.io`` ServiceProfile.

Source: linkerd2 b24cd405 ``policy-controller/k8s/api/src/policy/{server,server_authorization,
authorization_policy,httproute,target_ref}.rs`` and ``controller/gen/apis/serviceprofile/v1alpha2/types.go``.
A Server names exactly one of ``podSelector`` / ``externalWorkloadSelector`` (serde ``flatten`` of an enum:
both or neither fails to decode) and a ``port`` that is a number 1–65535 (``NonZeroU16``) or a name.
"""

from __future__ import annotations

from typing import Any

from cnverify.model.apps import LabelSelector
from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.gateway import HTTPRouteSpec
from cnverify.model.types import Quantity
from pydantic import Field, model_validator

POLICY = "policy.linkerd.io"
PROFILES = "linkerd.io"


class ServerSpec(Node):
    pod_selector: LabelSelector | None = None
    external_workload_selector: LabelSelector | None = None
    port: int | str
    proxy_protocol: str | None = None
    access_policy: str | None = None  # v1beta3; the CRD defaults it to "deny"

    @model_validator(mode="after")
    def _one_selector(self) -> ServerSpec:
        if (self.pod_selector is None) == (self.external_workload_selector is None):
            raise ValueError("a Server needs exactly one of podSelector and externalWorkloadSelector")
        if isinstance(self.port, bool) or (isinstance(self.port, int) and not 1 <= self.port <= 65535):
            raise ValueError(f"port {self.port!r} is not a port number 1-65535 or a port name")
        return self


@register_kind(POLICY, "Server")
class Server(Resource):
    spec: ServerSpec


class ServerRef(Node):
    name: str | None = None
    selector: LabelSelector | None = None


class ServerAuthorizationSpec(Node):
    server: ServerRef
    client: dict[str, Any] = Field(default_factory=dict)


@register_kind(POLICY, "ServerAuthorization")
class ServerAuthorization(Resource):
    spec: ServerAuthorizationSpec


class TargetRef(Node):
    group: str | None = None
    kind: str
    name: str
    namespace: str | None = None


class AuthorizationPolicySpec(Node):
    target_ref: TargetRef
    required_authentication_refs: list[TargetRef] = Field(default_factory=list)


@register_kind(POLICY, "AuthorizationPolicy")
class AuthorizationPolicy(Resource):
    spec: AuthorizationPolicySpec


@register_kind(POLICY, "MeshTLSAuthentication")
class MeshTLSAuthentication(Resource):
    """Only its identity: AuthorizationPolicies name it."""


@register_kind(POLICY, "NetworkAuthentication")
class NetworkAuthentication(Resource):
    """Only its identity: AuthorizationPolicies name it."""


@register_kind(POLICY, "HTTPRoute")
class LinkerdHTTPRoute(Resource):
    """``policy.linkerd.io`` HTTPRoute: the Gateway API shape, read by Linkerd alone (its own precedence)."""

    spec: HTTPRouteSpec = Field(default_factory=HTTPRouteSpec)

    @property
    def ref(self) -> str:
        """``HTTPRoute.policy.linkerd.io/ns/name``: distinct from a Gateway API HTTPRoute of the same name."""
        return f"HTTPRoute.{POLICY}/{self.namespace}/{self.name}"


class RequestMatch(Node):
    all: list[RequestMatch] | None = None
    any: list[RequestMatch] | None = None
    not_: RequestMatch | None = Field(default=None, alias="not")
    method: str | None = None
    path_regex: str | None = None


class RouteSpec(Node):
    name: str = ""
    condition: RequestMatch | None = None


class WeightedDst(Node):
    authority: str
    weight: Quantity


class ServiceProfileSpec(Node):
    routes: list[RouteSpec] | None = None
    dst_overrides: list[WeightedDst] | None = None


@register_kind(PROFILES, "ServiceProfile")
class ServiceProfile(Resource):
    spec: ServiceProfileSpec = Field(default_factory=ServiceProfileSpec)
