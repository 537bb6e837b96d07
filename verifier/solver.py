"""Deciding obligations with Z3: tracked facts, deterministic limits, minimal cores, witnesses."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import z3

from cnverify.obligation import Obligation
from cnverify.proof import Finding, Step, Verdict


@dataclass(frozen=True)
class Limits:
    """Per-query solver limits: wall-clock timeout and a deterministic resource limit."""

    timeout_ms: int = 10_000
    rlimit: int = 50_000_000


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


def _solver(limits: Limits) -> z3.Solver:
    """A fresh solver per obligation (BASELINES: sharing one across unrelated queries degrades).

    ``SimpleSolver`` skips the preprocessing tactics of the default solver (half the cost of a
    small query); ``core.minimize`` makes Z3 return a minimal unsat core.
    """
    s = z3.SimpleSolver()
    s.set("timeout", limits.timeout_ms)
    s.set("rlimit", limits.rlimit)
    s.set("core.minimize", True)
    return s


def decide(ob: Obligation, limits: Limits) -> tuple[Verdict, list[Step], Any, str]:
    """Run one obligation: (verdict, chain, witness, conclusion claim)."""
    if ob.decision is not None:
        d = ob.decision
        return d.verdict, ob.preamble + [s for _, s in ob.facts] + [Step(d.claim)], d.witness, d.claim
    assert ob.goal is not None, f"{ob.prop.code}: obligation without a query"
    s = _solver(limits)
    labels: list[z3.BoolRef] = []
    for i, (expr, _) in enumerate(ob.facts):
        label = z3.Bool(f"__fact{i}")
        s.assert_and_track(expr, label)
        labels.append(label)
    goal_label = z3.Bool("__goal")
    s.assert_and_track(ob.goal, goal_label)
    result = s.check()
    facts = [step for _, step in ob.facts]
    if result == z3.sat:
        m = s.model()
        witness = {name: (render(to_python(m.eval(term, model_completion=True))) if render
                          else to_python(m.eval(term, model_completion=True)))
                   for name, (term, render) in ob.shown.items()} or None
        verdict: Verdict = "violated" if ob.shape == "counterexample" else "proved"
        claim = f"{ob.goal_says} (solver: sat)"
        return verdict, ob.preamble + facts + [Step(claim)], witness, claim
    if result == z3.unsat:
        index = {lab.get_id(): i for i, lab in enumerate(labels)}
        kept = sorted(index[c.get_id()] for c in s.unsat_core() if c.get_id() in index)
        verdict = "proved" if ob.shape == "counterexample" else "violated"
        claim = (f"no counterexample: it is impossible that {ob.goal_says} (solver: unsat)"
                 if ob.shape == "counterexample" else f"impossible: {ob.goal_says} (solver: unsat)")
        return verdict, ob.preamble + [facts[i] for i in kept] + [Step(claim)], None, claim
    reason = s.reason_unknown() or "unknown"
    claim = f"solver gave no answer ({reason}); not proved"
    return "unknown", ob.preamble + facts + [Step(claim)], None, claim


def finding(ob: Obligation, limits: Limits) -> Finding:
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
