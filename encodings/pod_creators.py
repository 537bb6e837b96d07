"""Pods that objects of unmodelled kinds may create: which selectors may select them (pure; the obligation side is
``cnverify.properties._shared.pod_creators``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cnverify.encodings.labels import Selector, requirement_matches, requirements
from cnverify.opaque import Opaque


def could_select(selectors: Iterable[Selector], labels: Mapping[str, str]) -> bool:
    """Might pods with template ``labels`` (plus labels an unknown controller adds) be selected?

    Only a requirement on a key the template sets can rule it out: an unmodelled controller may add
    any other key to its pods.
    """
    for sel in selectors:
        for key, op, values in requirements(sel):
            if key in labels and not requirement_matches(key, op, values, labels):
                return False
    return True


def may_select(selectors: Iterable[Selector], creators: Iterable[Opaque]) -> list[Opaque]:
    """The creators whose pods the selectors may select (unknown labels: all of them)."""
    return [o for o in creators if o.template_labels is None or could_select(selectors, o.template_labels)]
