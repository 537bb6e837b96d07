"""Entry points of a snapshot: ``key → [Route]`` from the per-system translators (model → match IR).

The translators live in ``cnverify.properties.routing.tables``; until they are importable the
routing part of a diff is empty and says so (a note, never an "equivalent" verdict).
"""
from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from cnverify.snapshot import Snapshot

if TYPE_CHECKING:
    from cnverify.diff.routing import Route

MISSING = "routing deltas not computed: the route-table translators (cnverify.properties.routing.tables) are not available"


def entry_points(snap: Snapshot) -> tuple[dict[str, list["Route"]], list[str]]:
    """``({entry point key: routes in first-match order}, notes)``."""
    if importlib.util.find_spec("cnverify.properties.routing.tables") is None:
        return {}, [MISSING]
    return {}, [MISSING]
