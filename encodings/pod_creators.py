"""Pods that objects of unmodelled kinds may create: the guard that keeps "selects nothing" honest."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from cnverify.encodings.labels import Selector, format_labels, requirement_matches, requirements
from cnverify.obligation import Obligation
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


def unmodelled_creators(ob: Obligation, selectors: list[Selector], creators: Iterable[Opaque]) -> bool:
    """Make ``ob`` unknown when objects of unmodelled kinds may create selected pods; say whether it did."""
    maybe = [o for o in creators if o.template_labels is None or could_select(selectors, o.template_labels)]
    if not maybe:
        return False
    for o in maybe[:3]:
        ob.note(f"{o.kind} {o.name} ({o.api_version}) may create pods "
                + ("with unknown labels" if o.template_labels is None else f"labelled {format_labels(o.template_labels)}"),
                o.at)
    more = f" and {len(maybe) - 3} more" if len(maybe) > 3 else ""
    ob.unknown(f"no modelled pod is selected, but {', '.join(o.ref for o in maybe[:3])}{more} "
               "(kinds cnverify does not model) may create pods that are")
    return True
