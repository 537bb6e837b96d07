"""CNV404 pdb-allows-disruption."""

from __future__ import annotations

import re
from collections.abc import Iterator

import z3
from cnverify.encodings import zterms as zt
from cnverify.encodings.labels import (
    NIL_EMPTY,
    UnsupportedSelector,
    selector_keys,
    selector_matcher,
    selector_matches,
)
from cnverify.encodings.pod_creators import may_select
from cnverify.model import (
    WORKLOAD_KINDS,
    Deployment,
    HorizontalPodAutoscaler,
    PodDisruptionBudget,
    ReplicaSet,
    Resource,
    Rollout,
    StatefulSet,
)
from cnverify.obligation import Obligation
from cnverify.properties._shared.namespaces import namespace_view
from cnverify.properties._shared.owners import unowned
from cnverify.properties._shared.replicas import replica_range
from cnverify.properties._shared.scaling.rollout_states import labelled_pods, selected_pods
from cnverify.properties._shared.selectors.pods import dynamic_keys
from cnverify.properties._shared.terms import Terms, named_int, once, run_terms
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.snapshot import Snapshot

# controllers with a scale the disruption controller reads; a Rollout's pods are owned by ReplicaSets it controls,
# which the controller reads directly (disruption.go getPodReplicaSet: only a Deployment's ReplicaSets are skipped)
SCALED = (Deployment, StatefulSet, ReplicaSet, Rollout)
PERCENT = re.compile(r"([0-9]+)%")


def budget(pdb: PodDisruptionBudget) -> tuple[str, int | None, bool] | str:
    """``(field, value, percent)`` of the budget (``("none", None, False)`` if unset), or why it is invalid."""
    spec = pdb.spec
    if spec.min_available is not None and spec.max_unavailable is not None:
        return "minAvailable and maxUnavailable are both set (the API server rejects the budget)"
    fld, raw = (
        ("minAvailable", spec.min_available)
        if spec.min_available is not None
        else ("maxUnavailable", spec.max_unavailable)
        if spec.max_unavailable is not None
        else ("none", None)
    )
    if raw is None:
        return fld, None, False
    if isinstance(raw, int):
        return (fld, raw, False) if raw >= 0 else f"{fld} {raw} is negative (rejected)"
    m = PERCENT.fullmatch(raw)
    if m is None or len(m.group(1)) > 10 or int(m.group(1)) > 100:  # (no int() of thousands of digits)
        return f"{fld} {raw!r} is not an integer or a percentage ≤ 100% (rejected)"
    return fld, int(m.group(1)), True


