"""CNV401's Nomad part: a task group's ``count`` and ``scaling`` bounds as the server validates them
(``nomad/structs/structs.go`` ``validateScalingPolicy``; count and min default as ``api/tasks.go`` and
``api/scaling.go`` canonicalise them; docs/SEMANTICS.md#nomad)."""

from __future__ import annotations

from collections.abc import Callable

import z3
from cnverify.model.nomad import TaskGroup
from cnverify.obligation import Obligation

RULES = (
    ("maximum count must be specified and non-negative", lambda c, lo, hi: hi < 0),
    ("minimum count must be specified and non-negative", lambda c, lo, hi: lo < 0),
    ("maximum count must not be less than minimum count", lambda c, lo, hi: hi < lo),
    ("task group count must not be greater than maximum count in scaling policy", lambda c, lo, hi: c > hi),
    ("task group count must not be less than minimum count in scaling policy", lambda c, lo, hi: c < lo),
)


def group_bounds(obligation: Callable[..., Obligation], g: TaskGroup) -> Obligation | None:
    """count, scaling.min and scaling.max of a group with a ``scaling`` block (None: no block, no claim)."""
    s = g.scaling
    if s is None:
        return None
    ob = obligation(g, at=s.at())
    values = [g.count, s.min, s.max]
    if any(isinstance(v, str) for v in values) or not all(isinstance(v, int | None) for v in values):
        ob.unknown("the count or scaling bounds are expressions Nomad evaluates (variables, functions)")
        return ob
    c, lo, hi = z3.Int("count"), z3.Int("scaling.min"), z3.Int("scaling.max")
    if not isinstance(s.max, int):
        ob.unknown("scaling has no max (the job file does not parse)")
        return ob
    ob.fact(hi == s.max, at=s.at("max"), says=f"scaling.max is {s.max}")
    if isinstance(g.count, int):
        ob.fact(c == g.count, at=g.at("count"), says=f"count is {g.count}")
    else:
        default = s.min if isinstance(s.min, int) else 1
        ob.fact(
            c == default,
            at=s.at("min") if isinstance(s.min, int) else g.at(),
            says=f"count is not set: it defaults to {'scaling.min' if isinstance(s.min, int) else '1'} ({default})",
        )
    if isinstance(s.min, int):
        ob.fact(lo == s.min, at=s.at("min"), says=f"scaling.min is {s.min}")
    else:
        ob.fact(lo == c, at=s.at(), says="scaling.min is not set: it defaults to the count")
    ob.counterexample(z3.Or(*(rule(c, lo, hi) for _, rule in RULES)), says="Nomad's scaling policy validation fails")
    for name, term in (("count", c), ("scaling.min", lo), ("scaling.max", hi)):
        ob.show(name, term)

    def violated(w: dict[str, int]) -> str:
        failed = [text for text, rule in RULES if rule(w["count"], w["scaling.min"], w["scaling.max"])]
        return f"Scaling policy invalid: {failed[0]}" + (" (the server rejects the job)" if failed else "")

    ob.on(violated=violated, proved=lambda _: "scaling.min ≤ count ≤ scaling.max holds")
    return ob
