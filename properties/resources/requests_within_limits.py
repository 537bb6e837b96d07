"""CNV301 requests-within-limits."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import z3
from cnverify.encodings import zterms as zt
from cnverify.encodings.quantity import format_milli
from cnverify.encodings.resource_names import is_overcommittable
from cnverify.encodings.resources import EffectiveContainer
from cnverify.model import WORKLOAD_KINDS, LimitRange, Resource, template_known
from cnverify.model.nomad import TaskGroup
from cnverify.obligation import Obligation
from cnverify.opaque import Opaque
from cnverify.properties._shared.resources.effective import containers_of, value_term
from cnverify.properties._shared.resources.nomad_memory import task_memory
from cnverify.properties._shared.terms import Terms, once, run_terms
from cnverify.registry import Property, register
from cnverify.run_context import RunContext


def problems(ec: EffectiveContainer) -> dict[str, str]:
    """Plain-Python evaluation: resource → why its effective request/limit breaks request ≤ limit (= limit
    without over-commit), docs/SEMANTICS.md#container-resources."""
    out = {}
    for r in sorted(ec.requests):
        req, lim = ec.requests[r], ec.limits.get(r)
        if lim is None:
            if not is_overcommittable(r):
                out[r] = f"{r} request {req.text(r)} has no limit ({r} cannot be overcommitted)"
        elif is_overcommittable(r) and req.milli > lim.milli:
            out[r] = f"{r} request {req.text(r)} > limit {lim.text(r)}" + (
                " (limit from a LimitRange default)" if lim.origin == "limitrange" else ""
            )
        elif not is_overcommittable(r) and req.milli != lim.milli:
            out[r] = f"{r} request {req.text(r)} ≠ limit {lim.text(r)} ({r} needs request = limit)"
    return out


def _exceeds(how: str, has: z3.BoolRef, req: z3.ArithRef, lim: z3.ArithRef) -> z3.BoolRef:
    """The bad thing for one resource: no limit (``none``), request above it (``gt``) or not equal (``ne``)."""
    return zt.neg(has) if how == "none" else zt.gt(req, lim) if how == "gt" else zt.ne(req, lim)


@register
class RequestsWithinLimits(Property):
    """
    ## What it proves
    For every container and init container of every workload and Pod, and every resource, the
    effective request is at most the limit (extended resources and hugepages: request = limit, and
    such a request needs a limit), comparing exact quantities in milli-units after the API's
    defaulting: a missing request taken from the limit, LimitRange `default`/`defaultRequest` filled in.
    A Nomad task's `memory_max` is 0 or at least its `memory` (300 MB when unset), for every value the
    `validation` of the input variables they depend on allows.

    ## Why it matters
    The API server rejects a pod template whose request exceeds its limit, and it rejects every pod
    whose LimitRange default limit falls below the request the container wrote: the Deployment is
    accepted but no pod is ever created.

    ## Evidence
    Violated: the request line, the limit line (or the LimitRange line that supplied the limit) and
    the comparison. Proved: the values compared.

    ## Example
    ```yaml
    resources: {requests: {cpu: "2"}}     # LimitRange default cpu: 1 → limit 1 < request 2
    ```

    ## Assumes
    - The LimitRanger admission plugin is enabled (it is in the default set) and the namespace's LimitRanges
      are those in the inputs.
    - No mutating webhook (e.g. the VPA admission controller) rewrites resources: not in the inputs, not read.
    """

    code = "CNV301"
    name = "requests-within-limits"
    title = "Container requests within limits"
    severity = "error"
    reads = (*WORKLOAD_KINDS, LimitRange)
    remediation = (
        "Raise the limit (or the LimitRange default) or lower the request; extended resources need request = limit."
    )

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap, terms = ctx.snap, run_terms(ctx)
        for kind in WORKLOAD_KINDS:
            for w in snap.all(kind):
                if isinstance(w, TaskGroup) and not template_known(w):  # values from input variables
                    yield from task_memory(self.obligation, w)
                    continue
                if not template_known(w):
                    yield self._unknown_template(snap.pod_creators(w.namespace), w)
                    continue
                for ec in containers_of(ctx, w):
                    yield self._check(w, ec, terms)

    def _unknown_template(self, creators: list[Opaque], w: Resource) -> Obligation:
        """A workload whose containers are not in the inputs (an unresolved Rollout workloadRef, an OpenFaaS
        function whose values come from the deploy environment): ``unknown``, never a silent pass."""
        ob = self.obligation(w, at=w.at())
        who = next((o.who for o in creators if (o.kind, o.name) == (w.KIND, w.name)), f"the controller of {w.ref}")
        ob.unknown(f"its containers are not known: {who}")
        return ob

    def _check(self, w: object, ec: EffectiveContainer, terms: Terms) -> Obligation:
        ob = self.obligation(w, at=ec.container.at(), path=ec.path)  # type: ignore[arg-type]
        if ec.unknown:
            ob.unknown(ec.unknown)
            return ob
        found = problems(ec)
        bad, hows = [], []
        for r in sorted(found or ec.requests):  # a violation cites only the failing resources
            if r not in ec.limits and is_overcommittable(r):
                continue  # a request without a limit is unbounded above
            _, req = value_term(
                ob, f"requests.{r}", ec.requests[r], missing_at=ec.container, missing_says="", terms=terms
            )
            has, lim = value_term(
                ob,
                f"limits.{r}",
                ec.limits.get(r),
                missing_at=ec.container.at("resources"),
                missing_says=f"{ec.label} sets no {r} limit and no LimitRange default supplies one",
                terms=terms,
            )
            how = "none" if r not in ec.limits else "gt" if is_overcommittable(r) else "ne"
            bad.append(once(terms, ("requests.bad", r, how), _exceeds, how, has, req, lim))
            hows.append((r, how))
            ob.show(f"requests.{r}", req, partial(format_milli, resource=r))
            if r in ec.limits:
                ob.show(f"limits.{r}", lim, partial(format_milli, resource=r))
        if not bad:
            ob.decide("proved", f"{ec.label} has no resource with both a request and a limit to compare")
            ob.on(proved=f"{ec.label}: no request has a limit to exceed")
            return ob
        ob.counterexample(
            once(terms, ("requests.bad", *hows), zt.disj, bad),
            says="some request exceeds its limit (or differs from it, or lacks one, "
            "for a resource that cannot be overcommitted)",
        )
        ob.on(
            violated=f"{ec.label}: " + "; ".join(found.values()),
            proved=f"{ec.label}: every request is within its limit",
        )
        return ob