def allowed(fld: str, value: int | None, percent: bool, pods: int) -> tuple[int, int]:
    """Plain-Python disruption controller with every pod healthy: ``(desiredHealthy, disruptionsAllowed)``."""
    expected = 0 if fld == "none" else pods
    scaled = -(-(value or 0) * expected // 100) if percent else (value or 0)
    desired = scaled if fld == "minAvailable" else max(0, expected - scaled) if fld == "maxUnavailable" else 0
    return desired, 0 if expected <= 0 or pods - desired <= 0 else pods - desired


def _rule(fld: str, value: int | None, percent: bool) -> tuple[list[z3.BoolRef], z3.BoolRef, z3.BoolRef]:
    """The disruption controller's arithmetic for a budget ``(field, value, percent)``, the same for every
    budget of that shape: the rule after ``pods == Σ counts``, the ``disruptionsAllowed`` fact, and the goal."""
    pods, expected, desired, scaled, ok = map(
        zt.int_const, ("pods", "expected", "desiredHealthy", "scaled", "disruptionsAllowed")
    )
    rule = [zt.eq(expected, 0 if fld == "none" else pods)]
    if percent:  # 100 * scaled >= value * expected, 100 * scaled < value * expected + 100
        share = zt.mul(value, expected)
        rule += [zt.ge(zt.mul(100, scaled), share), zt.lt(zt.mul(100, scaled), zt.add(share, 100))]
    else:
        rule.append(zt.eq(scaled, value or 0))
    rule.append(
        zt.eq(
            desired,
            scaled
            if fld == "minAvailable"
            else zt.ite(zt.gt(zt.sub(expected, scaled), 0), zt.sub(expected, scaled), 0)
            if fld == "maxUnavailable"
            else 0,
        )
    )
    spare = zt.sub(pods, desired)
    allowed = zt.eq(ok, zt.ite(zt.disj([zt.le(expected, 0), zt.le(spare, 0)]), 0, spare))
    return rule, allowed, zt.conj([zt.ge(pods, 1), zt.le(ok, 0)])


def _total(pods: z3.ArithRef, counts: list[z3.ArithRef], rule: list[z3.BoolRef]) -> z3.BoolRef:
    """``pods == Σ counts`` and the rule."""
    return zt.conj([zt.eq(pods, zt.total(counts)), *rule])


@register
class PdbAllowsDisruption(Property):
    """
    ## What it proves
    At every replica count the workloads a PodDisruptionBudget selects can run (HPA range, `spec.replicas`,
    0 for a disabled HPA) with at least one pod, the budget allows at least one voluntary disruption, with
    the disruption controller's arithmetic: percentages round up for both fields, an integer
    `minAvailable` counts matching pods, `maxUnavailable` and percentages use the expected (scaled) count,
    and a budget with neither field computes an expected count of 0 and allows nothing. An Argo Rollout's pods
    are counted at every state of its update (each step, transition, abort and promotion, as the controller
    sizes its stable and canary ReplicaSets), by role: a selector that reads `canaryMetadata`/`stableMetadata`
    (blue-green: `previewMetadata`/`activeMetadata`) labels picks only that role's pods; the witness names the state.

    ## Why it matters
    A budget that allows no disruption blocks `kubectl drain`, cluster upgrades and autoscaler scale-down
    for as long as the replica count sits there, typically at the HPA minimum.

    ## Evidence
    Violated: the replica assignment where disruptionsAllowed is 0. Proved: the budget and the ranges.
    A budget selecting no pods is left to CNV205; DaemonSet/Job pods and bare Pods under a
    scale-based budget are `unknown`.

    ## Example
    ```yaml
    spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}   # HPA minReplicas 2 → 0 allowed
    ```

    ## Assumes
    - The pods a budget selects come from the workloads of the inputs; unmodelled pod creators make a proof
      `unknown`.
    - Every pod is healthy in the reachable states (disruptions already in progress are not modelled).
    """

    code = "CNV404"
    name = "pdb-allows-disruption"
    title = "PodDisruptionBudget allows a disruption"
    severity = "error"
    reads = (PodDisruptionBudget, *WORKLOAD_KINDS, HorizontalPodAutoscaler)
    remediation = (
        "Lower minAvailable (or raise maxUnavailable) so that at least one pod may be evicted at the HPA minimum."
    )
    closed_world = frozenset({"proved", "violated"})  # absent here may be in an unread document

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        terms = run_terms(ctx)
        snap.all(HorizontalPodAutoscaler)
        for kind in WORKLOAD_KINDS:
            snap.all(kind)
        for pdb in snap.all(PodDisruptionBudget):
            nil_m, empty_m = NIL_EMPTY["pdb-v1" if pdb.selects_all_when_empty else "pdb-v1beta1"]
            sel = pdb.spec.selector
            ob = self.obligation(
                pdb,
                at=pdb.spec.at("minAvailable") if pdb.spec.min_available is not None else pdb.spec.at("maxUnavailable"),
            )
            try:
                keys = selector_keys(sel)
                view = namespace_view(snap, pdb.namespace)
                matches = selector_matcher(sel, nil_matches=nil_m, empty_matches=empty_m)  # parsed once per budget
                chosen = [w for w, sets in labelled_pods(ctx, view, pdb.namespace) if any(map(matches, sets))]
            except UnsupportedSelector as exc:
                ob.unknown(str(exc))
                yield ob
                continue
            if not chosen:
                continue  # CNV205 reports a budget that selects nothing
            chosen = unowned(snap, chosen)  # a kubectl dump's ReplicaSets and Pods count through their owner
            others = may_select([sel], snap.pod_creators(pdb.namespace)) if sel is not None else []
            if others:
                ob.unknown(
                    f"{'; '.join(o.who for o in others[:3])} may run pods (not modelled) this budget also counts"
                )
                yield ob
                continue
            yield self._check(view, ob, pdb, chosen, keys, terms)

    def _check(
        self,
        snap: Snapshot,
        ob: Obligation,
        pdb: PodDisruptionBudget,
        chosen: list[Resource],
        keys: set[str],
        terms: Terms,
    ) -> Obligation:
        b = budget(pdb)
        if isinstance(b, str):
            ob.unknown(b)
            return ob
        fld, value, percent = b
        for w in chosen:
            dyn = keys & dynamic_keys(w)
            if dyn:
                ob.unknown(
                    f"the selector reads {', '.join(sorted(dyn))}, which the {w.KIND} controller sets at runtime"
                )
                return ob
            if (fld == "maxUnavailable" or percent) and not isinstance(w, SCALED):
                ob.unknown(f"{w.ref} has no scale the disruption controller can read for {fld} {value}{'%' * percent}")
                return ob
        pods = named_int(terms, "pods")
        counts = []
        names: list[str] | None = []  # the counts' names while every count is a workload's (no Rollout's states)
        for w in chosen:
            rng = replica_range(snap, w)
            if rng.unknown:
                ob.unknown(f"{w.ref}: {rng.unknown}")
                return ob
            name = f"{w.KIND}/{w.name}"
            n = named_int(terms, name)
            within = once(terms, ("pdb.count", name, rng.low, rng.high), rng.constraint, n)
            ob.fact(within, at=rng.why[-1][1], says=f"{w.ref} (selected): " + "; ".join(s for s, _ in rng.why))
            ob.show(f"{w.KIND}/{w.name}", n)
            if isinstance(w, Rollout):  # the pods of each reachable update state, by role
                picks = selected_pods(ob, w, n, rng.low, rng.high, lambda labels: self._selects(pdb, labels))
                if isinstance(picks, str):
                    ob.unknown(picks)
                    return ob
                counts.append(picks)
                names = None
                continue
            counts.append(n)
            if names is not None:
                names.append(name)
        desired, ok = named_int(terms, "desiredHealthy"), named_int(terms, "disruptionsAllowed")
        rule, allowed, goal = once(terms, ("pdb.rule", fld, value, percent), lambda: _rule(fld, value, percent))
        what = (
            f"{fld} {value}{'%' * percent}" + (" of the expected pods, rounded up" if percent else "")
            if fld != "none"
            else "neither minAvailable nor maxUnavailable: the expected count is 0"
        )
        rules = (  # the same term for every budget of this rule over counts of these names
            once(terms, ("pdb.total", tuple(names), fld, value, percent), _total, pods, counts, rule)
            if names is not None
            else _total(pods, counts, rule)
        )
        ob.fact(rules, at=pdb.spec.at(fld) if fld != "none" else pdb.spec.at(), says=what)
        ob.fact(
            allowed,
            at=pdb.at("kind"),
            says="disruptionsAllowed = healthy pods − desiredHealthy (0 when the expected count is 0); all pods healthy",
        )
        ob.counterexample(goal, says="at a reachable count with pods, no disruption is allowed")
        for name, term in (("pods", pods), ("desiredHealthy", desired), ("disruptionsAllowed", ok)):
            ob.show(name, term)

        def blocked(w: dict[str, int]) -> str:
            at, n, d = ", ".join(f"{k}={v}" for k, v in w.items() if "/" in k), w["pods"], w["desiredHealthy"]
            why = {
                ("minAvailable", False): f"minAvailable {value} needs {d} of {n} pods healthy",
                ("minAvailable", True): f"minAvailable {value}% of {n} pods rounds up to {d}",
                ("maxUnavailable", False): f"maxUnavailable {value} keeps all {d} of {n} pods",
                ("maxUnavailable", True): f"maxUnavailable {value}% of {n} pods keeps {d}",
                ("none", False): "a budget without minAvailable/maxUnavailable expects 0 pods",
            }[(fld, percent)]
            return f"at {at} ({n} pod{'s' * (n != 1)}): {why}, so no eviction or drain is allowed"

        ob.on(violated=blocked, proved=f"{what}: at least one disruption is allowed at every reachable replica count")
        return ob

    @staticmethod
    def _selects(pdb: PodDisruptionBudget, labels: dict[str, str]) -> bool:
        nil_m, empty_m = NIL_EMPTY["pdb-v1" if pdb.selects_all_when_empty else "pdb-v1beta1"]
        return selector_matches(pdb.spec.selector, labels, nil_matches=nil_m, empty_matches=empty_m)
