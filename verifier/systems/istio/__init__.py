"""Istio: VirtualService, DestinationRule, Gateway, ServiceEntry (networking.istio.io) and Istio's other groups."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import ModuleType

from cnverify.model.istio import DestinationRule, IstioGateway, ServiceEntry, VirtualService
from cnverify.snapshot import Snapshot
from cnverify.systems.base import ActionReader, Group, Share, Split, System

CONFIG = Group(creates_pods=False)
"""Istio's groups configure proxies that already run: the networking ``Gateway`` only configures existing
gateway pods (istiod's gateway deployment injection is driven by a Deployment, not by the Gateway)."""


class Istio(System):
    name = "istio"
    title = "Istio"
    order = 10
    kinds = (VirtualService, DestinationRule, IstioGateway, ServiceEntry)
    groups = {
        g: CONFIG
        for g in (
            "networking.istio.io",
            "security.istio.io",
            "telemetry.istio.io",
            "extensions.istio.io",
            "config.istio.io",
        )
    }
    declines = {
        "links": "its references are resolved by the properties that read them",
        "modelled_creators": "Istio's modelled kinds configure proxies; they create no pods",
        "raw_shapes": "Istio objects carry apiVersion and kind",
    }

    def route_tables(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.istio import l4 as istio_l4
        from cnverify.systems.istio import tables as istio

        return (istio, istio_l4)

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.istio import targets as targets_istio

        return (targets_istio,)

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """Every http/tcp/tls route with a weight set or several destinations (Istio checks the total only
        with several destinations, validateHTTPRouteDestinations; a lone one gets 100%)."""
        for vs in snap.all(VirtualService):
            for kind in ("http", "tcp", "tls"):
                for i, route in enumerate(getattr(vs.spec, kind) or []):
                    dests = route.route or []
                    if len(dests) < 2 and not any(d.weight is not None for d in dests):
                        continue
                    shares = [
                        Share(
                            dest_label(d.destination.host, d.destination.subset),
                            d.weight,
                            d.at("weight") if d.weight is not None else d.at(),
                        )
                        for d in dests
                    ]
                    yield Split(vs, f"spec.{kind}[{i}]", route.at(), shares, rule="lone" if len(dests) == 1 else "sum")

    def split_reads(self) -> tuple[type[VirtualService], ...]:
        return (VirtualService,)

    def diff_actions(self) -> Mapping[str, ActionReader]:
        from cnverify.systems.istio.actions import istio_action

        return {"istio": istio_action}


def dest_label(host: str, subset: str | None) -> str:
    return f"{host}/{subset}" if subset else host


SYSTEM = Istio()
