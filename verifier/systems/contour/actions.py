"""What an HTTPProxy route does, for `cnverify diff`: its services with their weights, or its redirect / direct
response, and every other field as an effect."""

from __future__ import annotations

from typing import Any

from cnverify.diff.routing import Action
from cnverify.diff.tables import effects, other, raw_of

MATCH_KEYS = frozenset({"conditions", "services", "requestRedirectPolicy", "directResponsePolicy"})


def route_action(subject: Any, route: Any) -> Action | None:
    extra = effects(raw_of(route), MATCH_KEYS)
    if route.request_redirect_policy is not None:
        return other("redirect", route.request_redirect_policy, extra)
    if route.direct_response_policy is not None:
        return other("direct-response", route.direct_response_policy, extra)
    services = [s for s in route.services if not s.mirror]
    mirrors = [f"service {s.name}:{s.port} weight {s.weight or 100}" for s in route.services if s.mirror]
    zero = all(s.weight == 0 for s in services)
    dests = tuple((f"service {s.name}:{s.port} ({subject.namespace})", 1 if zero else s.weight) for s in services)
    if mirrors:  # a mirror gets copies (weight = percent, unset or 0 = 100: httpproxy_processor.go)
        extra = tuple(sorted((*extra, ("mirror", ", ".join(mirrors)))))
    return Action("route", dests, effects=extra)
