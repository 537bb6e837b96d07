"""What a Gateway API HTTPRoute rule does, for `cnverify diff` (redirect, or weighted backendRefs)."""

from __future__ import annotations

from typing import Any

from cnverify.diff.routing import Action
from cnverify.diff.tables import effects, other, raw_of, tagged

GATEWAY_RULE = frozenset({"matches", "backendRefs", "name"})
GATEWAY_REF = frozenset({"name", "namespace", "kind", "group", "port", "weight"})


def gateway_action(subject: Any, rule: Any) -> Action | None:
    extra = effects(raw_of(rule), GATEWAY_RULE)
    filters = [f for f in rule.filters or [] if isinstance(f, dict)]
    for f in filters:
        if f.get("type") == "RequestRedirect":
            return other("redirect", f.get("requestRedirect") or {}, extra)
    refs = rule.backend_refs or []
    out = [
        (
            tagged(
                f"{r.kind or 'Service'} {r.namespace or subject.namespace}/{r.name}" + (f":{r.port}" if r.port else ""),
                raw_of(r),
                GATEWAY_REF,
            ),
            1 if r.weight is None else r.weight,
        )
        for r in refs
    ]  # docs/SEMANTICS.md#backend-weights
    return Action("route", tuple(out), effects=extra)
