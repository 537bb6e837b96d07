"""CNV302's Nomad part: a quota specification's ``region_limit`` against the worst reachable state of the
task groups of the namespaces that name it (every group at its top count plus its deployment's extra
allocations, :mod:`cnverify.systems.nomad.capacity`). Open-source Nomad has no quota: a group whose namespace no
quota spec in the inputs limits is ``unknown``, with its worst state."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import z3
from cnverify.model.nomad import NomadNamespace, NomadQuotaLimit, QuotaSpec, TaskGroup
from cnverify.obligation import Obligation
from cnverify.snapshot import Snapshot
from cnverify.systems.nomad.capacity import KEYS, Allocation, Peak, allocation, peak
from cnverify.systems.nomad.symbolic import Terms, shown

UNITS = {"cpu": "MHz", "memory": "MB", "memory_max": "MB"}
Member = tuple[TaskGroup, Allocation, Peak]
NOMAD_KINDS = (TaskGroup, QuotaSpec, NomadNamespace)


def nomad_capacity(obligation: Callable[..., Obligation], snap: Snapshot) -> Iterator[Obligation]:
    quotas, spaces, groups = snap.all(QuotaSpec), snap.all(NomadNamespace), snap.all(TaskGroup)
    limited = {ns.name for ns in spaces if any(q.name == ns.quota for q in quotas)}
    for q in quotas:
        users = sorted(ns.name for ns in spaces if ns.quota == q.name)
        for i, limit in enumerate(q.limits or []):
            ob = obligation(q, at=limit.at(), path=f"limits[{i}]")
            members = [g for g in groups if g.namespace.removeprefix("nomad:") in users]
            yield _quota(ob, q, limit, users, members)
    for g in groups:
        if g.namespace.removeprefix("nomad:") not in limited:
            ob = obligation(g, at=g.at())
            alloc, top = allocation(g), peak(g)
            state = (
                f"; its worst state: {_allocations(top)}, each using {_uses(alloc)}"
                if isinstance(alloc, Allocation) and isinstance(top, Peak)
                else f"; its worst state is not known either: {top if isinstance(top, str) else alloc}"
            )
            ob.unknown(
                f"no quota specification in the inputs limits namespace {g.namespace.removeprefix('nomad:')} (a "
                "Nomad quota spec and the namespace spec that names it; node capacity is not in the inputs)" + state
            )
            yield ob


def _quota(
    ob: Obligation, q: QuotaSpec, limit: NomadQuotaLimit, users: list[str], groups: list[TaskGroup]
) -> Obligation:
    rl = limit.region_limit
    caps = {k: getattr(rl, k) for k in KEYS if rl is not None and getattr(rl, k) is not None}
    if not users:
        ob.unknown(f"no namespace specification in the inputs names quota {q.name} (a quota limits only those)")
        return ob
    if not caps or any(isinstance(v, bool) or not isinstance(v, int) for v in caps.values()):
        ob.unknown("the region_limit states no cpu, memory or memory_max number")
        return ob
    region = limit.region if limit.region is not None else "global"
    members: list[Member] = []
    for g in groups:
        if g.job_region != region:
            if not isinstance(g.job_region, str) or "${" in g.job_region:
                ob.unknown(f"{g.ref}: its job's region is {g.job_region!r}")
                return ob
            continue
        alloc, top = allocation(g), peak(g, symbolic=True)
        if isinstance(alloc, str) or isinstance(top, str):
            ob.unknown(f"{g.ref}: {alloc if isinstance(alloc, str) else top}")
            return ob
        members.append((g, alloc, top))
    ranges: dict[str, tuple[z3.ArithRef, z3.ArithRef]] = {}
    for g, _, p in members:
        if p.symbolic:
            bounds = _count_range(ob, g)
            if isinstance(bounds, str) or p.parallel:
                ob.unknown(
                    f"{g.ref}: {bounds if isinstance(bounds, str) else 'its count depends on input variables and a deployment without canaries replaces max_parallel allocations at a time (their overlap is not documented)'}"
                )
                return ob
            ranges[g.name] = bounds
    ob.assume(
        f"namespaces {', '.join(users)} run only the jobs of the inputs in region {region} (quota {q.name} counts "
        "every allocation of its namespaces there)",
        at=q.at(),
    )
    for _, alloc, _ in members:
        for k, why in alloc.lower.items():
            if k in caps:
                ob.only_refute(why)
    zero = [k for k, v in caps.items() if v <= 0 and any(a.usage[k] for _, a, _ in members)]
    if zero:
        ob.unknown(f"region_limit.{zero[0]} is {caps[zero[0]]}: what a limit of 0 or less means is not documented")
        return ob
    if ranges:  # counts from input variables: canaries only (checked above), so the bound is the real peak
        _encode(ob, q, limit, caps, members, surge=False, ranges=ranges)
        return ob
    real = _totals(members, surge=False)
    bound = _totals(members, surge=True)
    if not any(real[k] > v for k, v in caps.items()) and any(bound[k] > v for k, v in caps.items()):
        k = next(k for k, v in caps.items() if bound[k] > v)
        ob.unknown(
            f"{k} {bound[k]} {UNITS[k]} > {caps[k]} only if a deployment's max_parallel new allocations run beside "
            "the ones they replace (the docs do not say; canaries do)"
        )
        return ob
    _encode(ob, q, limit, caps, members, surge=not any(real[k] > v for k, v in caps.items()))
    return ob


def _count_range(ob: Obligation, g: TaskGroup) -> tuple[z3.ArithRef, z3.ArithRef] | str:
    """The reachable counts of a group whose count or scaling bounds are expressions over input variables
    (as ``TaskGroup.own_replicas``: count, or min(scaling.min, count)..max(scaling.max, count) when enabled)."""
    s, terms = g.scaling, Terms(ob, g)
    count = terms.of(g.count, "count") if g.count is not None else None
    scaled = s is not None and s.enabled is not False and s.max is not None
    low = terms.of(s.min, "scaling.min") if s is not None and s.min is not None else None
    high = terms.of(s.max, "scaling.max") if scaled and s is not None else None
    if terms.reason:
        return terms.reason
    count = count if count is not None else low if low is not None else z3.RealVal(1)
    if not scaled or high is None:
        return count, count
    low = low if low is not None else count
    return z3.If(low < count, low, count), z3.If(high > count, high, count)


def _totals(members: list[Member], *, surge: bool) -> dict[str, int]:
    return {k: sum(a.usage[k] * (p.top + p.canary + (p.parallel if surge else 0)) for _, a, p in members) for k in KEYS}


def _encode(
    ob: Obligation,
    q: QuotaSpec,
    limit: NomadQuotaLimit,
    caps: dict[str, int],
    members: list[Member],
    *,
    surge: bool,
    ranges: dict[str, tuple[z3.ArithRef, z3.ArithRef]] | None = None,
) -> None:
    """Integer count and deployment variables per group; the totals per key against the region limit."""
    sums: dict[str, list[z3.ArithRef]] = {k: [] for k in caps}
    for g, alloc, p in members:
        n, rolling = z3.Int(g.name), z3.Bool(f"deploying {g.name}")
        low, top = (ranges or {}).get(g.name, (p.low, p.top))
        says = "; ".join(s for s, _ in p.why)
        if p.symbolic:
            says = f"count {shown(g.count)} within the scaling bounds" + (f"; {says}" if says else "")
        ob.fact(z3.And(n >= low, n <= top), at=p.why[0][1] if p.why else g.at("count"), says=f"{g.ref}: {says}")
        extra = p.canary + (p.parallel if surge else 0)
        allocs = n + z3.If(rolling, extra, 0)
        ob.note(f"each allocation of {g.ref} uses {_uses(alloc)} ({'; '.join(alloc.why) or 'no tasks'})", g.at())
        ob.show(g.name, n)
        ob.show(f"deploying {g.name}", z3.If(rolling, extra, 0))
        for k in caps:
            if alloc.usage[k]:
                sums[k].append(alloc.usage[k] * allocs)
    rl = limit.region_limit
    assert rl is not None
    for k, cap in sorted(caps.items()):
        total = z3.Int(f"{k} total")
        ob.fact(
            total == (z3.Sum(sums[k]) if sums[k] else z3.IntVal(0)),
            at=rl.at(k),
            says=f"quota {q.name} limits {k} to {cap} {UNITS[k]} in region {limit.region or 'global'}",
        )
        ob.show(k, total)
    ob.counterexample(
        z3.Or([z3.Int(f"{k} total") > cap for k, cap in caps.items()]),
        says="some reachable state of the namespaces' groups exceeds the region limit",
    )
    ob.on(
        violated=lambda w: (
            "at "
            + ", ".join(f"{g.name}={w[g.name]}" + _plus(w[f"deploying {g.name}"]) for g, _, _ in members)
            + " allocations: "
            + "; ".join(f"{k} {w[k]} {UNITS[k]} > {cap}" for k, cap in sorted(caps.items()) if w[k] > cap)
            + f" (quota {q.name} blocks the placements)"
            + "".join(f"; when {k} = {v}" for k, v in w.items() if k.startswith("var."))
        ),
        proved=f"quota {q.name} holds at every reachable count and deployment of its namespaces' groups",
    )


def _plus(extra: int) -> str:
    return f" (+{extra} during a deployment)" if extra else ""


def _uses(alloc: Allocation) -> str:
    used = [f"{k} {v} {UNITS[k]}" for k, v in alloc.usage.items() if v] + [f"{alloc.cores} reserved cores"] * bool(
        alloc.cores
    )
    return ", ".join(used) or "no resources (no tasks)"


def _allocations(p: Peak) -> str:
    if p.canary:
        return f"{p.top} allocations + {p.canary} canar{'ies' if p.canary > 1 else 'y'} during a deployment"
    extra = f" (+ up to {p.parallel} replacing them during a deployment)" if p.parallel else ""
    return f"{p.top} allocation{'s' * (p.top != 1)}{extra}"
