"""CNV103 route-weights-sum-100."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction
from functools import lru_cache

import z3
from cnverify import systems
from cnverify.encodings.zterms import eq, int_const, ne
from cnverify.encodings.zterms import total as zsum
from cnverify.obligation import Obligation
from cnverify.properties._shared.routing.fraction_weights import fraction_split
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems import Share, Split


def split(shares: Sequence[Share]) -> str:
    """The effective relative split, e.g. ``reviews/v1 72.7%, reviews/v2 27.3%``."""
    total = sum(s.weight or 0 for s in shares)
    if total == 0:
        return "none: a route whose weights total 0 is rejected (Istio: 'total destination weight = 0'; Envoy: sum must be > 0)"
    return ", ".join(f"{s.label} {float(Fraction(s.weight or 0, total) * 100):.3g}%" for s in shares)


@lru_cache(maxsize=1024, typed=True)
def split_terms(
    values: tuple[int, ...], total: int
) -> tuple[tuple[z3.BoolRef, ...], z3.BoolRef, z3.BoolRef, z3.ArithRef]:
    """A split's terms: ``w<i> == value`` per destination, ``total == total``, the query ``sum != total`` and the
    sum shown. Z3 stores equal terms once, so these are the ASTs building them for each split gives; built once
    per distinct (weights, total) — one chart's canary split in every namespace."""
    ws = [int_const(f"w{i}") for i in range(len(values))]
    target = int_const("total")
    wrong = ne(zsum(ws), target) if ws else ne(target, 0)
    return (
        tuple(eq(w, v) for w, v in zip(ws, values, strict=True)),
        eq(target, total),
        wrong,
        zsum(ws) if ws else z3.IntVal(0),
    )


