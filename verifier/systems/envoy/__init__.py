"""Envoy: RouteConfigurations and Clusters from bootstraps and xDS resource files."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

from cnverify.loader import LoadResult
from cnverify.model.envoy import ENVOY_CLUSTER, ENVOY_ROUTE, Cluster, RouteConfiguration
from cnverify.snapshot import Snapshot
from cnverify.source import Document, Path
from cnverify.systems.base import ActionReader, Group, Share, Split, System


class Envoy(System):
    name = "envoy"
    title = "Envoy (bootstrap and xDS files)"
    order = 20
    kinds = (RouteConfiguration, Cluster)
    groups = {ENVOY_ROUTE: Group(creates_pods=False), ENVOY_CLUSTER: Group(creates_pods=False)}
    declines = {
        "links": "its references are resolved by the properties that read them",
        "modelled_creators": "Envoy configuration describes a proxy, not the pods it runs in",
    }

    def split_raw(self, doc: Document, data: dict[str, Any], path: Path, out: LoadResult) -> bool:
        from cnverify.systems.envoy.raw import split_raw

        return split_raw(doc, data, path, out)

    def route_tables(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.envoy import tables as envoy

        return (envoy,)

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.envoy import targets

        return (targets,)

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """Every route with ``weighted_clusters``: the weights must reach ``total_weight`` (default 100)."""
        for rc in snap.all(RouteConfiguration):
            for vi, vh in enumerate(rc.virtual_hosts or []):
                for ri, r in enumerate(vh.routes or []):
                    wc = r.route.weighted_clusters if r.route else None
                    if wc is None:
                        continue
                    shares = [
                        Share(c.name, c.weight, c.at("weight") if c.weight is not None else c.at()) for c in wc.clusters
                    ]
                    yield Split(
                        rc,
                        f"virtual_hosts[{vi}].routes[{ri}]",
                        r.at(),
                        shares,
                        total=100 if wc.total_weight is None else wc.total_weight,
                        total_at=wc.at("total_weight") if wc.total_weight is not None else None,
                    )

    def split_reads(self) -> tuple[type[RouteConfiguration], ...]:
        return (RouteConfiguration,)

    def diff_actions(self) -> Mapping[str, ActionReader]:
        from cnverify.systems.envoy.actions import envoy_action

        return {"envoy": envoy_action}


SYSTEM = Envoy()
