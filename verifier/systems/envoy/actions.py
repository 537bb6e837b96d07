"""What an Envoy route does, for `cnverify diff`: redirect, direct response, cluster(s) or a cluster header."""

from __future__ import annotations

from typing import Any

from cnverify.diff.routing import Action
from cnverify.diff.tables import effects, other, raw_of, tagged

ENVOY_ROUTE = frozenset({"match", "name", "route", "redirect", "direct_response"})
ENVOY_ACTION = frozenset({"cluster", "weighted_clusters", "cluster_header"})
ENVOY_VHOST = frozenset({"name", "domains", "routes", "virtual_clusters"})
ENVOY_CLUSTER = frozenset({"name", "weight"})


def envoy_action(subject: Any, route: Any) -> Action | None:
    raw = raw_of(route)
    extra = (
        effects(raw, ENVOY_ROUTE)
        + effects(raw.get("route") or {}, ENVOY_ACTION, "route.")
        + effects(raw_of(route, up=2), ENVOY_VHOST, "virtual_host.")
    )
    if route.redirect is not None:
        return other("redirect", route.redirect, extra)
    if route.direct_response is not None:
        return other("direct_response", route.direct_response, extra)
    act = route.route
    if act is None:
        return None
    if act.weighted_clusters is not None:
        return Action(
            "route",
            tuple((tagged(c.name, raw_of(c), ENVOY_CLUSTER), c.weight or 0) for c in act.weighted_clusters.clusters),
            effects=extra,
        )
    if act.cluster is not None:
        return Action("route", ((act.cluster, 1),), effects=extra)
    if act.cluster_header is not None:
        return Action("cluster_header", detail=act.cluster_header, effects=extra)
    return None