@register
class RouteWeightsSum100(Property):
    """
    ## What it proves
    The destination weights of each route sum to 100: Istio VirtualService routes with more than one
    destination (http, tcp and tls routes; a lone destination gets 100% whatever its weight); Knative
    Service `spec.traffic` percents; Envoy `weighted_clusters` (to `total_weight` when set, else 100).
    Gateway API weights are relative: an HTTPRoute rule with weights set must give some backendRef a
    weight above 0 (all 0: the Gateway answers 500 to every request of the rule); every TCPRoute and
    TLSRoute rule must have a backendRef with a weight above 0 (else it forwards no connection). SMI
    TrafficSplit weights are relative too (v1alpha1 quantities such as `10m`, compared exactly): some
    backend must have a weight above 0; the message states the effective split. The weights an Argo Rollout
    writes into each Istio route it manages, at every state of its update (canary `w`, stable `100 − w −`
    experiment and additional-subset weights, clamped at 0), must also sum to 100; the chain names the state. Emissary canary groups
    (Mappings with the same match): the weights must total 100 or leave the rest to unweighted Mappings;
    below 100 the rest falls through to later routes (the message names the share and where it goes),
    above 100 Emissary cannot normalize them. Linkerd HTTPRoute
    rules with two or more backendRefs: some weight above 0 (the proxy drops weight-0 backends). Consul
    ServiceSplitter weights: rounded to 0.01 they must total exactly 100.00 (Consul), and for
    consul-k8s CRDs the float32 sum must be exactly 100 (its webhook); the message says when the
    two rules disagree.
    Traefik: a route's services and a weighted TraefikService's, relative (unset = 1, non-positive ignored): some
    weight must be above 0. Contour HTTPProxy routes with several services: relative weights (all 0 or unset:
    equal; otherwise an unset weight is 0), the message states the split; a route whose every service is a
    mirror is violated (Contour answers 503). Lambda aliases (CloudFormation/SAM templates): `AdditionalVersionWeights` routes to at
    most one version besides the primary, with a `FunctionWeight` in [0, 1] (the primary gets the rest), for every
    value the template's parameters allow; a SAM function's `DeploymentPreference` at every state of its CodeDeploy
    shift (the predefined `Canary…`/`Linear…`/`AllAtOnce` types, or a `TimeBasedCanary`/`TimeBasedLinear`
    DeploymentConfig of the template): the chain lists the states, the witness names the one that breaks it.

    ## Why it matters
    A split written as 80 + 30 is a mistake in intent even where the proxy normalises it: Istio and
    Envoy now treat weights as relative (80/30 becomes 72.7%/27.3%), older Istio and Envoy with
    `total_weight` reject it, and Knative's webhook rejects any traffic block that does not sum to
    exactly 100. The message states the split the proxy will really apply.

    ## Evidence
    Violated: each weight with its line, the sum, and the effective split. Proved: the weights.

    ## Example
    ```yaml
    route:
    - {destination: {host: reviews, subset: v1}, weight: 80}
    - {destination: {host: reviews, subset: v2}, weight: 30}   # sum 110: effective 72.7% / 27.3%
    ```

    ## Assumes
    - Only the API and webhook validation of each system (Istio, Knative, Envoy; SMI: the spec's own
      semantics, "validation beyond the OpenAPI schema is left up to the implementation"): no cluster input is assumed.
    - Emissary: the canary groups of the inputs are whole (a Mapping elsewhere with the same match would join them).
    - Lambda: CodeDeploy's documented shift states (`TimeBasedLinear` increments capped at 100%); a deployment type
      that is neither predefined nor a DeploymentConfig of the template is `unknown`.
    """

    code = "CNV103"
    name = "route-weights-sum-100"
    title = "Route weights sum to 100"
    severity = "error"
    reads = tuple(k for s in systems.implementing("weighted_splits") for k in s.split_reads())
    remediation = (
        "Make the weights of the route's destinations add up to exactly 100 (a Lambda alias: one additional version "
        "at most, its FunctionWeight in [0, 1])."
    )

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        for system in systems.implementing("weighted_splits"):
            for sp in system.weighted_splits(snap):
                if sp.rule == "lone":
                    yield self._lone(sp)
                elif sp.rule == "relative":
                    yield self._gateway_rule(sp)
                elif sp.rule == "fraction":
                    yield fraction_split(self.obligation(sp.subject, at=sp.at, path=sp.path), sp)
                else:
                    yield self._check(sp)

    def _lone(self, sp: Split) -> Obligation:
        """Istio checks the total only with several destinations (validateHTTPRouteDestinations) and routes a
        lone one straight to its cluster (route.go applyHTTPRouteDestination): it gets 100% whatever its weight."""
        ob = self.obligation(sp.subject, at=sp.at, path=sp.path)
        dest = sp.shares[0]
        ob.note(f"{dest.label} has weight {dest.weight}, the route's only destination", dest.at)
        claim = f"{dest.label} is the only destination: it receives 100% of the route's traffic whatever its weight"
        ob.decide("proved", claim)
        ob.on(proved=claim, violated=claim)
        return ob

    def _gateway_rule(self, sp: Split) -> Obligation:
        """Gateway API weights are relative (shared_types.go BackendRef.Weight, default 1); a rule whose
        backendRefs all weigh 0 forwards nothing and answers 500 (Istio conversion.go: direct response 500).
        A TCPRoute/TLSRoute rule is checked whether or not weights are set: with all weights 0, or with no
        backendRef, it forwards no connection (the Gateway rejects or resets connections the rule accepts)."""
        ob = self.obligation(sp.subject, at=sp.at, path=sp.path)
        refs, i = sp.shares, sp.index
        ws = [int_const(f"w{k}") for k in range(len(refs))]
        for w, r in zip(ws, refs, strict=True):
            value = 1 if r.weight is None else r.weight
            ob.fact(
                eq(w, value),
                at=r.at,
                says=f"{sp.noun} {r.label} has weight {r.written or value}"
                + (" (unset: the default is 1)" if r.weight is None else ""),
            )
        total = zsum(ws) if ws else z3.IntVal(0)
        ob.counterexample(
            eq(total, 0), says=f"every {sp.noun} of the rule has weight 0" if refs else f"the rule has no {sp.noun}s"
        )
        ob.show("sum", total)
        shares = [Share(r.label, 1 if r.weight is None else r.weight, r.node_at or r.at) for r in refs]
        if sp.effect:  # another system's relative weights (SMI TrafficSplit): its own consequence
            ob.on(violated=f"every {sp.noun} has weight 0: {sp.effect}", proved=f"split: {split(shares)}")
            return ob
        if sp.l4:
            what = f"every backendRef of rules[{i}] has weight 0" if refs else f"rules[{i}] has no backendRefs"
            ob.on(
                violated=f"{what}: no connection is forwarded and the Gateway rejects every connection the "
                "rule accepts",
                proved=f"split: {split(shares)}",
            )
            return ob
        ob.on(
            violated=f"every backendRef of rules[{i}] has weight 0: no request is forwarded and the Gateway answers "
            "500 to every request the rule matches",
            proved=f"split: {split(shares)}",
        )
        return ob

    def _check(self, sp: Split) -> Obligation:
        ob = self.obligation(sp.subject, at=sp.at, path=sp.path)
        shares, total, field = sp.shares, sp.total, sp.field
        weights = tuple(s.weight or 0 for s in shares)
        weighs, sums_to, wrong, shown = split_terms(weights, total)
        for fact, s, value in zip(weighs, shares, weights, strict=True):
            ob.fact(fact, at=s.at, says=f"{s.label} has {field} {value}" + (" (unset)" if s.weight is None else ""))
        ob.fact(
            sums_to,
            at=sp.total_at or sp.at,
            says=f"total_weight is {total}" if sp.total_at else f"the {field}s must sum to {total}",
        )
        written = sum(s.weight or 0 for s in shares)
        effect = "" if written == total else sp.effect or f"effective split: {split(shares)}"  # only shown then
        fails = [f"{field}s sum to {written}, not {total}; {effect}"] if written != total else []
        if sp.also:  # other validators of the same weights (the consul-k8s webhook's float32 sum)
            values = [z3.Real(f"rule{k}") for k in range(len(sp.also))]
            for v, rule in zip(values, sp.also, strict=True):
                ob.fact(v == z3.RealVal(f"{rule.value.numerator}/{rule.value.denominator}"), at=rule.at, says=rule.says)
            wrong = z3.Or(
                wrong,
                *(
                    v != z3.RealVal(f"{r.must.numerator}/{r.must.denominator}")
                    for v, r in zip(values, sp.also, strict=True)
                ),
            )
            fails += [r.fails for r in sp.also if r.value != r.must]
        ob.counterexample(
            wrong, says=f"the {field}s do not sum to {total}" + (" or another rule fails" if sp.also else "")
        )
        ob.show("sum", shown)
        ob.on(
            violated=lambda _: "; ".join(fails) or f"{field}s do not sum to {total}",
            proved=lambda _: f"{field}s sum to {total}: {split(shares)}" + "".join(f"; {r.says}" for r in sp.also),
        )
        return ob
