"""Traefik's Kubernetes CRDs: IngressRoute, TraefikService, Middleware (``traefik.io/v1alpha1``, and the
``traefik.containo.us/v1alpha1`` group Traefik v2 reads).

Source: traefik/traefik fd5a576d ``pkg/provider/kubernetes/crd/traefikio/v1alpha1/{ingressroute,service,
middleware}.go``. Traefik v3 reads only ``traefik.io`` (v3.0 dropped ``traefik.containo.us``), so objects of
the old group are read by a Traefik v2, whose rules use the v2 syntax. A rule Traefik rejects (see
``traefik_rule``) is a located input error: Traefik does not build that router.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.traefik_rule import RuleError, Tree, check_arguments, parse
from cnverify.model.types import IntOrString
from pydantic import Field, PrivateAttr, ValidationInfo, field_validator

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
    V2: ClassVar[bool] = False  # read by a Traefik v2 (the traefik.containo.us group): always the v2 syntax
    syntax: str | None = None  # before ``match``: its validator reads it
    kind: str | None = None
    match: str
    priority: int = 0
    services: list[LoadBalancerSpec] | None = None
    middlewares: list[TraefikRef] | None = None
    _tree: Tree | None = PrivateAttr(default=None)

    @property
    def rule_syntax(self) -> str:
        return "v2" if self.V2 else (self.syntax or "v3")

    @property
    def tree(self) -> Tree:
        if self._tree is None:
            self._tree = parse(self.match, self.rule_syntax)
        return self._tree

    @field_validator("syntax")
    @classmethod
    def _syntax(cls, v: str | None) -> str | None:
        if v not in (None, "", *SYNTAXES):
            raise ValueError(f"{v!r}: Traefik knows only the v2 and v3 rule syntaxes")
        return v or None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str | None) -> str | None:
        if v not in (None, "", "Rule"):
            raise ValueError(f'{v!r}: only "Rule" is supported (Traefik skips the route)')
        return v

    @field_validator("match")
    @classmethod
    def _rule(cls, v: str, info: ValidationInfo) -> str:
        """Reject a rule Traefik cannot parse (``parser.go``; it builds no router for it)."""
        v2 = cls.V2 or info.data.get("syntax") == "v2"
        try:
            tree = parse(v, "v2" if v2 else "v3")
            if not v2:
                check_arguments(tree)
        except RuleError as exc:
            raise ValueError(f"{v!r}: {exc}") from None
        return v


class RouteV2(Route):
    V2: ClassVar[bool] = True


class IngressRouteSpec(Node):
    ingress_class_name: str | None = None
    entry_points: list[str] | None = None
    routes: list[Route] = Field(default_factory=list)
    tls: dict[str, Any] | None = None
    parent_refs: list[TraefikRef] | None = None


class IngressRouteSpecV2(IngressRouteSpec):
    routes: list[RouteV2] = Field(default_factory=list)  # type: ignore[assignment]


@register_kind(TRAEFIK, "IngressRoute")
class IngressRoute(Resource):
    spec: IngressRouteSpec

    @property
    def v2_group(self) -> bool:
        """Read by a Traefik v2 (the ``traefik.containo.us`` group)."""
        return self.GROUP == CONTAINOUS


@register_kind(CONTAINOUS, "IngressRoute")
class IngressRouteV2(IngressRoute):
    """An IngressRoute of Traefik v2's group: Traefik v3 does not read it; a Traefik v2 parses its rules with the
    v2 syntax."""

    spec: IngressRouteSpecV2


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

    def members(self) -> tuple[str, list[tuple[str, LoadBalancerSpec]]]:
        """Its type and the services it sends to (mirrors included), each with its field path."""
        s = self.spec
        if s.weighted is not None:
            return "weighted", [(f"spec.weighted.services[{i}]", m) for i, m in enumerate(s.weighted.services)]
        if s.mirroring is not None:
            mirrors = [(f"spec.mirroring.mirrors[{i}]", m) for i, m in enumerate(s.mirroring.mirrors or [])]
            return "mirroring", [("spec.mirroring", s.mirroring), *mirrors]
        if s.highest_random_weight is not None:
            hrw = s.highest_random_weight.services
            return "highestRandomWeight", [(f"spec.highestRandomWeight.services[{i}]", m) for i, m in enumerate(hrw)]
        if s.failover is not None:
            return "failover", [
                ("spec.failover.service", s.failover.service),
                ("spec.failover.fallback", s.failover.fallback),
            ]
        return "", []


@register_kind(TRAEFIK, "Middleware", aliases=(CONTAINOUS,))
class Middleware(Resource):
    """Only its identity: routes refer to Middlewares by name."""
