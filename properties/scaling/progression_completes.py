"""CNV406 progression-completes."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.model.flagger import DEFAULT_PROVIDER, Canary, CanaryAnalysis
from cnverify.obligation import Obligation
from cnverify.proof import Verdict
from cnverify.properties._shared.scaling.progression_facts import encode
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.flagger.progression import Weights, progress


@register
class ProgressionCompletes(Property):
    """
    ## What it proves
    Every Flagger Canary's analysis reaches promotion when every check passes, and its canary weight never
    exceeds the limit it declares. Progressive canaries are evaluated step by step as Flagger's scheduler
    computes them: the weight grows by `stepWeight` (or to the next of `stepWeights`) after each interval,
    capped at 100, until it reaches `maxWeight` (`min(100, last of stepWeights)`; 100 when `maxWeight` is
    unset or ≤ 0); a next step ≤ 0 stops the analysis. A/B testing (`match` + `iterations`) and blue/green
    (`iterations`) promote after `iterations` checks; `skipAnalysis` promotes at once; a suspended Canary is
    `unknown` (Flagger does not run it).

    ## Why it matters
    The Canary CRD puts no bounds on the weights and Flagger has no admission webhook: `stepWeight: 0`, a
    non-increasing `stepWeights` list (`[5, 10, 8]` stops at 10) or a `maxWeight` above 100 leaves the canary
    half-rolled-out until the progress deadline rolls it back, and a `stepWeight` that does not divide
    `maxWeight` sends more traffic to the canary than declared (`maxWeight: 50, stepWeight: 20` reaches 60%).

    ## Evidence
    Violated: the weight after each interval (witness `interval k`, and the limit `maxWeight`), one chain step
    per interval, and whether the analysis stops or passes the limit. Proved: the intervals up to promotion,
    or the iteration count. Flagger's arithmetic (`nextStepWeight`, `maxWeight`, `runCanary` of
    `pkg/controller/scheduler.go`) is encoded over the located inputs and decided by exact evaluation.

    ## Example
    ```yaml
    analysis: {interval: 1m, threshold: 5, maxWeight: 50, stepWeight: 20}   # 20, 40, 60: 60 > 50
    ```

    ## Assumes
    - The cluster's Flagger runs with its default `-mesh-provider` (istio) when `spec.provider` is unset: with
      the `kubernetes` provider a progressive canary becomes blue/green with 10 iterations (an `assumes:` chain
      step).
    - Every analysis check passes (failed checks roll back, they do not change the weights).
    """

    code = "CNV406"
    name = "progression-completes"
    title = "Canary analysis reaches promotion within its declared weights"
    severity = "error"
    reads = (Canary,)
    remediation = "Use stepWeight > 0 that divides maxWeight (≤ 100), or strictly increasing stepWeights."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        for cd in ctx.snap.all(Canary):
            yield self._check(cd)

    def _check(self, cd: Canary) -> Obligation:
        a = cd.analysis
        ob = self.obligation(cd, at=a.at() if a is not None else cd.spec.at())
        if a is None:
            return self._decided(
                ob, "violated", f"Canary {cd.name} has no spec.analysis, which the CRD requires (rejected)"
            )
        if cd.spec.suspend:
            ob.note("suspend is true: Flagger skips the Canary (advanceCanary returns at once)", cd.spec.at("suspend"))
            ob.unknown(f"Canary {cd.name} is suspended: no analysis runs until spec.suspend is false")
            return ob
        if cd.spec.skip_analysis:
            ob.note("skipAnalysis is true: Flagger promotes without analysis", cd.spec.at("skipAnalysis"))
            return self._decided(ob, "proved", f"Canary {cd.name} is promoted without analysis (skipAnalysis)")
        iterations, provider = a.iterations or 0, cd.provider
        if provider == "kubernetes" and iterations < 1:
            ob.note(
                "provider kubernetes: progressive traffic is not supported, Flagger sets iterations 10",
                cd.spec.at("provider"),
            )
            iterations = 10
        if iterations > 0:
            kind = "A/B testing" if a.match and a.iterations and provider != "kubernetes" else "blue/green"
            ob.note(f"{kind}: promotion after {iterations} successful checks", a.at("iterations"))
            return self._decided(
                ob, "proved", f"{kind} Canary {cd.name} is promoted after {iterations} checks", iterations
            )
        if provider is None:
            ob.assume(
                f"the cluster's Flagger -mesh-provider is {DEFAULT_PROVIDER} (the default), not kubernetes",
                cd.spec.at(),
            )
        return self._progressive(ob, cd, a)

    def _decided(self, ob: Obligation, verdict: Verdict, claim: str, iterations: int | None = None) -> Obligation:
        ob.decide(verdict, claim, witness={"iterations": iterations} if iterations is not None else None)
        ob.on(violated=claim) if verdict == "violated" else ob.on(proved=claim)
        return ob

    def _progressive(self, ob: Obligation, cd: Canary, a: CanaryAnalysis) -> Obligation:
        w = Weights(a.max_weight, a.step_weight, tuple(a.step_weights or ()))
        limit, run = w.limit, progress(w)
        encode(ob, a, run)
        shown = ", ".join(map(str, run.weights)) or "none"
        if run.stalled_step is not None:
            why = (
                f"stops at weight {run.final} (weights {shown}): the next step is {run.stalled_step} ≤ 0, no promotion"
            )
        elif run.capped:
            why = f"stops at weight {run.final} (weights {shown}): the limit {limit} is above 100, no promotion"
        else:
            why = f"weights {shown} pass the limit {limit} before promotion"
        ob.on(
            violated=f"Canary {cd.name}: {why}",
            proved=f"Canary {cd.name} reaches promotion at weight {run.final} (weights {shown})",
        )
        return ob
