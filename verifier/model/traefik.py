"""Traefik's Kubernetes CRDs: IngressRoute, TraefikService, Middleware (``traefik.io/v1alpha1``, and the
``traefik.containo.us/v1alpha1`` group Traefik v2 reads).

Source: traefik/traefik fd5a576d ``pkg/provider/kubernetes/crd/traefikio/v1alpha1/{ingressroute,service,
middleware}.go``. Traefik v3 reads only ``traefik.io`` (v3.0 dropped ``traefik.containo.us``), so objects of
the old group are read by a Traefik v2, whose rules use the v2 syntax. A rule Traefik rejects (see
``traefik_rule``) is a located input error: Traefik does not build that router.
"""

from __future__ import annotations

from typing import Any

from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import IntOrString
from cnverify.model.traefik_rule import RuleError, Tree, parse
from pydantic import Field, PrivateAttr, model_validator

TRAEFIK = "traefik.io"
CONTAINOUS = "traefik.containo.us"
SYNTAXES = ("v2", "v3")


class TraefikRef(Node):
    """A reference to a Middleware (or a TLSOption): ``name`` and an optional ``namespace``."""

    name: str
    namespace: str | None = None


class LoadBalancerSpec(Node):
    """A service reference: a Kubernetes Service (kind ``Service`` or unset) or a TraefikService."""

    name: str
    kind: str | None = None
    namespace: str | None = None
    port: IntOrString | None = None
    weight: int | None = None  # weighted / HRW members (default 1)
    percent: int | None = None  # mirrors
    middlewares: list[TraefikRef] | None = None


class Route(Node):
    match: str
    kind: str | None = None
    priority: int = 0
    syntax: str | None = None
    services: list[LoadBalancerSpec] | None = None
    middlewares: list[TraefikRef] | None = None
    _tree: Tree | None = PrivateAttr(default=None)


class IngressRouteSpec(Node):
    ingress_class_name: str | None = None
    entry_points: list[str] | None = None
    routes: list[Route] = Field(default_factory=list)
    tls: dict[str, Any] | None = None
    parent_refs: list[TraefikRef] | None = None


@register_kind(TRAEFIK, "IngressRoute", aliases=(CONTAINOUS,))
class IngressRoute(Resource):
    spec: IngressRouteSpec

    @property
    def v2_group(self) -> bool:
        """Read by a Traefik v2 (the ``traefik.containo.us`` group)."""
        return self.api_version.startswith(CONTAINOUS + "/")

    def syntax(self, route: Route) -> str:
        """The rule syntax Traefik parses ``route`` with."""
        return "v2" if self.v2_group else (route.syntax or "v3")

    def tree(self, route: Route) -> Tree:
        if route._tree is None:
            route._tree = parse(route.match, self.syntax(route))
        return route._tree

    @model_validator(mode="before")
    @classmethod
    def _rules(cls, data: Any) -> Any:
        """Reject what Traefik rejects: a rule it cannot parse, a route kind other than ``Rule``, a syntax
        other than v2/v3 (``kubernetes_http.go`` skips such routes; ``parser.go``)."""
        if not isinstance(data, dict):
            return data
        v2 = str(data.get("apiVersion", "")).startswith(CONTAINOUS + "/")
        routes = (data.get("spec") or {}).get("routes") if isinstance(data.get("spec"), dict) else None
        for i, r in enumerate(routes if isinstance(routes, list) else []):
            if not isinstance(r, dict) or not isinstance(r.get("match"), str):
                continue
            kind, syntax = r.get("kind"), r.get("syntax")
            if kind not in (None, "", "Rule"):
                raise ValueError(f'spec.routes[{i}].kind: {kind!r}: only "Rule" is supported')
            if syntax not in (None, "", *SYNTAXES):
                raise ValueError(f"spec.routes[{i}].syntax: {syntax!r}: Traefik knows only v2 and v3")
            try:
                parse(r["match"], "v2" if v2 or syntax == "v2" else "v3")
            except RuleError as exc:
                raise ValueError(f"spec.routes[{i}].match: {r['match']!r}: {exc}") from None
        return data


class WeightedSpec(Node):
    services: list[LoadBalancerSpec] = Field(default_factory=list)


class MirroringSpec(LoadBalancerSpec):
    mirrors: list[LoadBalancerSpec] | None = None


class FailoverSpec(Node):
    service: LoadBalancerSpec
    fallback: LoadBalancerSpec


class TraefikServiceSpec(Node):
    weighted: WeightedSpec | None = None
    mirroring: MirroringSpec | None = None
    highest_random_weight: WeightedSpec | None = None
    failover: FailoverSpec | None = None


@register_kind(TRAEFIK, "TraefikService", aliases=(CONTAINOUS,))
class TraefikService(Resource):
    spec: TraefikServiceSpec

    def members(self) -> tuple[str, list[LoadBalancerSpec]]:
        """Its type and the services it sends to (mirrors included)."""
        s = self.spec
        if s.weighted is not None:
            return "weighted", s.weighted.services
        if s.mirroring is not None:
            return "mirroring", [s.mirroring, *(s.mirroring.mirrors or [])]
        if s.highest_random_weight is not None:
            return "highestRandomWeight", s.highest_random_weight.services
        if s.failover is not None:
            return "failover", [s.failover.service, s.failover.fallback]
        return "", []


@register_kind(TRAEFIK, "Middleware", aliases=(CONTAINOUS,))
class Middleware(Resource):
    """Only its identity: routes refer to Middlewares by name."""
