"""Entry points of a snapshot: ``key → variants of [Route]`` from the per-system translators.

The translators (``cnverify.properties.routing.tables``: ``translate(snap) -> (clauses, tables)``)
give each entry point's match IR in first-match order, with several ``variants`` when the order
depends on creation time.  This module adds what the IR lacks for a diff: each route's *action*
(destinations with weights, or redirect / direct response / delegate), read from the routing
resource.  A route whose action cannot be read gets an action naming the route itself, so a
request moving to another route counts as a change (never a false "equivalent").  Until the
translators are importable the routing part of a diff is empty and says so.
"""
from __future__ import annotations

import importlib.util
import re
from typing import TYPE_CHECKING, Any

from cnverify.snapshot import Snapshot

if TYPE_CHECKING:
    from cnverify.diff.routing import Action, Route

MISSING = ("routing deltas not computed: the route-table translators (cnverify.properties.routing.tables) "
           "are not available")
Variants = list[list["Route"]]


def _istio_action(subject: Any, route_path: str) -> "Action | None":
    from cnverify.diff.routing import Action
    from cnverify.encodings.hosts import expand

    m = re.fullmatch(r"spec\.http\[(\d+)\]", route_path)
    http = getattr(getattr(subject, "spec", None), "http", None)
    if m is None or not http or int(m.group(1)) >= len(http):
        return None
    route = http[int(m.group(1))]
    if route.redirect is not None:
        return Action("redirect", detail=str(sorted(route.redirect.items())))
    if route.direct_response is not None:
        return Action("direct_response", detail=str(sorted(route.direct_response.items())))
    if route.delegate is not None:
        return Action("delegate", detail=f"{route.delegate.namespace or subject.namespace}/{route.delegate.name}")
    dests = route.route or []
    out = []
    for d in dests:
        name = expand(d.destination.host, subject.namespace)
        if d.destination.port is not None and d.destination.port.number is not None:
            name += f":{d.destination.port.number}"
        if d.destination.subset:
            name += f" subset {d.destination.subset}"
        weight = 100 if len(dests) == 1 else (d.weight or 0)  # SEMANTICS §4.3
        out.append((name, weight))
    return Action("route", tuple(out))


ACTIONS = {"istio": _istio_action}


def entry_points(snap: Snapshot) -> tuple[dict[str, Variants], dict[str, str], list[str]]:
    """``({entry point: variants of its routes in first-match order}, {entry point: host}, notes)``.

    The host map holds the translator's ``host_sample`` for tables whose entries carry no host
    condition (the host cannot change which entry a request takes): the diff fixes the request's
    host to it, so a side whose entries do test the host is compared on that host.
    """
    if importlib.util.find_spec("cnverify.properties.routing.tables") is None:
        return {}, {}, [MISSING]
    from cnverify.diff.routing import Action, Route
    from cnverify.properties.routing import tables as t

    out: dict[str, Variants] = {}
    hosts: dict[str, str] = {}
    notes: list[str] = []
    for mod in t._translators():
        clauses, tables = mod.translate(snap)  # type: ignore[attr-defined]
        for table in tables:
            variants = []
            for order in table.variants:
                routes = []
                for e in order:
                    c = clauses[e.clause_id]
                    reader = ACTIONS.get(table.system)
                    action = reader(c.subject, c.route_path) if reader else None
                    if action is None:
                        action = Action("route-of", detail=c.route_key)
                    routes.append(Route(e, action, c.route_label, c.clause_at))
                variants.append(routes)
            key = f"{table.system}: {table.name}"
            out[key] = variants
            if getattr(table, "host_sample", None):
                hosts[key] = table.host_sample
            if len(table.variants) > 1:
                notes.append(f"{table.system}: {table.name}: {table.order_note}")
    return out, hosts, notes
