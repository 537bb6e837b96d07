"""Istio networking: VirtualService, DestinationRule, Gateway, ServiceEntry."""

from __future__ import annotations

from typing import Any

from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import Int32, UInt32
from pydantic import Field

ISTIO = "networking.istio.io"


class StringMatch(Node):
    """Istio StringMatch: one of exact / prefix / regex (an empty object means 'present')."""

    exact: str | None = None
    prefix: str | None = None
    regex: str | None = None


class HTTPMatchRequest(Node):
    name: str | None = None
    uri: StringMatch | None = None
    scheme: StringMatch | None = None
    method: StringMatch | None = None
    authority: StringMatch | None = None
    headers: dict[str, StringMatch] | None = None
    without_headers: dict[str, StringMatch] | None = None
    query_params: dict[str, StringMatch] | None = None
    ignore_uri_case: bool | None = None
    port: UInt32 | None = None
    source_labels: dict[str, str] | None = None
    source_namespace: str | None = None
    gateways: list[str] | None = None


class PortSelector(Node):
    number: UInt32 | None = None


class Destination(Node):
    host: str = ""
    subset: str | None = None
    port: PortSelector | None = None


class HTTPRouteDestination(Node):
    destination: Destination = Field(default_factory=Destination)
    weight: Int32 | None = None


class Delegate(Node):
    name: str = ""
    namespace: str | None = None


class HTTPMirrorPolicy(Node):
    destination: Destination = Field(default_factory=Destination)


class HTTPRoute(Node):
    name: str | None = None
    match: list[HTTPMatchRequest] | None = None
    route: list[HTTPRouteDestination] | None = None
    redirect: dict[str, Any] | None = None
    direct_response: dict[str, Any] | None = None
    delegate: Delegate | None = None
    mirror: Destination | None = None
    mirrors: list[HTTPMirrorPolicy] | None = None


class L4MatchAttributes(Node):
    """A ``tcp`` (L4MatchAttributes) or ``tls`` (TLSMatchAttributes) match block; ``sni_hosts`` is TLS only."""

    destination_subnets: list[str] | None = None
    port: int | None = None
    source_labels: dict[str, str] | None = None
    source_namespace: str | None = None
    gateways: list[str] | None = None
    sni_hosts: list[str] | None = None


class L4Route(Node):
    """A ``tcp`` / ``tls`` route: ordered match blocks (ORed) and destinations."""

    match: list[L4MatchAttributes] | None = None
    route: list[HTTPRouteDestination] | None = None


class VirtualServiceSpec(Node):
    hosts: list[str] | None = None
    gateways: list[str] | None = None
    http: list[HTTPRoute] | None = None
    tcp: list[L4Route] | None = None
    tls: list[L4Route] | None = None
    export_to: list[str] | None = None


@register_kind(ISTIO, "VirtualService")
class VirtualService(Resource):
    spec: VirtualServiceSpec = Field(default_factory=VirtualServiceSpec)


class Subset(Node):
    name: str = ""
    labels: dict[str, str] | None = None


class DestinationRuleSpec(Node):
    host: str = ""
    subsets: list[Subset] | None = None
    export_to: list[str] | None = None


@register_kind(ISTIO, "DestinationRule")
class DestinationRule(Resource):
    spec: DestinationRuleSpec = Field(default_factory=DestinationRuleSpec)


class ServerPort(Node):
    number: UInt32 | None = None
    name: str | None = None
    protocol: str | None = None


class ServerTLS(Node):
    mode: str | None = None
    https_redirect: bool | None = None


class Server(Node):
    port: ServerPort | None = None
    hosts: list[str] = Field(default_factory=list)
    name: str | None = None
    bind_address: str | None = Field(default=None, alias="bind")  # `bind` would shadow Node.bind
    tls: ServerTLS | None = None


class GatewaySpec(Node):
    selector: dict[str, str] | None = None
    servers: list[Server] | None = None


@register_kind(ISTIO, "Gateway")
class IstioGateway(Resource):
    spec: GatewaySpec = Field(default_factory=GatewaySpec)


class ServiceEntrySpec(Node):
    hosts: list[str] = Field(default_factory=list)
    ports: list[ServerPort] | None = None
    location: str | None = None
    resolution: str | None = None
    export_to: list[str] | None = None


@register_kind(ISTIO, "ServiceEntry")
class ServiceEntry(Resource):
    spec: ServiceEntrySpec = Field(default_factory=ServiceEntrySpec)
