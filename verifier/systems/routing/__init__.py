"""What every routing system shares: the first-match table IR and its analysis (`tables`), the proxies'
request rewriting (`rewrites`), and route-target resolution against the inventory (`targets`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from cnverify import systems

T = TypeVar("T")
_LISTED: dict[str, tuple[list[Any], Any]] = {}


def per_adapters(key: str, build: Callable[[], T]) -> T:
    """``build()`` once per set of adapters (what the hooks list: modules, the kinds they read): again only when
    an adapter is registered or removed, which makes ``systems.adapters()`` a new list."""
    found = systems.adapters()
    held = _LISTED.get(key)
    if held is None or held[0] is not found:
        held = _LISTED[key] = (found, build())
    return held[1]
