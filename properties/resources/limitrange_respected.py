"""CNV303 limitrange-respected."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

import z3
from cnverify.encodings import zterms as zt
from cnverify.encodings.quantity import format_milli, milli
from cnverify.encodings.resources import Supplied, pod_level_resources, pod_limits, pod_requests
from cnverify.errors import Span
from cnverify.model import WORKLOAD_KINDS, LimitRange, pod_template, template_known
from cnverify.model.base import Node
from cnverify.model.core import LimitRangeItem
from cnverify.obligation import Obligation
from cnverify.properties._shared.namespaces import namespace_view
from cnverify.properties._shared.resources.effective import containers_of, value_term
from cnverify.properties._shared.terms import Terms, once, run_terms
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.snapshot import Snapshot

FIELDS = (("min", "min"), ("max", "max"), ("max_limit_request_ratio", "maxLimitRequestRatio"))


@dataclass(frozen=True, eq=False)
class Bound:
    """One LimitRange constraint: ``min``/``max``/``maxLimitRequestRatio`` of resource ``r``."""

    lr: LimitRange
    item: LimitRangeItem
    field: str
    r: str
    v: int  # milli

    @cached_property
    def at(self) -> Span:
        """Where the bound is written (every obligation of the namespace cites it)."""
        return self.item.at(self.field, self.r)

    @cached_property
    def says(self) -> str:
        """The sentence every obligation citing the bound uses."""
        what = {"min": "at least", "max": "at most", "maxLimitRequestRatio": "limit/request at most"}[self.field]
        v = format_milli(self.v, None if self.field == "maxLimitRequestRatio" else self.r)
        return f"LimitRange {self.lr.name} ({self.item.type}) requires {self.r} {what} {v}"


def bounds(snap: Snapshot, namespace: str, kind: str) -> list[Bound]:
    """Every min/max/ratio bound of ``kind`` items (Container or Pod) in ``namespace``."""
    out = []
    for lr in snap.in_namespace(LimitRange, namespace):
        for item in lr.spec.limits:
            if item.type == kind:
                for attr, fld in FIELDS:
                    out += [Bound(lr, item, fld, r, milli(raw)) for r, raw in (getattr(item, attr) or {}).items()]
    return out


def breach(b: Bound, req: int | None, lim: int | None) -> str | None:
    """Plain-Python LimitRanger check (``minConstraint``, ``maxConstraint``, ``limitRequestRatioConstraint``)."""
    r, fmt = b.r, (lambda m: format_milli(m, b.r))
    if b.field == "min":
        if req is None:
            return f"no {r} request, but the minimum is {fmt(b.v)}"
        if req < b.v or (lim is not None and lim < b.v):
            return f"{r} {'request ' + fmt(req) if req < b.v else 'limit ' + fmt(lim or 0)} < minimum {fmt(b.v)}"
    elif b.field == "max":
        if lim is None:
            return f"no {r} limit, but the maximum is {fmt(b.v)}"
        if lim > b.v or (req is not None and req > b.v):
            return f"{r} {'limit ' + fmt(lim) if lim > b.v else 'request ' + fmt(req or 0)} > maximum {fmt(b.v)}"
    elif not req or not lim:
        return f"{r} limit/request ratio is capped at {format_milli(b.v)} but the request or limit is missing or 0"
    elif lim * 1000 > b.v * req:
        return f"{r} limit/request {fmt(lim)}/{fmt(req)} > {format_milli(b.v)}"
    return None


def encode(
    ob: Obligation,
    b: Bound,
    has_req: z3.BoolRef,
    req: z3.ArithRef,
    has_lim: z3.BoolRef,
    lim: z3.ArithRef,
    terms: Terms | None = None,
    key: Hashable = None,
) -> z3.BoolRef:
    """The located fact ``ok ⇔ bound holds``; returns ``ok``.  ``terms``: the run's term dict (``run_terms``),
    where the fact is built once per ``key`` (``bound_key``: what it is built from)."""
    if key is None:
        ok, fact = _bound(b, has_req, req, has_lim, lim)
    else:
        ok, fact = once({} if terms is None else terms, key, _bound, b, has_req, req, has_lim, lim)
    ob.fact(fact, at=b.at, says=b.says)
    return ok


def bound_key(b: Bound, req: Supplied | None, lim: Supplied | None) -> Hashable:
    """What ``encode``'s fact is built from: the bound, and whether the request and the limit are present (their
    terms are ``value_term``'s for ``requests.<r>``/``limits.<r>``)."""
    return ("limitrange.bound", b.lr.name, b.item.type, b.field, b.r, b.v, req is not None, lim is not None)


def _bound(
    b: Bound, has_req: z3.BoolRef, req: z3.ArithRef, has_lim: z3.BoolRef, lim: z3.ArithRef
) -> tuple[z3.BoolRef, z3.BoolRef]:
    ok = zt.bool_const(f"{b.lr.name}.{b.item.type}.{b.field}.{b.r}")
    if b.field == "min":
        cond = zt.conj([has_req, zt.ge(req, b.v), zt.implies(has_lim, zt.ge(lim, b.v))])
    elif b.field == "max":
        cond = zt.conj([has_lim, zt.le(lim, b.v), zt.implies(has_req, zt.le(req, b.v))])
    else:  # lim * 1000 <= b.v * req
        cond = zt.conj([has_req, zt.ne(req, 0), has_lim, zt.ne(lim, 0), zt.le(zt.mul(lim, 1000), zt.mul(b.v, req))])
    return ok, zt.same(ok, cond)


