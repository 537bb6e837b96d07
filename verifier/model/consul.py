"""Consul service mesh config entries: the consul-k8s CRDs (``consul.hashicorp.com/v1alpha1``) and raw entries
(``consul config write`` HCL/JSON, decoded into the same shape by ``cnverify.systems.consul.decode``).

Per-entry validation is Consul's own (agent/structs/config_entry_discoverychain.go ``Validate``; consul-k8s
control-plane/api/v1alpha1/servicerouter_types.go ``ServiceRouteHTTPMatch.validate``): a violation is an input
error. ``metadata.name`` is the service name. Semantics: docs/SEMANTICS.md#consul.
"""

from __future__ import annotations

from typing import Any

from cnverify.model.base import Node, Resource, register_kind
from pydantic import model_validator

CONSUL = "consul.hashicorp.com"
RAW_API_VERSION = f"{CONSUL}/config-entry"  # an entry read from HCL/JSON (``consul config write``), not a CRD
HTTP_LIKE = ("http", "http2", "grpc")
METHOD_NAMES = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"))


class ConsulEntry(Resource):
    """Base of every config entry model."""

    @property
    def raw(self) -> bool:
        """Read from a ``consul config write`` file (HCL/JSON) rather than a consul-k8s CRD."""
        return self.api_version == RAW_API_VERSION


def _one_of(what: str, values: dict[str, Any]) -> None:
    given = [k for k, v in values.items() if v not in (None, "", False)]
    if len(given) != 1:
        raise ValueError(f"{what} must set exactly one of {', '.join(values)} (found {', '.join(given) or 'none'})")


class HeaderMatch(Node):
    name: str = ""
    present: bool | None = None
    exact: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    regex: str | None = None
    invert: bool | None = None

    @model_validator(mode="after")
    def _valid(self) -> HeaderMatch:
        if not self.name:
            raise ValueError("header match: missing required Name field")
        fields = ("present", "exact", "prefix", "suffix", "regex")
        _one_of(f"header match {self.name!r}", {f: getattr(self, f) for f in fields})
        return self


class QueryParamMatch(Node):
    name: str = ""
    present: bool | None = None
    exact: str | None = None
    regex: str | None = None

    @model_validator(mode="after")
    def _valid(self) -> QueryParamMatch:
        if not self.name:
            raise ValueError("query param match: missing required Name field")
        _one_of(f"query param match {self.name!r}", {f: getattr(self, f) for f in ("present", "exact", "regex")})
        return self


class HTTPMatch(Node):
    path_exact: str | None = None
    path_prefix: str | None = None
    path_regex: str | None = None
    case_insensitive: bool | None = None
    header: list[HeaderMatch] | None = None
    query_param: list[QueryParamMatch] | None = None
    methods: list[str] | None = None

    @model_validator(mode="after")
    def _valid(self) -> HTTPMatch:
        paths = [p for p in (self.path_exact, self.path_prefix, self.path_regex) if p]
        if len(paths) > 1:
            raise ValueError("should only contain at most one of PathExact, PathPrefix, or PathRegex")
        for name, value in (("PathExact", self.path_exact), ("PathPrefix", self.path_prefix)):
            if value and not value.startswith("/"):
                raise ValueError(f"{name} doesn't start with '/': {value!r}")
        seen: set[str] = set()
        for m in self.methods or []:
            up = m.upper()
            if up not in METHOD_NAMES:
                raise ValueError(f"Methods contains an invalid method {m!r}")
            if up in seen:
                raise ValueError(f"Methods contains {m!r} more than once")
            seen.add(up)
        return self

    @property
    def is_empty(self) -> bool:
        """Consul's ``IsEmpty``: no condition at all (a catch-all)."""
        return not (self.path_exact or self.path_prefix or self.path_regex or self.header or self.query_param) and not (
            self.methods
        )


class RouteMatch(Node):
    http: HTTPMatch | None = None


class TargetRef(Node):
    """A service (and subset, namespace, partition) an entry sends to; unset parts are the entry's own."""

    service: str | None = None
    service_subset: str | None = None
    namespace: str | None = None
    partition: str | None = None


class Destination(TargetRef):
    prefix_rewrite: str | None = None


