"""Gateway API (gateway.networking.k8s.io): GatewayClass, Gateway, HTTPRoute, ReferenceGrant.

Validation follows the standard-channel CRDs (``config/crd/standard``): what the API server
rejects (a listener hostname ``*``, a port outside 1–65535, two listeners with one name) is an
input error here, never a listener routes bind to.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Annotated, ClassVar

from cnverify.model.apps import LabelSelector
from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import Int32
from pydantic import AfterValidator, Field, model_validator

GATEWAY_API = "gateway.networking.k8s.io"
# the CRDs' Hostname pattern (listener hostname, HTTPRoute hostnames): RFC 1123, optional leading "*."
HOSTNAME_RE = re.compile(r"(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _hostname(value: str) -> str:
    if not HOSTNAME_RE.fullmatch(value) or len(value) > 253:
        raise ValueError(
            f"hostname {value!r} is invalid: the CRD allows a lower-case RFC 1123 name of at most "
            "253 characters, optionally after a leading '*.' label"
        )
    return value


def _port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError(f"port {value} is outside 1-65535")
    return value


def _weight(value: int) -> int:
    if not 0 <= value <= 1_000_000:
        raise ValueError(f"weight {value} is outside 0-1000000")
    return value


Hostname = Annotated[str, AfterValidator(_hostname)]
Weight = Annotated[int, AfterValidator(_weight)]
PortNumber = Annotated[int, AfterValidator(_port)]


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
    name: str
    hostname: Hostname | None = None
    port: PortNumber
    protocol: str
    tls: dict[str, object] | None = None
    allowed_routes: AllowedRoutes | None = None


class GatewayApiSpec(Node):
    gateway_class_name: str = ""
    listeners: list[Listener] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct(self) -> GatewayApiSpec:
        """The CRD's CEL rules on ``listeners`` (config/crd/standard gateways: x-kubernetes-validations)."""
        names = [n for n, c in Counter(ln.name for ln in self.listeners).items() if c > 1]
        if names:
            raise ValueError(f"listener name {names[0]!r} is used twice: names must be unique within the Gateway")
        combos = Counter((ln.port, ln.protocol, ln.hostname or "") for ln in self.listeners)
        twice = [c for c, n in combos.items() if n > 1]
        if twice:
            raise ValueError(
                f"two listeners share port {twice[0][0]}, protocol {twice[0][1]} and hostname "
                f"{twice[0][2] or '(none)'}: the combination must be unique for each listener"
            )
        for ln in self.listeners:
            # the CRD defaults tls.mode to Terminate before its CEL rules run: a tls block without a mode is a
            # Terminate one (config/crd/standard/gateway.networking.k8s.io_gateways.yaml, listeners[].tls.mode)
            mode = (ln.tls or {}).get("mode") or "Terminate"
            if ln.protocol in ("TCP", "UDP") and ln.hostname:
                raise ValueError(f"listener {ln.name}: hostname must not be specified for protocol {ln.protocol}")
            if ln.protocol in ("HTTP", "TCP", "UDP") and ln.tls is not None:
                raise ValueError(f"listener {ln.name}: tls must not be specified for protocol {ln.protocol}")
            if ln.protocol == "HTTPS" and ln.tls is not None and mode != "Terminate":
                raise ValueError(f"listener {ln.name}: tls mode must be Terminate for protocol HTTPS")
            if ln.protocol == "TLS" and ln.tls is None:  # has(l.tls) && has(l.tls.mode): the mode is defaulted
                raise ValueError(
                    f"listener {ln.name}: tls must be specified for protocol TLS (its mode defaults to Terminate)"
                )
        return self


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
    port: PortNumber | None = None


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
    weight: Weight | None = None


class HTTPRouteRule(Node):
    name: str | None = None
    matches: list[HTTPRouteMatch] | None = None
    filters: list[dict[str, object]] | None = None
    backend_refs: list[BackendRef] | None = None


class HTTPRouteSpec(Node):
    parent_refs: list[ParentReference] | None = None
    hostnames: list[Hostname] | None = None
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


class GatewayClassSpec(Node):
    controller_name: str = ""


@register_kind(GATEWAY_API, "GatewayClass")
class GatewayClass(Resource):
    """A GatewayClass: which controller (``spec.controllerName``) serves the Gateways of the class."""

    NAMESPACED: ClassVar[bool] = False
    spec: GatewayClassSpec = Field(default_factory=GatewayClassSpec)
