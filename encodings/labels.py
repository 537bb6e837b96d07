"""Label sets and label selectors: a plain-Python evaluator and the Z3 encoding
(docs/SEMANTICS.md#label-selectors, docs/SEMANTICS.md#label-syntax, docs/SEMANTICS.md#services).

A *selector* is a ``metav1.LabelSelector`` (``matchLabels`` AND ``matchExpressions``), a plain
``dict[str, str]`` (Service ``spec.selector``, DestinationRule subset ``labels``: equality only) or
``None``.  Whether nil and ``{}`` select everything or nothing depends on the field; callers say so
with ``nil_matches`` / ``empty_matches`` (see ``NIL_EMPTY`` for the per-resource values).

Operators (docs/SEMANTICS.md#label-selectors): ``In`` key present and value in values; ``NotIn`` key
absent or value not in
values; ``Exists``; ``DoesNotExist``.  Any other operator raises ``UnsupportedSelector``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Protocol

import z3
from cnverify.encodings import zterms
from cnverify.encodings.kept_terms import kept
from cnverify.errors import Span
from cnverify.model.apps import LabelSelector, LabelSelectorRequirement
from cnverify.model.base import Node


class Witness(Protocol):
    """What takes witness terms (an obligation: ``Obligation.show``); encodings know no obligations."""

    def show(self, name: str, term: z3.ExprRef, render: Callable[[Any], Any] | None = None) -> None: ...


Selector = LabelSelector | Mapping[str, str] | None
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

NIL_EMPTY: dict[str, tuple[bool, bool]] = {
    # field: (nil_matches, empty_matches)
    "workload": (False, True),  # Deployment/RS/STS/DS/Job selector: {} would be "everything" (rejected)
    "service": (False, False),  # Service spec.selector: nil and {} both mean "no selector"
    "pdb-v1": (False, True),  # policy/v1: nil → no pods, {} → all pods of the namespace
    "pdb-v1beta1": (False, False),  # policy/v1beta1: nil and {} select nothing
    "networkpolicy": (True, True),  # spec.podSelector (non-pointer): omitted = {} = all pods
    "subset": (True, True),  # DestinationRule subset labels: empty = all endpoints of the host
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
    out: list[tuple[str, str, tuple[str, ...]]] = [(k, "In", (v,)) for k, v in (selector.match_labels or {}).items()]
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
    """One requirement against a concrete label set (docs/SEMANTICS.md#label-selectors)."""
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    raise UnsupportedSelector(f"operator {op!r} is not valid in a label selector")


def selector_matches(selector: Selector, labels: Mapping[str, str], *, nil_matches: bool, empty_matches: bool) -> bool:
    """Does ``selector`` select a pod labelled ``labels``?

    ``nil_matches``: the verdict for a nil (absent) selector; ``empty_matches``: for ``{}``.
    Otherwise every requirement must hold (matchLabels AND matchExpressions).
    Raises ``UnsupportedSelector`` for an invalid requirement.
    """
    return selector_matcher(selector, nil_matches=nil_matches, empty_matches=empty_matches)(labels)


def selector_matcher(
    selector: Selector, *, nil_matches: bool, empty_matches: bool
) -> Callable[[Mapping[str, str]], bool]:
    """``selector_matches`` of ``selector`` as a function of the labels, the selector parsed once (for many
    label sets).  Raises ``UnsupportedSelector`` (when made) for an invalid requirement."""
    if selector is None:
        return lambda _labels: nil_matches
    if is_empty(selector):
        return lambda _labels: empty_matches
    reqs = requirements(selector)
    return lambda labels: all(requirement_matches(k, op, vs, labels) for k, op, vs in reqs)


# ---------------------------------------------------------------------------------------------
# Z3 encoding: a label set over the finitely many keys the selectors mention.

ABSENT = "<absent>"
"""Witness sentinel for an absent key (not a valid label value, so never confused with one)."""


def _label_value_re() -> z3.ReRef:
    alnum = z3.Union(z3.Range("a", "z"), z3.Range("A", "Z"), z3.Range("0", "9"))
    inner = z3.Union(alnum, z3.Re("-"), z3.Re("_"), z3.Re("."))
    return z3.Option(z3.Concat(z3.Option(z3.Concat(alnum, z3.Star(inner))), alnum))


LABEL_VALUE_RE = _label_value_re()


Terms = dict[Hashable, Any]
"""Label terms built so far, by what they are built from: one dict per run (the run context's memo holds
it), shared by every ``LabelSpace`` of the run.  A cached term is the identical hash-consed AST a fresh
build returns, so sharing one changes no query, answer or witness; it only saves the building."""


class LabelSpace:
    """The labels of one (unknown) pod, restricted to ``keys``: per key ``has`` (Bool) and ``value`` (String).

    Keys outside the space are irrelevant to every selector built over it.  ``name`` keeps the
    terms of different pods apart within one query.  ``terms``: the run's cache (``Terms``), else one
    of this space alone.
    """

    def __init__(self, name: str, keys: Iterable[str], terms: Terms | None = None) -> None:
        self.name = name
        self.keys: tuple[str, ...] = tuple(sorted(set(keys)))
        self.terms: Terms = {} if terms is None else terms
        self._has = {k: self._const("has", k) for k in self.keys}
        self._val = {k: self._const("val", k) for k in self.keys}

    def _const(self, what: str, key: str) -> Any:
        return kept(self.terms, (what, self.name, key), _label_const, what, self.name, key)

    def literal(self, text: str) -> z3.SeqRef:
        """``z3.StringVal(text)``."""
        return literal(self.terms, text)

    def has(self, key: str) -> z3.BoolRef:
        return self._has[key]

    def value(self, key: str) -> z3.SeqRef:
        return self._val[key]

    def valid(self, keys: Iterable[str] | None = None) -> z3.BoolRef:
        """Every present value (of ``keys``, default all) is a valid label value (≤ 63 chars of the pattern,
        docs/SEMANTICS.md#label-syntax).

        Keys whose value is fixed by a concrete label set need no constraint (cheaper queries).
        """
        chosen = tuple(k for k in (self.keys if keys is None else keys) if k in self._has)
        tag = ("valid", self.name, chosen)
        term = self.terms.get(tag)
        return term if term is not None else kept(self.terms, tag, self._valid_all, chosen)

    def _valid_all(self, chosen: tuple[str, ...]) -> z3.BoolRef:
        return zterms.conj([self._valid_one(k) for k in chosen])

    def _valid_one(self, key: str) -> z3.BoolRef:
        return kept(self.terms, ("valid1", self.name, key), _valid_value, self._has[key], self._val[key])

    def label_is(self, key: str, labels: Mapping[str, str]) -> z3.BoolRef:
        """This pod's ``key`` is exactly as in the concrete ``labels`` (absent if not there)."""
        present = key in labels
        tag = ("is", self.name, key, labels[key] if present else None, present)
        term = self.terms.get(tag)
        return term if term is not None else kept(self.terms, tag, self._label_is, key, tag[3], present)

    def _label_is(self, key: str, value: str, present: bool) -> z3.BoolRef:
        has = self._has[key]
        return zterms.conj([has, zterms.same(self._val[key], self.literal(value))]) if present else zterms.neg(has)

    def equals(self, labels: Mapping[str, str]) -> z3.BoolRef:
        """The pod carries the concrete ``labels`` (on the keys of this space)."""
        return zterms.conj([self.label_is(k, labels) for k in self.keys])

    def requirement(self, key: str, op: str, values: tuple[str, ...]) -> z3.BoolRef:
        """One requirement over this space (docs/SEMANTICS.md#label-selectors)."""
        tag = ("req", self.name, key, op, values)
        term = self.terms.get(tag)
        return term if term is not None else kept(self.terms, tag, self._requirement, key, op, values)

    def _requirement(self, key: str, op: str, values: tuple[str, ...]) -> z3.BoolRef:
        has, val = self._has[key], self._val[key]
        if op in ("In", "NotIn"):
            among = zterms.disj([zterms.same(val, self.literal(v)) for v in values]) if values else z3.BoolVal(False)
            return zterms.conj([has, among]) if op == "In" else zterms.disj([zterms.neg(has), zterms.neg(among)])
        if op == "Exists":
            return has
        if op == "DoesNotExist":
            return zterms.neg(has)
        raise UnsupportedSelector(f"operator {op!r} is not valid in a label selector")

    def shown(self, key: str) -> z3.SeqRef:
        """A term whose model value is the key's value, or ``ABSENT``."""
        tag = ("shown", self.name, key)
        term = self.terms.get(tag)
        return term if term is not None else kept(self.terms, tag, self._shown, key)

    def _shown(self, key: str) -> z3.SeqRef:
        return zterms.choose(self._has[key], self._val[key], self.literal(ABSENT))

    def show_on(self, ob: Witness, keys: Iterable[str] | None = None) -> None:
        """Add the label set to ``ob``'s witness: ``{key: value}``, ``None`` for an absent key."""
        for k in self.keys if keys is None else keys:
            ob.show(k, self.shown(k), render_label)


def literal(terms: Terms, text: str) -> z3.SeqRef:
    """``z3.StringVal(text)``, built once per ``terms``."""
    return kept(terms, ("str", text), zterms.string, text)


def _valid_value(has: z3.BoolRef, val: z3.SeqRef) -> z3.BoolRef:
    """A present value is a valid label value (docs/SEMANTICS.md#label-syntax)."""
    return z3.Implies(has, z3.And(z3.Length(val) <= 63, z3.InRe(val, LABEL_VALUE_RE)))


def _label_const(what: str, name: str, key: str) -> Any:
    """``z3.Bool("name.has[key]")`` or ``z3.String("name[key]")``."""
    return zterms.bool_const(f"{name}.has[{key}]") if what == "has" else zterms.string_const(f"{name}[{key}]")


def render_label(value: Any) -> str | None:
    """A witness value: ``None`` for the absent sentinel."""
    return None if value == ABSENT else value


def selector_keys(selector: Selector) -> set[str]:
    """Every key a selector mentions (raises ``UnsupportedSelector`` like ``requirements``)."""
    return {k for k, _, _ in requirements(selector)}


def requirement_z3(space: LabelSpace, key: str, op: str, values: tuple[str, ...]) -> z3.BoolRef:
    """One requirement over ``space`` (docs/SEMANTICS.md#label-selectors): ``space.requirement``."""
    return space.requirement(key, op, values)


def selector_z3(selector: Selector, space: LabelSpace, *, nil_matches: bool, empty_matches: bool) -> z3.BoolRef:
    """The Z3 twin of ``selector_matches``: true iff the selector selects the pod of ``space``."""
    if selector is None:
        return z3.BoolVal(nil_matches)
    if is_empty(selector):
        return z3.BoolVal(empty_matches)
    return zterms.conj([space.requirement(k, op, vs) for k, op, vs in requirements(selector)])


def located_requirements(
    selector: LabelSelector | Mapping[str, str], owner: Node, field: tuple[str | int, ...]
) -> list[tuple[str, str, tuple[str, ...], Span, str]]:
    """``(key, op, values, span, sentence)`` per requirement; ``owner.at(*field)`` is the selector's position.

    For a ``LabelSelector`` node the spans point at the matchLabels key or the matchExpressions item.
    """
    out: list[tuple[str, str, tuple[str, ...], Span, str]] = []
    if isinstance(selector, Mapping):
        for k, v in selector.items():
            out.append((k, "In", (v,), owner.at(*field, k), f"the selector requires {k}={v}"))
        return out
    for k, v in (selector.match_labels or {}).items():
        out.append((k, "In", (v,), selector.at("matchLabels", k), f"the selector requires {k}={v}"))
    for i, req in enumerate(selector.match_expressions or []):
        key, op, values = _requirement(req)
        out.append(
            (key, op, values, selector.at("matchExpressions", i), f"the selector requires {describe(key, op, values)}")
        )
    return out


def describe(key: str, op: str, values: tuple[str, ...]) -> str:
    """A requirement in kubectl's selector syntax (``app in (a,b)``, ``!tier``)."""
    if op == "Exists":
        return key
    if op == "DoesNotExist":
        return f"!{key}"
    if op == "In" and len(values) == 1:
        return f"{key}={values[0]}"
    return f"{key} {'in' if op == 'In' else 'notin'} ({','.join(values)})"


def format_labels(labels: Mapping[str, str | None]) -> str:
    """``{app=web, !tier}`` for a (witness) label set; ``None`` values print as absent keys."""
    parts = [f"{k}={v}" if v is not None else f"!{k}" for k, v in sorted(labels.items())]
    return "{" + ", ".join(parts) + "}"
