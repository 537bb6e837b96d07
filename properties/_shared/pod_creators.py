"""The guard that keeps "selects nothing" honest: objects of unmodelled kinds may create selected pods."""

from __future__ import annotations

from collections.abc import Iterable

from cnverify.encodings.labels import Selector, format_labels
from cnverify.encodings.pod_creators import may_select
from cnverify.obligation import Obligation
from cnverify.opaque import Opaque


def _named(maybe: list[Opaque]) -> str:
    more = f" and {len(maybe) - 3} more" if len(maybe) > 3 else ""
    return "; ".join(o.who for o in maybe[:3]) + more


def unmodelled_creators(ob: Obligation, selectors: Iterable[Selector], creators: Iterable[Opaque]) -> bool:
    """Make ``ob`` unknown when objects of unmodelled kinds may create selected pods; say whether it did."""
    maybe = may_select(selectors, creators)
    if not maybe:
        return False
    for o in maybe[:3]:
        ob.note(
            f"{o.kind} {o.name} ({o.api_version}) may create pods "
            + ("with unknown labels" if o.template_labels is None else f"labelled {format_labels(o.template_labels)}")
            + (f": {o.creator}" if o.creator else ""),
            o.at,
        )
    ob.unknown(f"no modelled pod is selected, but {_named(maybe)} may create pods that are")
    return True


def unmodelled_refute(ob: Obligation, selectors: list[Selector], creators: Iterable[Opaque], claim: str) -> None:
    """A claim about *every* selected pod is not proved when unmodelled creators may add selected pods:
    a violation found on modelled pods stands, a proof becomes ``unknown`` (``claim`` says what is unproved)."""
    maybe = may_select(selectors, creators)
    if maybe:
        ob.only_refute(f"{_named(maybe)} may create pods the selector selects, and {claim}")
