"""Named container ports: the IANA service-name grammar and Kubernetes' FindPort (no property here)."""

from __future__ import annotations

import re

from cnverify.model.core import ContainerPort
from cnverify.properties._shared.selectors.pods import PodShape

IANA_NAME = re.compile(r"^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$")
"""IANA service name (docs/SEMANTICS.md#services): 1–15 of [a-z0-9-], a letter, no leading/trailing/double '-'."""


def resolve(shape: PodShape, name: str, protocol: str) -> tuple[str, int, ContainerPort] | None:
    """FindPort: the first container (app containers, then sidecars) port named ``name`` with ``protocol``."""
    for c in shape.containers():
        for i, p in enumerate(c.ports or []):
            if p.name == name and p.protocol == protocol:
                return c.name, i, p
    return None
