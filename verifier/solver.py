"""Deciding obligations with Z3: tracked facts, deterministic limits, minimal cores, witnesses."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import z3

from cnverify import smt
from cnverify.obligation import Obligation
from cnverify.proof import Finding, Step, Verdict
from cnverify.smt import Limits

__all__ = ["Limits", "decide", "finding", "to_python"]


def to_python(value: z3.ExprRef) -> Any:
    """A model value as plain JSON-able Python."""
    if z3.is_int_value(value):
        return value.as_long()
    if z3.is_rational_value(value):
        f = Fraction(value.numerator_as_long(), value.denominator_as_long())
        return int(f) if f.denominator == 1 else str(f)
    if z3.is_true(value):
        return True
    if z3.is_false(value):
        return False
    if z3.is_string_value(value):
        return value.as_string()
    return str(value)


def decide(ob: Obligation, limits: Limits | None = None) -> tuple[Verdict, list[Step], Any, str]:
    """Run one obligation: (verdict, chain, witness, conclusion claim)."""
    if ob.decision is not None:
        d = ob.decision
        return d.verdict, ob.preamble + [s for _, s in ob.facts] + [Step(d.claim)], d.witness, d.claim
    assert ob.goal is not None, f"{ob.prop.code}: obligation without a query"
    with smt.using(limits):
        answer = smt.check([], [expr for expr, _ in ob.facts] + [ob.goal])
    facts = [step for _, step in ob.facts]
    if answer.result == "sat":
        m = answer.model
        assert m is not None
        witness = {name: (render(to_python(m.eval(term, model_completion=True))) if render
                          else to_python(m.eval(term, model_completion=True)))
                   for name, (term, render) in ob.shown.items()} or None
        verdict: Verdict = "violated" if ob.shape == "counterexample" else "proved"
        claim = f"{ob.goal_says} (solver: sat)"
        return verdict, ob.preamble + facts + [Step(claim)], witness, claim
    if answer.result == "unsat":
        kept = [i for i in answer.core if i < len(facts)]
        verdict = "proved" if ob.shape == "counterexample" else "violated"
        claim = (f"no counterexample: it is impossible that {ob.goal_says} (solver: unsat)"
                 if ob.shape == "counterexample" else f"impossible: {ob.goal_says} (solver: unsat)")
        return verdict, ob.preamble + [facts[i] for i in kept] + [Step(claim)], None, claim
    claim = f"solver gave no answer ({answer.reason}); not proved"
    return "unknown", ob.preamble + facts + [Step(claim)], None, claim


def finding(ob: Obligation, limits: Limits | None = None) -> Finding:
    """Decide ``ob`` and wrap the verdict as a Finding."""
    verdict, chain, witness, claim = decide(ob, limits)
    if verdict == "proved" and ob.proof_caveat:
        claim = f"not proved: {ob.proof_caveat}"
        verdict, chain = "unknown", chain + [Step(claim)]
        ob.messages.pop("unknown", None)
    default = {"violated": f"{ob.prop.title}: violated", "proved": f"{ob.prop.title}: proved",
               "unknown": f"{ob.prop.title}: unknown ({claim})"}[verdict]
    message = ob.message_for(verdict, witness, default)
    if verdict == "unknown" and "unknown" not in ob.messages:
        message = f"cannot decide: {claim}"
    return Finding(
        property=ob.prop.code, name=ob.prop.name, status=verdict, severity=ob.prop.severity,
        subject=ob.subject.subject(ob.path), location=ob.location, message=message,
        chain=chain, witness=witness, help=ob.prop.remediation)
