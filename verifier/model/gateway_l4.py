"""Gateway API TCPRoute and TLSRoute (gateway.networking.k8s.io v1alpha2): no matches, backends per rule.

A TLSRoute's ``hostnames`` are SNI names; neither kind has request matches, so only the backends
(CNV102) and the parent references are read.
"""

from __future__ import annotations

from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.gateway import GATEWAY_API, BackendRef, ParentReference
from pydantic import Field


class L4RouteRule(Node):
    name: str | None = None
    backend_refs: list[BackendRef] | None = None


class L4RouteSpec(Node):
    parent_refs: list[ParentReference] | None = None
    hostnames: list[str] | None = None  # TLSRoute only
    rules: list[L4RouteRule] | None = None


@register_kind(GATEWAY_API, "TCPRoute")
class TCPRoute(Resource):
    spec: L4RouteSpec = Field(default_factory=L4RouteSpec)


@register_kind(GATEWAY_API, "TLSRoute")
class TLSRoute(Resource):
    spec: L4RouteSpec = Field(default_factory=L4RouteSpec)