@register
class LimitRangeRespected(Property):
    """
    ## What it proves
    Every container's requests and limits (after LimitRange defaults and requests taken from limits) lie
    within the `min`/`max`/`maxLimitRequestRatio` of the namespace's LimitRange `Container` items, and each
    pod's totals (app containers and sidecars summed, max'ed with init containers) within the `Pod` items.

    ## Why it matters
    LimitRanger rejects every non-conforming pod at admission: the Deployment is accepted but its
    ReplicaSet never creates a pod ("maximum cpu usage per Container is 1, but limit is 2").

    ## Evidence
    Violated: the values that break a bound and the LimitRange line of that bound. Proved: every bound.

    ## Example
    ```yaml
    limits: [{type: Container, max: {cpu: "1"}}]   # a container with limits.cpu: 2 → violated
    ```

    ## Assumes
    - The LimitRanger admission plugin is enabled and the namespace's LimitRanges are those in the inputs.
    - No mutating webhook (e.g. the VPA admission controller) rewrites resources: not read.
    """

    code = "CNV303"
    name = "limitrange-respected"
    title = "Pods respect LimitRange bounds"
    severity = "warning"
    reads = (*WORKLOAD_KINDS, LimitRange)
    remediation = "Bring requests/limits within the LimitRange bounds (or change the LimitRange)."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap, terms = ctx.snap, run_terms(ctx)
        cache: dict[str, tuple[list[Bound], list[Bound]]] = {}
        for kind in WORKLOAD_KINDS:
            for w in snap.all(kind):
                if not template_known(w):
                    continue  # its pods are a pod creator's (unknown template)
                if w.namespace not in cache:
                    view = namespace_view(snap, w.namespace)
                    cache[w.namespace] = (bounds(view, w.namespace, "Container"), bounds(view, w.namespace, "Pod"))
                per_container, per_pod = cache[w.namespace]
                if not per_container and not per_pod:
                    continue
                effs = containers_of(ctx, w)
                for ec in effs if per_container else []:
                    ob = self.obligation(w, at=ec.container.at(), path=ec.path)
                    yield self._check(
                        ob, ec.label, ec.requests, ec.limits, per_container, ec.container, ec.unknown, terms
                    )
                if per_pod:
                    spec = pod_template(w).spec
                    ob = self.obligation(w, at=spec.at("containers"), path=spec.path_str)
                    reqs, lims = pod_requests(effs, spec.overhead), pod_limits(effs, spec.overhead)
                    at = spec.at("containers")
                    totals = [
                        (
                            {
                                r: Supplied(
                                    v,
                                    at,
                                    f"the pod's effective {r} {kind} is {format_milli(v, r)} "
                                    "(containers and sidecars summed, max'ed with init containers)",
                                )
                                for r, v in vals.items()
                            }
                        )
                        for kind, vals in (("request", reqs), ("limit", lims))
                    ]
                    unknown = pod_level_resources(w) or next((ec.unknown for ec in effs if ec.unknown), None)
                    yield self._check(ob, "the pod", totals[0], totals[1], per_pod, spec, unknown, terms)

    def _check(
        self,
        ob: Obligation,
        label: str,
        reqs: Mapping[str, Supplied],
        lims: Mapping[str, Supplied],
        bs: list[Bound],
        node: Node,
        unknown: str | None,
        terms: Terms,
    ) -> Obligation:
        if unknown:
            ob.unknown(unknown)
            return ob
        found = {
            b: why
            for b in bs
            if (why := breach(b, getattr(reqs.get(b.r), "milli", None), getattr(lims.get(b.r), "milli", None)))
        }
        chosen = list(found) or bs  # a violation cites only the bounds it breaks
        values: dict[str, tuple[z3.BoolRef, z3.ArithRef, z3.BoolRef, z3.ArithRef]] = {}
        oks, keys = [], []
        resources = node.at("resources")
        for b in chosen:
            req, lim = reqs.get(b.r), lims.get(b.r)
            if b.r not in values:
                hr, rq = value_term(
                    ob,
                    f"requests.{b.r}",
                    req,
                    missing_at=resources,
                    missing_says=f"{label} has no {b.r} request",
                    terms=terms,
                )
                hl, lm = value_term(
                    ob,
                    f"limits.{b.r}",
                    lim,
                    missing_at=resources,
                    missing_says=f"{label} has no {b.r} limit",
                    terms=terms,
                )
                values[b.r] = (hr, rq, hl, lm)
            keys.append(bound_key(b, req, lim))
            oks.append(encode(ob, b, *values[b.r], terms=terms, key=keys[-1]))
        goal = once(terms, ("limitrange.goal", *keys), lambda: zt.neg(zt.conj(oks)))
        ob.counterexample(goal, says="some LimitRange bound is broken")
        ob.on(
            violated=f"{label}: " + "; ".join(f"{why} ({b.lr.name})" for b, why in found.items()),
            proved=f"{label} is within {len(bs)} LimitRange bound{'s' * (len(bs) != 1)}",
        )
        return ob
