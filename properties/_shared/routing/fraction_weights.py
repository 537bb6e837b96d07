"""CNV103 for weights that are fractions of one (a Lambda alias): at most one additional version besides the
primary, its weight in [0, 1] (Lambda API ``AliasRoutingConfiguration``: "the second version, and the percentage of
traffic that's routed to it", values 0.0–1.0), the primary getting ``1 − weight``; for a traffic shift, at every
reachable state. Weights written as template parameters are bounded symbols (``template_values.number``)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import z3
from cnverify.model.lambda_sam import Template
from cnverify.obligation import Obligation
from cnverify.properties._shared.resources.template_values import number
from cnverify.systems.base import Split, State


def _fraction(v: Any) -> str:
    return format(float(Fraction(v)), "g")


def _float(v: Any) -> float:
    return float(Fraction(v))


def _real(x: Fraction) -> z3.ArithRef:
    return z3.RealVal(f"{x.numerator}/{x.denominator}")


def _state_terms(ob: Obligation, t: Template, states: tuple[State, ...]) -> list[z3.ArithRef] | str:
    terms: list[z3.ArithRef] = []
    for st in states:
        if isinstance(st.weight, Fraction):
            terms.append(_real(st.weight))
            continue
        w = st.weight
        term, why = number(ob, t, w.value, w.path, w.label, integer=w.scale != 1, scale=w.scale)
        if term is None:
            return why or f"{w.label} is not known"
        terms.append(term)
    return terms


def fraction_split(ob: Obligation, sp: Split) -> Obligation:
    """The obligation for one ``rule="fraction"`` split (``ob`` made for its subject, a template)."""
    t = sp.subject
    assert isinstance(t, Template)
    if sp.unknown:
        ob.unknown(sp.unknown)
        return ob
    if len(sp.shares) > 1:
        for s in sp.shares:
            ob.note(f"{s.label} is an additional version", s.node_at or s.at)
        claim = (
            f"{len(sp.shares)} additional versions: an alias routes to its primary version and at most one other "
            "(Lambda rejects the RoutingConfig)"
        )
        ob.decide("violated", claim, witness={"additional versions": len(sp.shares)})
        ob.on(violated=claim)
        return ob
    if not sp.shares:
        ob.decide("proved", "no additional version: the primary version gets all the traffic")
        ob.on(proved="no additional version: the primary version gets all the traffic")
        return ob
    share = sp.shares[0]
    if sp.states:
        state, weight = z3.Int("state"), z3.Real("weight")
        terms = _state_terms(ob, t, sp.states)
        if isinstance(terms, str):
            ob.unknown(terms)
            return ob
        listed = "; ".join(
            f"[{i}] {s.says}: {_fraction(s.weight)}"
            if isinstance(s.weight, Fraction)
            else f"[{i}] {s.says}: {s.weight.label}"
            for i, s in enumerate(sp.states)
        )
        ob.fact(
            z3.Or(*(z3.And(state == i, weight == term) for i, term in enumerate(terms))),
            at=sp.total_at or sp.at,
            says=f"the deployment's states give {share.label} the weight {listed}",
        )
        ob.show("state", state)
        says = {i: s.says for i, s in enumerate(sp.states)}
        where = lambda w: f"at state [{w['state']}] ({says.get(w['state'], '?')}) "  # noqa: E731
    else:
        written = sp.fractions[0]
        term, why = number(ob, t, written.value, written.path, written.label, integer=False)
        if term is None:
            ob.unknown(why or f"{written.label} is not known")
            return ob
        weight = term
        where = lambda _: ""  # noqa: E731
    ob.counterexample(z3.Or(weight < 0, weight > 1), says=f"{share.label}'s weight is outside [0, 1]")
    ob.show("weight", weight, _float)
    ob.show("primary", 1 - weight, _float)
    ob.on(
        violated=lambda w: (
            f"{where(w)}{share.label} gets weight {w['weight']}, outside [0, 1] (the primary would get "
            f"{w['primary']}): Lambda takes alias weights of 0.0–1.0 only"
        ),
        proved=lambda _: (
            f"{share.label}'s weight stays in [0, 1]"
            + (" at every state of the deployment" if sp.states else "")
            + ": the primary version gets the rest"
        ),
    )
    return ob
