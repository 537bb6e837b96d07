"""What a Consul router route does, for `cnverify diff`: its destination service (and subset, namespace), plus
every other field of the destination (rewrites, retries, timeouts, header edits) as effects."""

from __future__ import annotations

from typing import Any

from cnverify.diff.routing import Action
from cnverify.diff.tables import effects, raw_of

DESTINATION = frozenset({"service", "serviceSubset", "namespace", "partition"})


def consul_action(subject: Any, route: Any) -> Action | None:
    d = route.destination
    target = f"service {subject.namespace}/{(d.service if d else None) or subject.name}"
    if d is not None and d.service_subset:
        target += f" subset {d.service_subset}"
    if d is not None and (d.namespace or d.partition):
        target += f" (namespace {d.namespace or subject.namespace}, partition {d.partition or 'default'})"
    extra = effects(raw_of(d), DESTINATION) if d is not None else ()
    return Action("route", ((target, 1),), effects=extra)
