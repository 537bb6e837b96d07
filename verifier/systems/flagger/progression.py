"""The traffic weights a Flagger canary analysis goes through, evaluated exactly (docs/SEMANTICS.md#flagger).

A port of fluxcd/flagger 15bd6ad5 ``pkg/controller/scheduler.go``: ``totalWeight`` (100), ``maxWeight``
(``min(100, stepWeights[-1])``, else ``maxWeight`` when > 0, else 100), ``nextStepWeight`` (``stepWeight``
when it is > 0 or no ``stepWeights`` are given; else the difference to the next listed weight after the one
equal to the current weight, ``stepWeights[0]`` from 0, ``100 − weight`` when the weight is not listed, 1 at
100), ``advanceCanary`` (the canary advances only while ``nextStepWeight > 0``) and ``runCanary`` (while the
weight is below ``maxWeight`` it grows by the step, capped at 100; at or above it the canary is promoted).
Every step that is taken raises the weight by at least 1 below 100, so at most 101 steps are evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TOTAL = 100


@dataclass(frozen=True)
class Weights:
    """What the analysis reads: ``maxWeight``, ``stepWeight``, ``stepWeights`` as written (None: unset)."""

    max_weight: int | None
    step_weight: int | None
    step_weights: tuple[int, ...] = ()

    @property
    def limit(self) -> int:
        """``maxWeight()``: the weight at which the canary is promoted."""
        if self.step_weights:
            return min(TOTAL, self.step_weights[-1])
        return self.max_weight if self.max_weight is not None and self.max_weight > 0 else TOTAL

    def step(self, weight: int) -> int:
        """``nextStepWeight(weight)``."""
        sw, step = self.step_weights, self.step_weight or 0
        if step > 0 or not sw:
            return step
        room = TOTAL - weight
        if room == 0:
            return 1
        if weight == 0:
            return min(room, sw[0])
        for i in range(len(sw) - 1):
            if sw[i] == weight:
                return min(room, sw[i + 1] - weight)
        return room


@dataclass
class Progression:
    """The canary weights after each successful interval and how the analysis ends."""

    weights: list[int] = field(default_factory=list)
    promoted: bool = False
    stalled_step: int | None = None  # the step (≤ 0) that stops the analysis, when it stops
    capped: bool = False  # the weight is held at 100 below a maxWeight above 100

    @property
    def final(self) -> int:
        return self.weights[-1] if self.weights else 0


def progress(w: Weights) -> Progression:
    """Run the analysis with every check passing: the weights it sets and whether it promotes."""
    out, weight, limit = Progression(), 0, w.limit
    for _ in range(TOTAL + 2):
        step = w.step(weight)
        if step <= 0:
            out.stalled_step = step
            return out
        if weight >= limit:
            out.promoted = True
            return out
        nxt = min(TOTAL, weight + step)
        if nxt == weight:  # held at 100 while maxWeight > 100: runCanary sets 100 again, forever
            out.capped = True
            return out
        weight = nxt
        out.weights.append(weight)
    raise AssertionError("a step below 100 always raises the weight")  # pragma: no cover