class ServiceRoute(Node):
    match: RouteMatch | None = None
    destination: Destination | None = None

    @model_validator(mode="after")
    def _rewrite(self) -> ServiceRoute:
        http = self.match.http if self.match else None
        if (
            self.destination
            and self.destination.prefix_rewrite
            and not (http and (http.path_exact or http.path_prefix))
        ):
            raise ValueError("cannot make use of PrefixRewrite without configuring either PathExact or PathPrefix")
        return self


class ServiceRouterSpec(Node):
    routes: list[ServiceRoute] | None = None


@register_kind(CONSUL, "ServiceRouter")
class ServiceRouter(ConsulEntry):
    spec: ServiceRouterSpec = ServiceRouterSpec()


class ServiceSplit(TargetRef):
    weight: float | int = 0


class ServiceSplitterSpec(Node):
    splits: list[ServiceSplit] | None = None

    @model_validator(mode="after")
    def _some(self) -> ServiceSplitterSpec:
        if not self.splits:
            raise ValueError("no splits configured")
        return self


@register_kind(CONSUL, "ServiceSplitter")
class ServiceSplitter(ConsulEntry):
    spec: ServiceSplitterSpec

    @model_validator(mode="after")
    def _distinct(self) -> ServiceSplitter:
        """``Validate``: "split destination occurs more than once" (the service defaults to the entry's name)."""
        seen = set()
        for i, s in enumerate(self.spec.splits or []):
            key = (s.service or self.metadata.name, s.service_subset or "", s.namespace or "", s.partition or "")
            if key in seen:
                raise ValueError(
                    f"spec.splits[{i}]: split destination occurs more than once: service={key[0]!r}, subset={key[1]!r}"
                )
            seen.add(key)
        return self


class Subset(Node):
    filter: str | None = None
    only_passing: bool | None = None


class FailoverTarget(TargetRef):
    datacenter: str | None = None
    peer: str | None = None


class Redirect(FailoverTarget):
    sameness_group: str | None = None


class Failover(Node):
    service: str | None = None
    service_subset: str | None = None
    namespace: str | None = None
    datacenters: list[str] | None = None
    targets: list[FailoverTarget] | None = None
    sameness_group: str | None = None


class ServiceResolverSpec(Node):
    default_subset: str | None = None
    subsets: dict[str, Subset] | None = None
    redirect: Redirect | None = None
    failover: dict[str, Failover] | None = None

    @model_validator(mode="after")
    def _valid(self) -> ServiceResolverSpec:
        names = set(self.subsets or {})
        if self.default_subset and self.default_subset not in names:
            raise ValueError(f"DefaultSubset {self.default_subset!r} is not a valid subset")
        if self.redirect is not None and self.failover:
            raise ValueError("Redirect and Failover cannot both be set")
        for key in self.failover or {}:
            if key != "*" and key not in names:
                raise ValueError(f"Bad Failover[{key!r}]: not a valid subset {key!r}")
        return self


@register_kind(CONSUL, "ServiceResolver")
class ServiceResolver(ConsulEntry):
    spec: ServiceResolverSpec = ServiceResolverSpec()


class ServiceDefaultsSpec(Node):
    protocol: str | None = None


@register_kind(CONSUL, "ServiceDefaults")
class ServiceDefaults(ConsulEntry):
    spec: ServiceDefaultsSpec = ServiceDefaultsSpec()


class ProxyDefaultsSpec(Node):
    config: dict[str, Any] | None = None


@register_kind(CONSUL, "ProxyDefaults")
class ProxyDefaults(ConsulEntry):
    spec: ProxyDefaultsSpec = ProxyDefaultsSpec()

    @model_validator(mode="after")
    def _global(self) -> ProxyDefaults:
        """``ProxyConfigEntry.Normalize``/``Validate`` and the consul-k8s webhook: the only name is ``global``."""
        if self.metadata.name != "global":
            raise ValueError(f'invalid name ("{self.metadata.name}"), only "global" is supported')
        return self

    @property
    def protocol(self) -> str | None:
        value = (self.spec.config or {}).get("protocol")
        return value.lower() if isinstance(value, str) else None


ROUTING_KINDS = (ServiceRouter, ServiceSplitter, ServiceResolver, ServiceDefaults, ProxyDefaults)
