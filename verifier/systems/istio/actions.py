"""What an Istio VirtualService http route does, for `cnverify diff` (the route's action as written)."""

from __future__ import annotations

from typing import Any

from cnverify.diff.routing import Action
from cnverify.diff.tables import effects, other, raw_of, tagged
from cnverify.systems.istio.hosts import expand

ISTIO_ROUTE = frozenset({"match", "route", "name", "redirect", "directResponse", "delegate"})
ISTIO_DEST = frozenset({"destination", "weight"})


def istio_action(subject: Any, route: Any) -> Action | None:
    extra = effects(raw_of(route), ISTIO_ROUTE)
    if route.redirect is not None:
        return other("redirect", route.redirect, extra)
    if route.direct_response is not None:
        return other("direct_response", route.direct_response, extra)
    if route.delegate is not None:
        return Action(
            "delegate", detail=f"{route.delegate.namespace or subject.namespace}/{route.delegate.name}", effects=extra
        )
    dests = route.route or []
    out = []
    for d in dests:
        name = expand(d.destination.host, subject.namespace)
        if d.destination.port is not None and d.destination.port.number is not None:
            name += f":{d.destination.port.number}"
        if d.destination.subset:
            name += f" subset {d.destination.subset}"
        # a sole destination takes all traffic: docs/SEMANTICS.md#virtualservice-weights
        out.append((tagged(name, raw_of(d), ISTIO_DEST), 100 if len(dests) == 1 else (d.weight or 0)))
    return Action("route", tuple(out), effects=extra)
