"""CNV403 hpa-metrics-resolvable."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import z3
from cnverify.encodings import zterms as zt
from cnverify.encodings.resources import EffectiveContainer, pod_level_resources
from cnverify.errors import Span
from cnverify.model import (
    Deployment,
    HorizontalPodAutoscaler,
    LimitRange,
    ReplicaSet,
    Resource,
    Rollout,
    StatefulSet,
    template_known,
)
from cnverify.model.base import group_of
from cnverify.obligation import Obligation
from cnverify.properties._shared.resources.effective import containers_of
from cnverify.properties._shared.terms import Terms, once, run_terms
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.snapshot import Snapshot

SCALABLE = {cls.KIND: cls for cls in (Deployment, StatefulSet, ReplicaSet, Rollout)}
DEFAULT_CPU_UTILIZATION = 80  # autoscaling/v2 defaults.go (and v1 conversion) when no metric is given


@dataclass(frozen=True)
class UtilizationMetric:
    """A Resource/ContainerResource metric whose target is a utilization percentage."""

    resource: str
    container: str | None
    percent: int
    at: Span
    path: str | None
    says: str


def utilization_metrics(hpa: HorizontalPodAutoscaler) -> list[UtilizationMetric]:
    """Every utilization metric of ``hpa`` as the controller reads it (v1, v2beta1, v2beta2, v2)."""
    spec = hpa.spec
    if hpa.api_version.endswith("/v1"):
        pct = spec.target_cpu_utilization_percentage
        if pct is None:
            return [
                UtilizationMetric(
                    "cpu",
                    None,
                    DEFAULT_CPU_UTILIZATION,
                    spec.at(),
                    None,
                    "no targetCPUUtilizationPercentage: the HPA defaults to cpu utilization 80%",
                )
            ]
        return [
            UtilizationMetric(
                "cpu",
                None,
                pct,
                spec.at("targetCPUUtilizationPercentage"),
                None,
                f"the HPA targets cpu utilization {pct}%",
            )
        ]
    if not spec.metrics:
        return [
            UtilizationMetric(
                "cpu",
                None,
                DEFAULT_CPU_UTILIZATION,
                spec.at(),
                None,
                "no metrics: the HPA defaults to one Resource metric, cpu utilization 80%",
            )
        ]
    out = []
    for i, m in enumerate(spec.metrics):
        src = m.resource if m.type == "Resource" else m.container_resource if m.type == "ContainerResource" else None
        if src is None:
            continue
        value = src.target.average_value if src.target else src.target_average_value
        util = src.target.average_utilization if src.target else src.target_average_utilization
        if value is not None or util is None:  # averageValue wins at runtime and needs no request
            continue
        container = getattr(src, "container", None) if m.type == "ContainerResource" else None
        where = f" of container {container}" if container is not None else ""
        out.append(
            UtilizationMetric(
                src.name,
                container,
                util,
                spec.at("metrics", i),
                f"spec.metrics[{i}]",
                f"metric {i} targets {src.name} utilization {util}%{where}",
            )
        )
    return out


def target_of(snap: Snapshot, hpa: HorizontalPodAutoscaler) -> Resource | None:
    """The scale target when it resolves (otherwise CNV402 reports it)."""
    ref = hpa.spec.scale_target_ref
    cls = SCALABLE.get(ref.kind)
    if cls is None or (ref.api_version and group_of(ref.api_version) not in (cls.GROUP, "extensions")):
        return None
    found = snap.get(cls, hpa.namespace, ref.name)
    return found if found is not None and template_known(found) else None


def averaged(effs: list[EffectiveContainer], metric: UtilizationMetric) -> list[EffectiveContainer]:
    """The containers the controller sums requests over: app containers and sidecars (the named one)."""
    running = [ec for ec in effs if not ec.init or ec.sidecar]
    return [ec for ec in running if metric.container is None or ec.name == metric.container]


def _request(container: str, r: str, milli: int | None) -> tuple[z3.BoolRef, z3.BoolRef, z3.ArithRef]:
    """A container's request of ``r``: its Boolean "requests r", the fact fixing it (and the amount) and the amount
    the controller sums (0 without a request)."""
    has, amount = zt.bool_const(f"{container} requests {r}"), zt.int_const(f"{container} {r} request")
    fact = zt.conj([has, zt.eq(amount, milli)]) if milli is not None else zt.neg(has)
    return has, fact, zt.ite(has, amount, 0)


def _unusable(holds: list[z3.BoolRef], amounts: list[z3.ArithRef]) -> z3.BoolRef:
    """Some container lacks the request, or the requests sum to 0."""
    return zt.disj([zt.neg(zt.conj(holds)), zt.eq(zt.total(amounts), 0)])


@register
class HpaMetricsResolvable(Property):
    """
    ## What it proves
    Every `Resource`/`ContainerResource` metric of an HPA with a `Utilization` target (v2
    `averageUtilization`, v2beta1 `targetAverageUtilization`, v1 `targetCPUUtilizationPercentage`, and the
    default cpu 80% when no metric is given) has an effective request for that resource on every container
    it averages over: the app containers and sidecars of the target's pods (ContainerResource: the named
    one), after a missing request is taken from the limit and LimitRange defaults are applied; and those
    requests sum to more than 0 (the controller divides usage by the sum).

    ## Why it matters
    Utilization is usage divided by request. A container without the request makes the metric fail
    ("missing request for cpu"), and the HPA silently stops scaling on it (never down).

    ## Evidence
    Violated: the metric and each container lacking the request. Proved: the request of every container.
    An HPA whose target does not resolve is left to CNV402.

    ## Example
    ```yaml
    metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}]
    # container 'sidecar' has no cpu request → violated
    ```

    ## Assumes
    - A metrics pipeline (metrics-server) serves the resource metric: not in the inputs, not checked.
    - Requests are those of the templates after LimitRanger defaults in the inputs; no mutating webhook (VPA)
      rewrites them.
    """

    code = "CNV403"
    name = "hpa-metrics-resolvable"
    title = "HPA utilization metrics have requests"
    severity = "error"
    reads = (HorizontalPodAutoscaler, Deployment, StatefulSet, ReplicaSet, Rollout, LimitRange)
    remediation = "Set a request for the metric's resource on every container (or use an AverageValue target)."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap, terms = ctx.snap, run_terms(ctx)
        for cls in (*SCALABLE.values(), LimitRange):
            snap.all(cls)
        for hpa in snap.all(HorizontalPodAutoscaler):
            target = target_of(snap, hpa)
            if target is None:
                continue
            effs = containers_of(ctx, target)
            for metric in utilization_metrics(hpa):
                yield self._check(hpa, target, effs, metric, terms)

    def _check(
        self,
        hpa: HorizontalPodAutoscaler,
        target: Resource,
        effs: list[EffectiveContainer],
        metric: UtilizationMetric,
        terms: Terms,
    ) -> Obligation:
        ob = self.obligation(hpa, at=metric.at, path=metric.path)
        ob.note(f"{metric.says}; it scales {target.ref}", at=metric.at)
        r = metric.resource
        over = averaged(effs, metric)
        if not any(not ec.init for ec in effs):
            ob.unknown(f"the pod template of {target.ref} has no containers (the API server rejects it)")
            return ob
        if not over:
            ob.decide(
                "violated",
                f"{target.ref} has no container named {metric.container}: the metric has no request to divide by",
                witness={"container": metric.container},
            )
            ob.on(
                violated=f"{r} utilization of container {metric.container} cannot be computed: {target.ref} has "
                "no such container"
            )
            return ob
        podlevel = pod_level_resources(target)
        if podlevel and metric.container is None:  # replica_calculator uses pod-level requests when set
            ob.unknown(podlevel)
            return ob
        if any(ec.unknown for ec in over):
            ob.unknown(next(ec.unknown for ec in over if ec.unknown))
            return ob
        holds, amounts, key = [], [], []
        for ec in over:
            req = ec.requests.get(r)
            milli = None if req is None else req.milli
            has, fact, amount = once(terms, ("hpa.request", ec.name, r, milli), _request, ec.name, r, milli)
            if req is not None:
                ob.fact(fact, at=req.at, says=req.says)
            else:
                ob.fact(
                    fact,
                    at=ec.container.at("resources"),
                    says=f"{ec.label} has no {r} request (none written, no limit, no LimitRange default)",
                )
            ob.show(ec.name, has)
            holds.append(has)
            amounts.append(amount)
            key.append((ec.name, milli))
        # replica_calculator.go calculatePodRequests fails on a missing request; metrics/utilization.go
        # GetResourceUtilizationRatio fails when the requests sum to 0 ("no metrics returned matched known pods")
        ob.counterexample(
            once(terms, ("hpa.requests", r, *key), _unusable, holds, amounts),
            says=f"some averaged container lacks a {r} request, or the requests sum to 0",
        )
        missing = [ec.name for ec in over if r not in ec.requests]
        ob.on(
            violated=f"{r} utilization cannot be computed for {target.ref}: "
            + (
                f"no {r} request on container{'s' * (len(missing) > 1)} {', '.join(missing)}"
                if missing
                else f"the {r} requests of {', '.join(ec.name for ec in over)} sum to 0 (the controller divides by it)"
            ),
            proved=f"every container {r} utilization averages over in {target.ref} has a {r} request, "
            "and they sum to more than 0",
        )
        return ob
