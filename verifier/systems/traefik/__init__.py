"""Traefik Proxy's Kubernetes CRD provider: IngressRoutes as routers (priority = rule length unless set), their
services, TraefikServices (weighted, mirroring, highest random weight, failover) and Middleware references
(docs/SEMANTICS.md#traefik; traefik/traefik fd5a576d)."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

from cnverify.model.traefik import (
    CONTAINOUS,
    TRAEFIK,
    IngressRoute,
    IngressRouteV2,
    LoadBalancerSpec,
    Middleware,
    TraefikService,
)
from cnverify.snapshot import Snapshot
from cnverify.systems.base import Group, Share, Split, System

ZERO = "Traefik's weighted round robin ignores non-positive weights (wrr.go Add): no service is left to answer"


class Traefik(System):
    name = "traefik"
    title = "Traefik Proxy (IngressRoute, TraefikService)"
    order = 94
    kinds = (IngressRoute, IngressRouteV2, TraefikService, Middleware)
    groups = {
        TRAEFIK: Group(creates_pods=False),  # Traefik's CRDs configure its proxy; none creates pods
        CONTAINOUS: Group(creates_pods=False),  # the same CRDs under Traefik v2's group
    }
    declines = {
        "modelled_creators": "Traefik's CRDs configure its proxy; they create no pods",
        "links": "its references (Services, TraefikServices, Middlewares) are resolved by its targets module",
        "raw_shapes": "Traefik CRDs carry apiVersion and kind",
        "diff_actions": "cnverify diff compares Traefik routes by identity (no action reader)",
    }

    def route_tables(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.traefik import tables

        return (tables,)

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.traefik import targets

        return (targets,)

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """Routes with several services and weighted TraefikServices: relative weights, default 1
        (``buildServicesLB``), non-positive ones ignored (``wrr.go`` ``Add``)."""
        for ir in snap.all(IngressRoute):
            for i, route in enumerate(ir.spec.routes):
                if route.services and len(route.services) > 1:
                    shares = [_share(s.name, s.weight, s) for s in route.services]
                    yield Split(
                        ir,
                        f"spec.routes[{i}].services",
                        route.at("services"),
                        shares,
                        rule="relative",
                        index=i,
                        noun="service",
                        effect=ZERO,
                    )
        for ts in snap.all(TraefikService):
            w = ts.spec.weighted
            if w is not None and w.services:
                shares = [_share(s.name, s.weight, s) for s in w.services]
                yield Split(
                    ts, "spec.weighted.services", w.at("services"), shares, rule="relative", noun="service", effect=ZERO
                )

    def split_reads(self) -> tuple[type[IngressRoute | TraefikService], ...]:
        return (IngressRoute, TraefikService)


def _share(name: str, weight: int | None, node: LoadBalancerSpec) -> Share:
    at = node.at("weight") if weight is not None else node.at()
    if weight is None:
        return Share(name, 1, at, node.at(), written="unset (Traefik's default 1)")
    if weight < 0:
        return Share(name, 0, at, node.at(), written=f"{weight} (ignored: non-positive)")
    return Share(name, weight, at, node.at())


SYSTEM = Traefik()
