"""CNV401 hpa-bounds."""

from __future__ import annotations

from collections.abc import Iterator

import z3
from cnverify.encodings import zterms as zt
from cnverify.model import HorizontalPodAutoscaler
from cnverify.model.nomad import TaskGroup
from cnverify.model.openfaas import FunctionResource, StackFunction
from cnverify.obligation import Obligation
from cnverify.properties._shared.scaling.nomad_bounds import group_bounds
from cnverify.properties._shared.scaling.openfaas_bounds import function_bounds
from cnverify.properties._shared.terms import once, run_terms
from cnverify.registry import Property, register
from cnverify.run_context import RunContext


def _broken(lo: z3.ArithRef, hi: z3.ArithRef) -> z3.BoolRef:
    """minReplicas < 1 or minReplicas > maxReplicas."""
    return zt.disj([zt.lt(lo, 1), zt.gt(lo, hi)])


@register
class HpaBounds(Property):
    """
    ## What it proves
    Every HorizontalPodAutoscaler satisfies 1 ≤ minReplicas ≤ maxReplicas (minReplicas defaults to 1); every
    OpenFaaS function's scale labels satisfy `com.openfaas.scale.min` ≤ `com.openfaas.scale.max` (defaults 1 and
    the edition's maximum: 5 in Community Edition, 20 in Pro); every Nomad task group with a `scaling` block
    satisfies 0 ≤ scaling.min ≤ count ≤ scaling.max (count defaults to scaling.min, else 1; min to the count).
    A Nomad bound that depends on an input variable without a default holds for every value its `validation`
    conditions allow, or the witness gives a value that breaks it.

    ## Why it matters
    The API server rejects an HPA whose bounds are inverted or below one (outside the
    alpha `HPAScaleToZero` gate), so the autoscaler never exists; a manifest that renders such
    an HPA fails at apply time, often only in one environment's overlay. OpenFaaS never checks its scale
    labels against each other: a function whose minimum exceeds its maximum is scaled back up to the minimum
    every time an alert resolves, above the ceiling it was given.

    ## Evidence
    Violated: the bounds as written and which inequality fails. Proved: the bounds.

    ## Example
    ```yaml
    spec: {minReplicas: 5, maxReplicas: 3}   # violated: 5 > 3
    ```

    ## Assumes
    - The API server's validation with default feature gates (`HPAScaleToZero` off): no cluster input is read.
    - OpenFaaS: a label that is not an integer is ignored (the default applies), as the gateway does; a stack
      file's edition is not in the inputs, so a bound that holds in one edition only is `unknown`.
    - Nomad: an input variable without a default takes any value its `validation` allows (given at `nomad job run
      -var`); without a validation block a bound that depends on it is `unknown`.
    """

    code = "CNV401"
    name = "hpa-bounds"
    title = "Autoscaler replica bounds are ordered"
    severity = "error"
    reads = (HorizontalPodAutoscaler, FunctionResource, StackFunction, TaskGroup)
    remediation = (
        "Set 1 ≤ minReplicas ≤ maxReplicas (omit minReplicas for the default 1); for an OpenFaaS function, "
        "com.openfaas.scale.min ≤ com.openfaas.scale.max; for a Nomad group, scaling.min ≤ count ≤ scaling.max."
    )

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap, terms = ctx.snap, run_terms(ctx)
        lo, hi = zt.int_const("minReplicas"), zt.int_const("maxReplicas")
        for hpa in snap.all(HorizontalPodAutoscaler):
            spec = hpa.spec
            ob = self.obligation(
                hpa, at=spec.at("minReplicas") if spec.min_replicas is not None else spec.at("maxReplicas")
            )
            if spec.min_replicas is None:
                ob.fact(
                    once(terms, ("hpa.min", 1), zt.eq, lo, 1),
                    at=spec.at(),
                    says="minReplicas is not set and defaults to 1",
                )
            else:
                ob.fact(
                    once(terms, ("hpa.min", spec.min_replicas), zt.eq, lo, spec.min_replicas),
                    at=spec.at("minReplicas"),
                    says=f"minReplicas is {spec.min_replicas}",
                )
            if spec.max_replicas is None:
                ob.unknown("maxReplicas is not set (the API server requires it)")
                yield ob
                continue
            ob.fact(
                once(terms, ("hpa.max", spec.max_replicas), zt.eq, hi, spec.max_replicas),
                at=spec.at("maxReplicas"),
                says=f"maxReplicas is {spec.max_replicas}",
            )
            ob.counterexample(
                once(terms, ("hpa.bounds",), _broken, lo, hi), says="minReplicas < 1 or minReplicas > maxReplicas"
            )
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
        for fn in [*snap.all(FunctionResource), *snap.all(StackFunction)]:
            yield function_bounds(self.obligation, fn)
        for group in snap.all(TaskGroup):
            bounds = group_bounds(self.obligation, group)
            if bounds is not None:
                yield bounds
