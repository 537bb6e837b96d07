"""Contour (``projectcontour.io/v1`` HTTPProxy): include trees flattened into one virtual host per root fqdn,
routes in Contour's sort order, services resolved as Contour resolves them (docs/SEMANTICS.md#contour-httpproxy;
rules read from contour 31c4bb38 ``internal/dag``, ``internal/sorter``, ``internal/envoy/v3``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import ModuleType

from cnverify.model import Resource
from cnverify.model.contour import GROUP, HTTPProxy, ProxyRoute, ProxyService
from cnverify.snapshot import Snapshot
from cnverify.systems.base import ActionReader, Group, Share, Split, System

ALL_ZERO = "every service's weight is 0 or unset: Contour gives each weight 1 (envoy/v3/route.go weightedClusters)"
UNSET = "unset while another service has a weight: it receives no traffic"
NO_SHARE = "every service of the route is a mirror, so Contour answers 503 to its requests (httpproxy_processor.go)"
MIRROR = "0 (a mirror: it receives copies, not a share)"


class Contour(System):
    name = "contour"
    title = "Contour HTTPProxy"
    order = 93
    kinds = (HTTPProxy,)
    # ContourDeployment is the one kind of the group that creates pods (the gateway provisioner's Contour and Envoy)
    groups = {
        GROUP: Group(False, frozenset({"ContourDeployment"}), "Contour's gateway provisioner (Contour and Envoy pods)")
    }
    declines = {
        "modelled_creators": "an HTTPProxy configures the Contour and Envoy pods, which are deployed apart from it",
        "links": "its includes and services are resolved by its tables and targets modules",
        "raw_shapes": "HTTPProxies carry apiVersion and kind",
    }

    def route_tables(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.contour import tables

        return (tables,)

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.contour import targets

        return (targets,)

    def diff_actions(self) -> Mapping[str, ActionReader]:
        from cnverify.systems.contour.actions import route_action

        return {"contour": route_action}

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """Routes with two or more (non-mirror) services: relative ``uint32`` weights; all 0 or unset: each 1;
        otherwise an unset weight is 0 (route.go ``weightedClusters``). Over the services as written (a service
        Contour cannot resolve is left out of the route: CNV102)."""
        for p in snap.all(HTTPProxy):
            for j, route in enumerate(p.spec.routes):
                services = [s for s in route.services if not s.mirror]
                if len(services) > 1 or (route.services and not services):
                    yield _split(p, j, route, services or route.services)

    def split_reads(self) -> tuple[type[Resource], ...]:
        return (HTTPProxy,)


def _split(p: HTTPProxy, j: int, route: ProxyRoute, services: list[ProxyService]) -> Split:
    zero = all(s.weight == 0 for s in services)
    shares = []
    for s in services:
        written = "weight" in s.model_fields_set
        effective = 0 if s.mirror else 1 if zero else s.weight
        note = f"1 ({ALL_ZERO})" if zero else ("" if written else f"0 ({UNSET})")
        note = MIRROR if s.mirror else note
        label = f"{s.name}:{s.port}"
        shares.append(Share(label, effective, s.at("weight") if written else s.at(), s.at(), written=note))
    return Split(
        p,
        f"spec.routes[{j}].services",
        route.at("services"),
        shares,
        rule="relative",
        noun="service",
        index=j,
        effect=NO_SHARE,
    )


SYSTEM = Contour()
