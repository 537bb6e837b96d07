"""Envoy route configuration and clusters (v3 API, snake_case field names as Envoy writes them).

The loader turns a bootstrap's ``static_resources`` (and RDS/CDS resource files) into one
``RouteConfiguration`` per ``route_config`` and one ``Cluster`` per cluster.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import UInt32
from pydantic import ConfigDict, Field

ENVOY_ROUTE = "envoy.config.route.v3"
ENVOY_CLUSTER = "envoy.config.cluster.v3"


class EnvoyNode(Node):
    model_config = ConfigDict(alias_generator=None)


class RegexMatcher(EnvoyNode):
    regex: str = ""


class EnvoyStringMatcher(EnvoyNode):
    exact: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    contains: str | None = None
    safe_regex: RegexMatcher | None = None
    ignore_case: bool = False


class Int64Range(EnvoyNode):
    """envoy.type.v3.Int64Range: [start, end); proto JSON may write int64 as a string."""

    start: int | str = 0
    end: int | str = 0


class HeaderMatcher(EnvoyNode):
    name: str = ""
    exact_match: str | None = None
    prefix_match: str | None = None
    suffix_match: str | None = None
    contains_match: str | None = None
    safe_regex_match: RegexMatcher | None = None
    present_match: bool | None = None
    range_match: Int64Range | None = None
    string_match: EnvoyStringMatcher | None = None
    invert_match: bool = False
    treat_missing_header_as_empty: bool = False


class QueryParameterMatcher(EnvoyNode):
    name: str = ""
    string_match: EnvoyStringMatcher | None = None
    present_match: bool | None = None


class RouteMatch(EnvoyNode):
    prefix: str | None = None
    path: str | None = None
    safe_regex: RegexMatcher | None = None
    path_separated_prefix: str | None = None
    connect_matcher: dict[str, Any] | None = None
    regex: str | None = None  # v2, unsupported (not RE2-safe)
    case_sensitive: bool | None = None
    headers: list[HeaderMatcher] | None = None
    query_parameters: list[QueryParameterMatcher] | None = None
    runtime_fraction: dict[str, Any] | None = None
    grpc: dict[str, Any] | None = None
    tls_context: dict[str, Any] | None = None
    dynamic_metadata: list[Any] | None = None
    filter_state: list[Any] | None = None


class ClusterWeight(EnvoyNode):
    name: str = ""
    weight: UInt32 | None = None


class WeightedCluster(EnvoyNode):
    clusters: list[ClusterWeight] = Field(default_factory=list)
    total_weight: UInt32 | None = None


class RouteAction(EnvoyNode):
    cluster: str | None = None
    cluster_header: str | None = None
    weighted_clusters: WeightedCluster | None = None


class Route(EnvoyNode):
    name: str | None = None
    match: RouteMatch = Field(default_factory=RouteMatch)
    route: RouteAction | None = None
    direct_response: dict[str, Any] | None = None
    redirect: dict[str, Any] | None = None


class VirtualHost(EnvoyNode):
    name: str = ""
    domains: list[str] = Field(default_factory=list)
    routes: list[Route] | None = None


class EnvoyResource(Resource):
    """An Envoy object; it has no Kubernetes metadata, only a name."""

    NAMESPACED: ClassVar[bool] = False
    APPLY_IDENTITY: ClassVar[bool] = False  # configs of different proxies may share names
    model_config = ConfigDict(alias_generator=None)
    name_: str = Field(default="", alias="name")

    @property
    def name(self) -> str:
        return self.name_


class HcmOptions(EnvoyNode):
    """The request rewriting options of the HttpConnectionManager (proto JSON: BoolValue is a plain bool)."""

    normalize_path: bool | None = None
    merge_slashes: bool | None = None
    path_with_escaped_slashes_action: str | None = None
    strip_any_host_port: bool | None = None
    strip_matching_host_port: bool | None = None


class HcmRef(EnvoyNode):
    """Where the route configuration sits in a listener (set by the loader; absent for RDS files)."""

    path: list[str | int] = Field(default_factory=list)
    options: HcmOptions = Field(default_factory=HcmOptions)


@register_kind(ENVOY_ROUTE, "RouteConfiguration")
class RouteConfiguration(EnvoyResource):
    virtual_hosts: list[VirtualHost] | None = None
    cnverify_hcm: HcmRef | None = None


@register_kind(ENVOY_CLUSTER, "Cluster")
class Cluster(EnvoyResource):
    type: str | None = None
