"""CNV401 hpa-bounds."""

from __future__ import annotations

from collections.abc import Iterator

import z3
from cnverify.model import HorizontalPodAutoscaler
from cnverify.obligation import Obligation
from cnverify.registry import Property, register
from cnverify.run_context import RunContext


@register
class HpaBounds(Property):
    """
    ## What it proves
    Every HorizontalPodAutoscaler satisfies 1 ≤ minReplicas ≤ maxReplicas (minReplicas defaults to 1).

    ## Why it matters
    The API server rejects an HPA whose bounds are inverted or below one (outside the
    alpha `HPAScaleToZero` gate), so the autoscaler never exists; a manifest that renders such
    an HPA fails at apply time, often only in one environment's overlay.

    ## Evidence
    Violated: the bounds as written and which inequality fails. Proved: the bounds.

    ## Example
    ```yaml
    spec: {minReplicas: 5, maxReplicas: 3}   # violated: 5 > 3
    ```

    ## Assumes
    - The API server's validation with default feature gates (`HPAScaleToZero` off): no cluster input is read.
    """

    code = "CNV401"
    name = "hpa-bounds"
    title = "HPA replica bounds are ordered"
    severity = "error"
    reads = (HorizontalPodAutoscaler,)
    remediation = "Set 1 ≤ minReplicas ≤ maxReplicas (omit minReplicas for the default 1)."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        for hpa in snap.all(HorizontalPodAutoscaler):
            spec = hpa.spec
            lo, hi = z3.Int("minReplicas"), z3.Int("maxReplicas")
            ob = self.obligation(
                hpa, at=spec.at("minReplicas") if spec.min_replicas is not None else spec.at("maxReplicas")
            )
            if spec.min_replicas is None:
                ob.fact(lo == 1, at=spec.at(), says="minReplicas is not set and defaults to 1")
            else:
                ob.fact(lo == spec.min_replicas, at=spec.at("minReplicas"), says=f"minReplicas is {spec.min_replicas}")
            if spec.max_replicas is None:
                ob.unknown("maxReplicas is not set (the API server requires it)")
                yield ob
                continue
            ob.fact(hi == spec.max_replicas, at=spec.at("maxReplicas"), says=f"maxReplicas is {spec.max_replicas}")
            ob.counterexample(z3.Or(lo < 1, lo > hi), says="minReplicas < 1 or minReplicas > maxReplicas")
            ob.show("minReplicas", lo)
            ob.show("maxReplicas", hi)
            ob.on(
                violated=lambda w: (
                    f"minReplicas {w['minReplicas']} < 1"
                    if w["minReplicas"] < 1
                    else f"minReplicas {w['minReplicas']} > maxReplicas {w['maxReplicas']}"
                ),
                proved=lambda _: "1 ≤ minReplicas ≤ maxReplicas holds",
            )
            yield ob
