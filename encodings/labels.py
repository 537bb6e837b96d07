"""Label sets and label selectors: a plain-Python evaluator and the Z3 encoding (SEMANTICS §2.5–2.7).

A *selector* is a ``metav1.LabelSelector`` (``matchLabels`` AND ``matchExpressions``), a plain
``dict[str, str]`` (Service ``spec.selector``, DestinationRule subset ``labels``: equality only) or
``None``.  Whether nil and ``{}`` select everything or nothing depends on the field; callers say so
with ``nil_matches`` / ``empty_matches`` (see ``NIL_EMPTY`` for the per-resource values).

Operators (§2.6): ``In`` key present and value in values; ``NotIn`` key absent or value not in
values; ``Exists``; ``DoesNotExist``.  Any other operator raises ``UnsupportedSelector``.
"""
from __future__ import annotations

from collections.abc import Mapping

from cnverify.model.apps import LabelSelector, LabelSelectorRequirement

Selector = LabelSelector | Mapping[str, str] | None
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

NIL_EMPTY: dict[str, tuple[bool, bool]] = {
    # field: (nil_matches, empty_matches)
    "workload": (False, True),        # Deployment/RS/STS/DS/Job selector: {} would be "everything" (rejected)
    "service": (False, False),        # Service spec.selector: nil and {} both mean "no selector"
    "pdb-v1": (False, True),          # policy/v1: nil → no pods, {} → all pods of the namespace
    "pdb-v1beta1": (False, False),    # policy/v1beta1: nil and {} select nothing
    "networkpolicy": (True, True),    # spec.podSelector (non-pointer): omitted = {} = all pods
    "subset": (True, True),           # DestinationRule subset labels: empty = all endpoints of the host
}


class UnsupportedSelector(ValueError):
    """A selector requirement whose operator or values this module cannot evaluate."""


def requirements(selector: Selector) -> list[tuple[str, str, tuple[str, ...]]]:
    """The selector as ``(key, operator, values)`` triples: matchLabels as ``In [value]``, then expressions.

    Raises ``UnsupportedSelector`` for an unknown operator, or for In/NotIn without values or
    Exists/DoesNotExist with values (the API server rejects those).
    """
    if selector is None:
        return []
    if isinstance(selector, Mapping):
        return [(k, "In", (v,)) for k, v in selector.items()]
    out = [(k, "In", (v,)) for k, v in (selector.match_labels or {}).items()]
    for req in selector.match_expressions or []:
        out.append(_requirement(req))
    return out


def _requirement(req: LabelSelectorRequirement) -> tuple[str, str, tuple[str, ...]]:
    values = tuple(req.values or ())
    if req.operator not in OPERATORS:
        raise UnsupportedSelector(f"operator {req.operator!r} is not valid in a label selector")
    if req.operator in ("In", "NotIn") and not values:
        raise UnsupportedSelector(f"operator {req.operator} on {req.key!r} needs at least one value")
    if req.operator in ("Exists", "DoesNotExist") and values:
        raise UnsupportedSelector(f"operator {req.operator} on {req.key!r} must have no values")
    return req.key, req.operator, values


def is_empty(selector: Selector) -> bool:
    """True for a non-nil selector without any requirement (``{}``)."""
    if selector is None:
        return False
    if isinstance(selector, Mapping):
        return not selector
    return not selector.match_labels and not selector.match_expressions


def requirement_matches(key: str, op: str, values: tuple[str, ...], labels: Mapping[str, str]) -> bool:
    """One requirement against a concrete label set (§2.6 table)."""
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    raise UnsupportedSelector(f"operator {op!r} is not valid in a label selector")


def selector_matches(selector: Selector, labels: Mapping[str, str], *, nil_matches: bool,
                     empty_matches: bool) -> bool:
    """Does ``selector`` select a pod labelled ``labels``?

    ``nil_matches``: the verdict for a nil (absent) selector; ``empty_matches``: for ``{}``.
    Otherwise every requirement must hold (matchLabels AND matchExpressions).
    Raises ``UnsupportedSelector`` for an invalid requirement.
    """
    if selector is None:
        return nil_matches
    if is_empty(selector):
        return empty_matches
    return all(requirement_matches(k, op, vs, labels) for k, op, vs in requirements(selector))
