"""Effective container resources and their facts on obligations (reading them from the snapshot is Kubernetes
core's, ``cnverify.systems.kubernetes.workloads``, re-exported here; the admission pipeline itself:
``cnverify.encodings.resources``). ``namespace_defaults`` and ``containers_of`` compute them once per run."""

from __future__ import annotations

from collections.abc import Mapping

import z3
from cnverify.encodings import zterms
from cnverify.encodings.resources import Defaults, EffectiveContainer, Supplied
from cnverify.errors import Span
from cnverify.model import LimitRange, Resource, RuntimeClass
from cnverify.model.base import Node
from cnverify.model.core import PodSpec
from cnverify.obligation import Obligation
from cnverify.properties._shared.namespaces import namespace_view
from cnverify.properties._shared.terms import Terms, once
from cnverify.run_context import RunContext, context_of
from cnverify.snapshot import Snapshot
from cnverify.systems.kubernetes.workloads import container_defaults, effective_containers

__all__ = [
    "container_defaults",
    "containers_of",
    "effective_containers",
    "namespace_defaults",
    "runtime_overhead",
    "value_term",
]


def namespace_defaults(source: RunContext | Snapshot, namespace: str) -> Defaults:
    """The LimitRanger defaults of ``namespace`` (its view's LimitRanges), computed once per run."""
    run = context_of(source)
    return run.memo(
        ("effective.namespace_defaults", namespace),
        lambda: container_defaults(namespace_view(run, namespace), namespace),
        reads=(LimitRange,),
    )


def containers_of(source: RunContext | Snapshot, workload: Resource) -> list[EffectiveContainer]:
    """``effective_containers`` of ``workload`` under its namespace's defaults, computed once per run (shared by
    CNV301-303 and CNV403; callers only read the result)."""
    run = context_of(source)
    # keyed by identity: the entry holds the workload, so no other object can take its id during the run
    held: tuple[Resource, list[EffectiveContainer]] = run.memo(
        ("effective.containers", id(workload)),
        lambda: (
            workload,
            effective_containers(run.snap, workload, defaults=namespace_defaults(run, workload.namespace)),
        ),
        reads=(LimitRange,),
    )
    assert held[0] is workload
    return held[1]


def runtime_overhead(
    snap: Snapshot, ob: Obligation, workload: Resource, spec: PodSpec, *, charged: bool = True
) -> Mapping[str, object] | None:
    """The pod overhead quota charges: the RuntimeClass admission plugin copies ``overhead.podFixed`` of
    the pod's ``runtimeClassName`` into ``spec.overhead`` (plugin/pkg/admission/runtimeclass). A class
    that is not in the inputs leaves the overhead unknown; it only adds, so a breach without it stands
    and a proof becomes ``unknown`` (``ob.only_refute``) when ``charged`` (some tracked resource may be
    in the overhead)."""
    name = spec.runtime_class_name
    if not name:
        return spec.overhead
    rc = snap.get(RuntimeClass, "", name)
    if rc is None:
        if not charged:  # the obligation tracks no resource an overhead could add to
            return spec.overhead
        ob.only_refute(
            f"{workload.ref} names RuntimeClass {name}, which is not in the inputs: its pod overhead "
            "(overhead.podFixed, added to every pod by admission) is unknown"
        )
        return spec.overhead
    fixed = rc.overhead.pod_fixed if rc.overhead else None
    ob.note(
        f"RuntimeClass {name} adds pod overhead {fixed or {}} to every pod of {workload.ref}",
        rc.overhead.at("podFixed") if rc.overhead else rc.at(),
    )
    return fixed or spec.overhead


def value_term(
    ob: Obligation,
    name: str,
    value: Supplied | None,
    *,
    missing_at: Span | Node,
    missing_says: str,
    terms: Terms | None = None,
) -> tuple[z3.BoolRef, z3.ArithRef]:
    """Add the located fact defining ``name`` to ``ob``: ``(present, value)`` terms.

    A present value is ``Int(name) == milli`` cited at its source; a missing one is
    ``Not(has name)`` cited at ``missing_at`` (the value term is then unconstrained).
    ``terms``: the run's term dict (``run_terms``), where these terms are built once per (name, value).
    """
    if value is not None:
        milli = value.milli
        present, term, fact = once({} if terms is None else terms, ("value_term", name, milli), _present, name, milli)
        ob.fact(fact, at=value.at, says=value.says)
        return present, term
    has, term, fact = once({} if terms is None else terms, ("value_term", name, None), _missing, name)
    ob.fact(fact, at=missing_at, says=missing_says)
    return has, term


def _present(name: str, milli: int) -> tuple[z3.BoolRef, z3.ArithRef, z3.BoolRef]:
    term = zterms.int_const(name)
    return z3.BoolVal(True), term, zterms.eq(term, milli)


def _missing(name: str) -> tuple[z3.BoolRef, z3.ArithRef, z3.BoolRef]:
    has = zterms.bool_const(f"has {name}")
    return has, zterms.int_const(name), zterms.neg(has)
