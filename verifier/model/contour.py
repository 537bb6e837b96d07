"""Contour ``projectcontour.io/v1`` HTTPProxy: virtual host, routes, conditions, services, includes.

Source: contour ``apis/projectcontour/v1/httpproxy.go`` (31c4bb38). The CRD serves only ``v1``
(``examples/contour/01-crds.yaml``): any other version of HTTPProxy is rejected by the API server. Schema rules
kept here: ``includes[].name`` and ``header.name`` at least one character, ``services[].port`` 1–65535
(``Maximum=65536, ExclusiveMaximum``), ``weight`` ≥ 0. The rules Contour applies when it builds its DAG
(``internal/dag/httpproxy_processor.go``) live in ``cnverify.systems.contour``.
"""

from __future__ import annotations

from typing import Any

from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import Int64
from pydantic import Field, model_validator

GROUP = "projectcontour.io"
SERVED_VERSION = "projectcontour.io/v1"
CLASS_ANNOTATIONS = ("projectcontour.io/ingress.class", "kubernetes.io/ingress.class")  # annotation.IngressClass


class HeaderCondition(Node):
    """``conditions[].header``: the first set of present, notpresent, contains, notcontains, exact, notexact,
    regex is the test (dag ``headerMatchConditions``); none set: no test at all."""

    name: str = Field(min_length=1)
    present: bool = False
    notpresent: bool = False
    contains: str = ""
    notcontains: str = ""
    exact: str = ""
    notexact: str = ""
    regex: str = ""
    ignore_case: bool = False
    treat_missing_as_empty: bool = False


class QueryCondition(Node):
    """``conditions[].queryParameter``: exactly one of exact, prefix, suffix, regex, contains, present."""

    name: str
    exact: str = ""
    prefix: str = ""
    suffix: str = ""
    regex: str = ""
    contains: str = ""
    ignore_case: bool = False
    present: bool = False


class MatchCondition(Node):
    prefix: str = ""
    exact: str = ""
    regex: str = ""
    header: HeaderCondition | None = None
    query_parameter: QueryCondition | None = None


class ProxyService(Node):
    name: str
    port: int = Field(ge=1, le=65535)
    weight: Int64 = Field(default=0, ge=0)
    mirror: bool = False
    protocol: str | None = None


class ReplacePrefix(Node):
    prefix: str = ""
    replacement: str = Field(min_length=1)


class PathRewritePolicy(Node):
    replace_prefix: list[ReplacePrefix] = Field(default_factory=list)


class ProxyRoute(Node):
    conditions: list[MatchCondition] = Field(default_factory=list)
    services: list[ProxyService] = Field(default_factory=list)
    permit_insecure: bool = False
    request_redirect_policy: dict[str, Any] | None = None
    direct_response_policy: dict[str, Any] | None = None
    path_rewrite_policy: PathRewritePolicy | None = None

    @property
    def replace_prefixes(self) -> list[ReplacePrefix]:
        return self.path_rewrite_policy.replace_prefix if self.path_rewrite_policy else []


class Include(Node):
    name: str = Field(min_length=1)
    namespace: str = ""
    conditions: list[MatchCondition] = Field(default_factory=list)


class Tls(Node):
    secret_name: str = ""
    passthrough: bool = False


class VirtualHost(Node):
    fqdn: str = Field(min_length=1, pattern=r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    tls: Tls | None = None


class HTTPProxySpec(Node):
    virtualhost: VirtualHost | None = None
    routes: list[ProxyRoute] = Field(default_factory=list)
    includes: list[Include] = Field(default_factory=list)
    tcpproxy: dict[str, Any] | None = None
    ingress_class_name: str = ""


@register_kind(GROUP, "HTTPProxy")
class HTTPProxy(Resource):
    spec: HTTPProxySpec  # required by the CRD schema (required: metadata, spec)

    @model_validator(mode="after")
    def _served(self) -> HTTPProxy:
        if self.api_version != SERVED_VERSION:
            raise ValueError(
                f"apiVersion {self.api_version}: the HTTPProxy CRD serves only {SERVED_VERSION}, so the API server "
                "rejects this object"
            )
        return self

    @property
    def ingress_class(self) -> str:
        """The class Contour matches (ingressclass.go: the first class annotation present, when not empty, else
        ``spec.ingressClassName``)."""
        found = next((self.annotations[k] for k in CLASS_ANNOTATIONS if k in self.annotations), "")
        return found or self.spec.ingress_class_name

    @property
    def root(self) -> bool:
        return self.spec.virtualhost is not None
