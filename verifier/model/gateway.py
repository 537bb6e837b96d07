"""Gateway API (gateway.networking.k8s.io): Gateway, HTTPRoute, ReferenceGrant."""
from __future__ import annotations

from pydantic import Field

from cnverify.model.apps import LabelSelector
from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import Int32

GATEWAY_API = "gateway.networking.k8s.io"


class RouteNamespaces(Node):
    from_: str = Field(default="Same", alias="from")
    selector: LabelSelector | None = None


class RouteGroupKind(Node):
    group: str | None = None
    kind: str = ""


class AllowedRoutes(Node):
    namespaces: RouteNamespaces | None = None
    kinds: list[RouteGroupKind] | None = None


class Listener(Node):
    name: str = ""
    hostname: str | None = None
    port: Int32 | None = None
    protocol: str = ""
    allowed_routes: AllowedRoutes | None = None


class GatewayApiSpec(Node):
    gateway_class_name: str = ""
    listeners: list[Listener] = Field(default_factory=list)


@register_kind(GATEWAY_API, "Gateway")
class Gateway(Resource):
    """A Gateway API Gateway (not Istio's networking.istio.io Gateway, see ``IstioGateway``)."""

    spec: GatewayApiSpec = Field(default_factory=GatewayApiSpec)


class ParentReference(Node):
    group: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str = ""
    section_name: str | None = None
    port: Int32 | None = None


class PathMatch(Node):
    type: str = "PathPrefix"
    value: str = "/"


class ValueMatch(Node):
    """An HTTPHeaderMatch / HTTPQueryParamMatch."""

    type: str = "Exact"
    name: str = ""
    value: str = ""


class HTTPRouteMatch(Node):
    path: PathMatch | None = None
    headers: list[ValueMatch] | None = None
    query_params: list[ValueMatch] | None = None
    method: str | None = None


class BackendRef(Node):
    group: str | None = None
    kind: str | None = None
    name: str = ""
    namespace: str | None = None
    port: Int32 | None = None
    weight: Int32 | None = None


class HTTPRouteRule(Node):
    name: str | None = None
    matches: list[HTTPRouteMatch] | None = None
    filters: list[dict[str, object]] | None = None
    backend_refs: list[BackendRef] | None = None


class HTTPRouteSpec(Node):
    parent_refs: list[ParentReference] | None = None
    hostnames: list[str] | None = None
    rules: list[HTTPRouteRule] | None = None


@register_kind(GATEWAY_API, "HTTPRoute")
class HTTPRoute(Resource):
    spec: HTTPRouteSpec = Field(default_factory=HTTPRouteSpec)


class GrantFrom(Node):
    group: str = ""
    kind: str = ""
    namespace: str = ""


class GrantTo(Node):
    group: str = ""
    kind: str = ""
    name: str | None = None


class ReferenceGrantSpec(Node):
    from_: list[GrantFrom] = Field(default_factory=list, alias="from")
    to: list[GrantTo] = Field(default_factory=list)


@register_kind(GATEWAY_API, "ReferenceGrant")
class ReferenceGrant(Resource):
    spec: ReferenceGrantSpec = Field(default_factory=ReferenceGrantSpec)
