"""What an Ingress path does, for `cnverify diff`: its backend, plus the controller's annotations as effects."""

from __future__ import annotations

from typing import Any

from cnverify.diff.routing import Action
from cnverify.diff.tables import effects, other, raw_of

INGRESS_PATH = frozenset({"path", "pathType", "backend"})
NOT_OUTCOMES = ("kubectl.kubernetes.io/", "cnverify.io/")


def ingress_action(subject: Any, path: Any) -> Action | None:
    notes = {k: v for k, v in subject.annotations.items() if not k.startswith(NOT_OUTCOMES)}
    extra = effects(raw_of(path), INGRESS_PATH) + effects(notes, frozenset(), "annotation ")  # controller options
    ref = path.backend.service_ref
    if ref is None:
        return other("resource", path.backend.resource or {}, extra)
    return Action(
        "route",
        ((f"Service {subject.namespace}/{ref[0]}" + (f":{ref[1]}" if ref[1] is not None else ""), 1),),
        effects=extra,
    )
