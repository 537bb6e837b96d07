"""The workloads behind a route target and their replica terms (CNV104), once per run where route targets repeat."""

from __future__ import annotations

import z3
from cnverify.encodings.zterms import ge, int_const
from cnverify.model import WORKLOAD_KINDS, HorizontalPodAutoscaler, Resource, pod_template, template_known
from cnverify.properties._shared.replicas import ReplicaRange, replica_range
from cnverify.run_context import RunContext


def labelled_workloads(ctx: RunContext, namespace: str) -> list[tuple[Resource, dict[str, str]]]:
    """The workloads of ``namespace`` whose pod template is known, with their pod labels, in ``WORKLOAD_KINDS``
    then input order: once per run and namespace (every route target into it reads the same list)."""

    def compute() -> list[tuple[Resource, dict[str, str]]]:
        found = (w for cls in WORKLOAD_KINDS for w in ctx.snap.in_namespace(cls, namespace))
        return [(w, pod_template(w).metadata.labels or {}) for w in found if template_known(w)]

    return ctx.memo(("routing.route_delivers.labelled_workloads", namespace), compute, reads=WORKLOAD_KINDS)


_COUNTS: dict[tuple[str, int, int | None], tuple[z3.ArithRef, z3.BoolRef, z3.BoolRef]] = {}
"""A count's terms by its name and range (``ReplicaRange.constraint`` reads ``low`` and ``high`` alone): the same
hash-consed ASTs in every run; one chart's workload in every namespace builds them once (oldest dropped past 4,096)."""


def selected_workloads(
    ctx: RunContext, namespace: str, wanted: dict[str, str]
) -> list[tuple[Resource, dict[str, str]]]:
    """`labelled_workloads` of ``namespace`` whose pods carry every label of ``wanted``, in that order: once per run
    and label set (the route targets to one Service subset ask the same)."""

    def compute() -> list[tuple[Resource, dict[str, str]]]:
        return [
            (w, labels)
            for w, labels in labelled_workloads(ctx, namespace)
            if not any(labels.get(k) != v for k, v in wanted.items())
        ]

    key = ("routing.route_delivers.selected_workloads", namespace, tuple(wanted.items()))
    return ctx.memo(key, compute, reads=WORKLOAD_KINDS)


def replica_terms(ctx: RunContext, w: Resource, key: str) -> tuple[ReplicaRange, z3.ArithRef, z3.BoolRef, z3.BoolRef]:
    """``w``'s replica range, its count ``replicas[key]``, the range as a fact on it and ``count >= 1``: once per
    run, workload and name (every route target that reaches ``w`` states the same terms)."""

    def compute() -> tuple[ReplicaRange, z3.ArithRef, z3.BoolRef, z3.BoolRef]:
        rr = replica_range(ctx.snap, w)
        terms = _COUNTS.get((key, rr.low, rr.high))
        if terms is None:
            n = int_const(f"replicas[{key}]")
            terms = _COUNTS[(key, rr.low, rr.high)] = (n, rr.constraint(n), ge(n, 1))
            if len(_COUNTS) > 4096:
                del _COUNTS[next(iter(_COUNTS))]
        return rr, *terms

    reads: tuple[type[Resource], ...] = (*WORKLOAD_KINDS, HorizontalPodAutoscaler)
    return ctx.memo(("routing.route_delivers.replica_terms", id(w), key), compute, reads=reads)
