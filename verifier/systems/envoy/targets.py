"""Targets of Envoy routes: the clusters a RouteConfiguration sends to, among the inputs' clusters."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.model import Cluster, RouteConfiguration
from cnverify.model.base import Node
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.targets import Check, step

READS = (RouteConfiguration, Cluster)


def checks(snap: Snapshot) -> Iterator[Check]:
    for rc in snap.all(RouteConfiguration):
        yield from _envoy(snap, rc)


def _envoy(snap: Snapshot, rc: RouteConfiguration) -> Iterator[Check]:
    data = rc.doc.data if rc.doc is not None else None
    bootstrap = isinstance(data, dict) and "static_resources" in data
    cds = (
        bootstrap
        and isinstance(data, dict)
        and isinstance(data.get("dynamic_resources"), dict)
        and "cds_config" in data["dynamic_resources"]
    )
    pool = [c for c in snap.all(Cluster) if not bootstrap or c.doc is rc.doc]
    for vh in rc.virtual_hosts or []:
        for route in vh.routes or []:
            action = route.route
            if action is None:
                continue
            refs: list[tuple[str, Node]] = [(action.cluster, action)] if action.cluster else []
            if action.weighted_clusters is not None:
                refs += [(c.name, c) for c in action.weighted_clusters.clusters]
            if action.cluster_header:
                yield Check(
                    rc,
                    action,
                    "unknown",
                    f"the cluster comes from request header {action.cluster_header}",
                    [("cluster_header", action.at("cluster_header"))],
                )
            for name, node in refs:
                steps = [(f"route sends to cluster {name}", node.at("cluster" if node is action else "name"))]
                found = next((c for c in pool if c.name == name), None)
                if found is not None:
                    step(steps, f"cluster {name} is defined", found.at("name"))
                    yield Check(rc, node, "proved", f"cluster {name} is defined", steps)
                elif bootstrap and not cds:
                    yield Check(
                        rc,
                        node,
                        "violated",
                        f"cluster {name} is not defined among the bootstrap's "
                        "static clusters and the bootstrap has no CDS",
                        steps,
                    )
                else:
                    yield Check(
                        rc, node, "unknown", f"cluster {name} is not in the inputs (it may come from CDS)", steps
                    )
