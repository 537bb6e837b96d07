"""CNV406's facts: Flagger's weight arithmetic (scheduler.go) as Z3 terms over the Canary's inputs.

The inputs are located facts (``maxWeight``, ``stepWeight``, each ``stepWeights`` entry; an unset field is Go's
zero value); each interval is one fact ``w_k == next(w_{k-1})`` written with ``maxWeight``/``nextStepWeight``/
``runCanary`` as Z3 terms, so the engine decides the obligation (exact evaluation, else the solver) and
``--certify`` re-checks it.  How many intervals to unroll comes from the Python evaluation
(``cnverify.systems.flagger.progression``); the query also fails unless the last interval is a fixpoint, so
a count too small could only give a violation, never a false proof.
"""

from __future__ import annotations

import z3
from cnverify.model.flagger import CanaryAnalysis
from cnverify.obligation import Obligation
from cnverify.systems.flagger.progression import TOTAL, Progression


def _min(a: z3.ArithRef, b: z3.ArithRef | int) -> z3.ArithRef:
    return z3.If(a < b, a, b)


def encode(ob: Obligation, a: CanaryAnalysis, run: Progression) -> None:
    """Add the input facts, one fact per interval and the counterexample "not promoted, or past the limit"."""
    mw, s = z3.Int("maxWeight"), z3.Int("stepWeight")
    ob.fact(mw == (a.max_weight or 0), at=a.at("maxWeight"), says=f"maxWeight is {a.max_weight or '0 (unset)'}")
    ob.fact(s == (a.step_weight or 0), at=a.at("stepWeight"), says=f"stepWeight is {a.step_weight or '0 (unset)'}")
    sw = [z3.Int(f"stepWeights[{i}]") for i in range(len(a.step_weights or []))]
    for i, (v, value) in enumerate(zip(sw, a.step_weights or [], strict=True)):
        ob.fact(v == value, at=a.at("stepWeights", i), says=f"stepWeights[{i}] is {value}")
    limit = _min(sw[-1], TOTAL) if sw else z3.If(mw > 0, mw, TOTAL)

    def step(c: z3.ArithRef) -> z3.ArithRef:
        if not sw:
            return s
        room = TOTAL - c
        listed: z3.ArithRef = room
        for i in reversed(range(len(sw) - 1)):  # the first listed weight equal to c decides
            listed = z3.If(sw[i] == c, _min(room, sw[i + 1] - c), listed)
        return z3.If(s > 0, s, z3.If(room == 0, 1, z3.If(c == 0, _min(room, sw[0]), listed)))

    weight: z3.ArithRef = z3.IntVal(0)
    where = a.at("stepWeights") if sw else a.at("stepWeight")
    shown = [0, *run.weights, run.final]
    for k in range(1, len(run.weights) + 2):
        nxt = z3.Int(f"weight after interval {k}")
        grown = weight + step(weight)
        ob.fact(
            nxt == z3.If(z3.And(weight < limit, step(weight) > 0), _min(grown, TOTAL), weight),
            at=where,
            says=f"interval {k}: canary weight {shown[k - 1]} → {shown[k]}"
            + (
                " (no further step: runCanary promotes or nextStepWeight ≤ 0 stops it)"
                if shown[k] == shown[k - 1]
                else ""
            ),
        )
        weight = nxt
        ob.show(f"interval {k}", nxt)
    ob.show("maxWeight", limit)
    settled = z3.Or(weight >= limit, step(weight) <= 0, _min(weight + step(weight), TOTAL) == weight)
    promoted = z3.And(weight >= limit, step(weight) > 0)
    ob.counterexample(
        z3.Or(z3.Not(settled), z3.Not(promoted), weight > limit),
        says="the analysis stops before promotion or the canary weight passes the limit",
    )
