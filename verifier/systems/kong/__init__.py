"""Kong Gateway: decK / DB-less declarative configs (``kong.yml``) — routes in the ``traditional_compatible``
order, route → service → upstream targets (docs/SEMANTICS.md#kong)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from cnverify.loader import LoadResult
from cnverify.model.kong import KIC_CONFIG, KONG, KongConfig, KongIngress
from cnverify.source import Document, Path
from cnverify.systems.base import Group, System


class Kong(System):
    name = "kong"
    title = "Kong Gateway (declarative kong.yml; the Kong Ingress Controller's translation)"
    order = 84
    kinds = (KongConfig, KongIngress)
    groups = {
        KONG: Group(creates_pods=False),  # a configuration of Kong's proxy, not a workload
        KIC_CONFIG: Group(creates_pods=False),  # KIC's configuration CRDs (KongPlugin, KongUpstreamPolicy, ...)
    }
    declines = {
        "modelled_creators": "a declarative config configures Kong's proxy; it creates no pods",
        "links": "its references (services, upstreams) are resolved inside the config by its targets module",
        "weighted_splits": "Kong target weights are relative and only their being > 0 matters (targets module)",
        "diff_actions": "cnverify diff compares Kong routes by identity (no action reader: a route's service is not compared)",
    }

    def split_raw(self, doc: Document, data: dict[str, Any], path: Path, out: LoadResult) -> bool:
        from cnverify.systems.kong.raw import split_raw

        return split_raw(doc, data, path, out)

    def route_tables(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.kong import tables

        return (tables,)

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.kong import targets

        return (targets,)


SYSTEM = Kong()
