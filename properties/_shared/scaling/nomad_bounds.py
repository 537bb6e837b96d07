"""CNV401's Nomad part: a task group's ``count`` and ``scaling`` bounds as the server validates them
(``nomad/structs/structs.go`` ``validateScalingPolicy``; count and min default as ``api/tasks.go`` and
``api/scaling.go`` canonicalise them; docs/SEMANTICS.md#nomad)."""

from __future__ import annotations

from collections.abc import Callable

import z3
from cnverify.model.nomad import TaskGroup
from cnverify.obligation import Obligation
from cnverify.systems.nomad.symbolic import Terms, shown

RULES = (
    ("maximum count must be specified and non-negative", lambda c, lo, hi: hi < 0),
    ("minimum count must be specified and non-negative", lambda c, lo, hi: lo < 0),
    ("maximum count must not be less than minimum count", lambda c, lo, hi: hi < lo),
    ("task group count must not be greater than maximum count in scaling policy", lambda c, lo, hi: c > hi),
    ("task group count must not be less than minimum count in scaling policy", lambda c, lo, hi: c < lo),
)


def group_bounds(obligation: Callable[..., Obligation], g: TaskGroup) -> Obligation | None:
    """count, scaling.min and scaling.max of a group with a ``scaling`` block (None: no block, no claim); a value
    that depends on an input variable without a default holds for every value its validation allows."""
    s = g.scaling
    if s is None:
        return None
    ob = obligation(g, at=s.at())
    if s.max is None:
        ob.unknown("scaling has no max (the job file does not parse)")
        return ob
    terms = Terms(ob, g)
    written = {
        name: terms.of(value, name) if value is not None else None
        for name, value in (("count", g.count), ("scaling.min", s.min), ("scaling.max", s.max))
    }
    if terms.reason:
        ob.unknown(terms.reason)
        return ob
    c, lo, hi = z3.Int("count"), z3.Int("scaling.min"), z3.Int("scaling.max")
    ob.fact(hi == written["scaling.max"], at=s.at("max"), says=f"scaling.max is {shown(s.max)}")
    if written["count"] is not None:
        ob.fact(c == written["count"], at=g.at("count"), says=f"count is {shown(g.count)}")
    else:
        default = written["scaling.min"] if written["scaling.min"] is not None else z3.IntVal(1)
        ob.fact(
            c == default,
            at=s.at("min") if s.min is not None else g.at(),
            says="count is not set: it defaults to " + (f"scaling.min ({shown(s.min)})" if s.min is not None else "1"),
        )
    if written["scaling.min"] is not None:
        ob.fact(lo == written["scaling.min"], at=s.at("min"), says=f"scaling.min is {shown(s.min)}")
    else:
        ob.fact(lo == c, at=s.at(), says="scaling.min is not set: it defaults to the count")
    ob.counterexample(z3.Or(*(rule(c, lo, hi) for _, rule in RULES)), says="Nomad's scaling policy validation fails")
    for name, term in (("count", c), ("scaling.min", lo), ("scaling.max", hi)):
        ob.show(name, term)

    def violated(w: dict[str, int]) -> str:
        failed = [text for text, rule in RULES if rule(w["count"], w["scaling.min"], w["scaling.max"])]
        given = ", ".join(f"{k} = {v}" for k, v in w.items() if k.startswith("var."))
        return (
            "; ".join(f"Scaling policy invalid: {text}" for text in failed)
            + " (the server rejects the job)"
            + (f" when {given}" if given else "")
        )

    ob.on(violated=violated, proved=lambda _: "scaling.min ≤ count ≤ scaling.max holds")
    return ob
