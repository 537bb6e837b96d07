"""What an Emissary Mapping does, for `cnverify diff`: its service (or the host it redirects to) and every other
field as an effect (rewrite, timeouts, header edits, …)."""

from __future__ import annotations

from typing import Any

from cnverify.diff.routing import Action
from cnverify.diff.tables import effects, other, raw_of

MATCH_KEYS = frozenset(
    {
        "ambassador_id",
        "prefix",
        "prefix_regex",
        "prefix_exact",
        "hostname",
        "host",
        "host_regex",
        "method",
        "method_regex",
        "headers",
        "regex_headers",
        "query_parameters",
        "regex_query_parameters",
        "v2BoolHeaders",
        "v2BoolQueryParameters",
        "precedence",
        "service",
        "weight",
    }
)


def mapping_action(subject: Any, spec: Any) -> Action | None:
    extra = effects(raw_of(spec), MATCH_KEYS)
    if spec.host_redirect:
        return other("redirect", {"host": spec.service}, extra)
    return Action("route", ((f"service {spec.service} ({subject.namespace})", spec.weight or 100),), effects=extra)
