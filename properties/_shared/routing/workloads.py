"""The workloads behind a route target and their replica terms (CNV104), once per run where route targets repeat."""

from __future__ import annotations

from dataclasses import dataclass

import z3
from cnverify.encodings.labels import format_labels
from cnverify.encodings.zterms import disj, ge, int_const
from cnverify.errors import Span
from cnverify.model import WORKLOAD_KINDS, HorizontalPodAutoscaler, Resource, pod_template, template_known
from cnverify.model.core import PodSpec, Service, ServicePort
from cnverify.obligation import span_of
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


def target_port(sp: ServicePort, spec: PodSpec) -> tuple[int | None, str, object]:
    """The pod port a Service port reaches on pods of ``spec``: (number or None, sentence, node)."""
    tp = sp.target_port
    if tp in (None, 0, ""):
        return sp.port, f"targetPort defaults to port {sp.port}", sp
    if isinstance(tp, int):
        return tp, f"targetPort {tp} is used as is", sp
    sidecars = [c for c in spec.init_containers or [] if c.restart_policy == "Always"]
    for c in [*spec.containers, *sidecars]:
        for p in c.ports or []:
            if p.name == tp and p.protocol == sp.protocol:
                return p.container_port, f"container {c.name} names port {tp} ({sp.protocol}) = {p.container_port}", p
    return None, f"no container port named {tp!r} with protocol {sp.protocol}", spec


@dataclass(frozen=True)
class Delivery:
    """What CNV104 states about one Service port reached with extra pod labels: the steps (in order), the replica
    facts and counts of the selected workloads that expose the target port, and "one of them runs" (None: none)."""

    svc: Service  # held, so the memo key's ids stay theirs for the run
    port: ServicePort
    wanted: dict[str, str]
    shown: str
    notes: tuple[tuple[str, Span | None], ...]
    facts: tuple[tuple[z3.BoolRef, Span | None, str], ...]
    counts: tuple[tuple[str, z3.ArithRef], ...]
    runs: z3.BoolRef | None


def delivery(ctx: RunContext, svc: Service, port: ServicePort, labels: dict[str, str]) -> Delivery:
    """CNV104's steps from the Service selector to the replicas, once per run for each Service port and subset labels
    (every route target to one Service subset states the same)."""

    def compute() -> Delivery:
        wanted = {**(svc.spec.selector or {}), **labels}
        shown = format_labels(wanted)
        notes: list[tuple[str, Span | None]] = [
            (
                f"the Service selects pods labelled {shown}" + (" (with the subset's labels)" if labels else ""),
                svc.spec.at("selector"),
            )
        ]
        facts: list[tuple[z3.BoolRef, Span | None, str]] = []
        counts: list[tuple[str, z3.ArithRef]] = []
        runs: list[z3.BoolRef] = []  # each count >= 1
        for w, _ in selected_workloads(ctx, svc.namespace, wanted):
            template = pod_template(w)
            notes.append((f"pods of {w.KIND} {w.name} carry those labels", template.metadata.at("labels")))
            number, says, node = target_port(port, template.spec)
            notes.append((says, node.at()))  # type: ignore[attr-defined]
            if number is None:
                continue
            name = f"replicas[{w.KIND}/{w.name}]"
            key = f"{w.KIND}/{w.name}" + (f"#{len(counts)}" if any(str(n) == name for _, n in counts) else "")
            rr, n, within, running = replica_terms(ctx, w, key)
            notes += [(says_more, span_of(at_more)) for says_more, at_more in rr.why[1:]]
            first = rr.why[0] if rr.why else (f"{w.KIND} {w.name} replicas", w.at())
            facts.append((within, span_of(first[1]), first[0]))
            counts.append((key, n))
            runs.append(running)
        goal = disj(runs) if runs else None
        return Delivery(svc, port, wanted, shown, tuple(notes), tuple(facts), tuple(counts), goal)

    key = ("routing.route_delivers.delivery", id(svc), id(port), tuple(labels.items()))
    return ctx.memo(key, compute, reads=(*WORKLOAD_KINDS, HorizontalPodAutoscaler))
