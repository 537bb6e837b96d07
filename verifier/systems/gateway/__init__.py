"""Gateway API: Gateway, HTTPRoute, TCPRoute, TLSRoute, ReferenceGrant."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import ModuleType

from cnverify.model import Resource
from cnverify.model.gateway import GATEWAY_API, Gateway, GatewayClass, HTTPRoute, HTTPRouteRule, ReferenceGrant
from cnverify.model.gateway_l4 import TCPRoute, TLSRoute
from cnverify.opaque import Opaque
from cnverify.snapshot import Snapshot
from cnverify.systems.base import ActionReader, Group, Share, Split, System

GATEWAY = Group(
    creates_pods=False,
    creator="the Gateway API implementation, which deploys a proxy per Gateway "
    "(Istio, Envoy Gateway, Contour, NGINX Gateway Fabric)",
)
"""Unmodelled kinds of the group (GatewayClass, GRPCRoute, policies) create no pods; the modelled ``Gateway``
does get proxy pods (:meth:`GatewayAPI.modelled_creator`)."""


class GatewayAPI(System):
    name = "gateway"
    title = "Gateway API"
    order = 40
    kinds = (Gateway, HTTPRoute, ReferenceGrant, TCPRoute, TLSRoute, GatewayClass)
    groups = {GATEWAY_API: GATEWAY, "gateway.networking.x-k8s.io": Group(creates_pods=False)}
    declines = {
        "links": "its references are resolved by the properties that read them",
        "raw_shapes": "Gateway API objects carry apiVersion and kind",
    }

    def modelled_creator(self, resource: Resource) -> Opaque | None:
        """A Gateway gets proxy pods in its namespace from most implementations (Istio, Envoy Gateway in
        namespace mode, Contour's provisioner, NGINX Gateway Fabric), labelled as each implementation chooses."""
        if not isinstance(resource, Gateway):
            return None
        cls = getattr(getattr(resource, "spec", None), "gateway_class_name", None)
        return Opaque.of_modelled(resource, None, GATEWAY.creator + (f" of GatewayClass {cls}" if cls else ""))

    def route_tables(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.gateway import l4 as gateway_l4
        from cnverify.systems.gateway import tables as gateway

        return (gateway, gateway_l4)

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.gateway import l4_targets as targets_l4
        from cnverify.systems.gateway import targets as targets_k8s

        return (
            targets_k8s,
            targets_l4,
        )

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """HTTPRoute rules with a weight set (unless a redirect answers them) and every TCPRoute/TLSRoute rule:
        weights are relative (shared_types.go BackendRef.Weight, default 1), so one must be above 0."""
        for hr in snap.all(HTTPRoute):
            for i, rule in enumerate(hr.spec.rules or []):
                if any(r.weight is not None for r in rule.backend_refs or []) and not _answers_itself(rule):
                    yield _relative(hr, i, rule, l4=False)
        l4_routes: list[TCPRoute | TLSRoute] = [*snap.all(TCPRoute), *snap.all(TLSRoute)]
        for l4 in l4_routes:
            for i, l4rule in enumerate(l4.spec.rules or []):
                yield _relative(l4, i, l4rule, l4=True)

    def split_reads(self) -> tuple[type[Resource], ...]:
        return (HTTPRoute, TCPRoute, TLSRoute)

    def diff_actions(self) -> Mapping[str, ActionReader]:
        from cnverify.systems.gateway.actions import gateway_action

        return {"gateway": gateway_action}


def _relative(route: Resource, i: int, rule: object, *, l4: bool) -> Split:
    refs = getattr(rule, "backend_refs", None) or []
    shares = [Share(r.name, r.weight, r.at("weight") if r.weight is not None else r.at(), r.at()) for r in refs]
    return Split(route, f"spec.rules[{i}]", rule.at(), shares, rule="relative", l4=l4, index=i)  # type: ignore[attr-defined]


def _answers_itself(rule: HTTPRouteRule) -> bool:
    """A RequestRedirect filter answers without a backend (Istio skips the 500 then)."""
    return any(f.get("type") == "RequestRedirect" for f in rule.filters or [])


SYSTEM = GatewayAPI()
