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
        alloc, top = allocation(g), peak(g)
        if isinstance(alloc, str) or isinstance(top, str):
            ob.unknown(f"{g.ref}: {alloc if isinstance(alloc, str) else top}")
            return ob
        members.append((g, alloc, top))
    ob.assume(
        f"namespaces {', '.join(users)} run only the jobs of the inputs in region {region} (quota {q.name} counts "
        "every allocation of its namespaces there)",
        at=q.at(),
    )
    for _, alloc, _ in members:
        for k, why in alloc.lower.items():
            if k in caps:
                ob.only_refute(why)
    real = _totals(members, surge=False)
    bound = _totals(members, surge=True)
    zero = [k for k, v in caps.items() if v <= 0 and bound[k] > 0]
    if zero:
        ob.unknown(f"region_limit.{zero[0]} is {caps[zero[0]]}: what a limit of 0 or less means is not documented")
        return ob
    if not any(real[k] > v for k, v in caps.items()) and any(bound[k] > v for k, v in caps.items()):
        k = next(k for k, v in caps.items() if bound[k] > v)
        ob.unknown(
            f"{k} {bound[k]} {UNITS[k]} > {caps[k]} only if a deployment's max_parallel new allocations run beside "
            "the ones they replace (the docs do not say; canaries do)"
        )
        return ob
    _encode(ob, q, limit, caps, members, surge=not any(real[k] > v for k, v in caps.items()))
    return ob


def _totals(members: list[Member], *, surge: bool) -> dict[str, int]:
    return {k: sum(a.usage[k] * (p.top + p.canary + (p.parallel if surge else 0)) for _, a, p in members) for k in KEYS}


def _encode(
    ob: Obligation, q: QuotaSpec, limit: NomadQuotaLimit, caps: dict[str, int], members: list[Member], *, surge: bool
) -> None:
    """Integer count and deployment variables per group; the totals per key against the region limit."""
    sums: dict[str, list[z3.ArithRef]] = {k: [] for k in caps}
    for g, alloc, p in members:
        n, rolling = z3.Int(g.name), z3.Bool(f"deploying {g.name}")
        ob.fact(z3.And(n >= p.low, n <= p.top), at=p.why[0][1], says=f"{g.ref}: " + "; ".join(s for s, _ in p.why))
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
