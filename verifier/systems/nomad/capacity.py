"""What a Nomad task group's allocations use and how many of them run at most (docs/SEMANTICS.md#nomad).

An allocation asks for the sum of its tasks' ``resources`` after ``api/resources.go`` ``Canonicalize``: ``cpu``
100 MHz and ``memory`` 300 MB when unset, ``cpu`` 0 when ``cores`` is set; plus, for each group service with
``connect { sidecar_service }`` and no task of kind ``connect-proxy:<service>``, the sidecar Nomad injects
(``nomad/job_endpoint_hook_connect.go``: 250 MHz, 128 MB, ``sidecar_task.resources`` merged over them).
The count is ``count`` (default ``scaling.min``, else 1), up to ``scaling.max`` under the autoscaler; a deployment
with ``canary = N`` places N canaries without stopping an old allocation (``update.mdx``: peak count + N); without
canaries it replaces ``max_parallel`` allocations at a time, whose overlap the docs do not state (a bound only).
The group's ``update`` is merged over the job's (``api/tasks.go`` ``TaskGroup.Canonicalize``; defaults
``api/jobs.go`` ``DefaultUpdateStrategy``: max_parallel 1, canary 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnverify.errors import Span
from cnverify.model.nomad import DEFAULT_MEMORY_MB, NomadResources, TaskGroup
from cnverify.systems.nomad.validate import merge_update

DEFAULT_CPU_MHZ = 100  # api/resources.go DefaultResources
SIDECAR = {"cpu": 250, "memory": 128}  # nomad/job_endpoint_hook_connect.go connectSidecarResources
KEYS = ("cpu", "memory", "memory_max")


@dataclass
class Allocation:
    """One allocation's usage per quota key (MHz, MB), why, and what makes a usage only a lower bound."""

    usage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KEYS, 0))
    why: list[str] = field(default_factory=list)
    lower: dict[str, str] = field(default_factory=dict)  # key → why its usage is only a lower bound
    cores: int = 0  # reserved cores (counted by no quota key of this Nomad version)


@dataclass
class Peak:
    """A group's reachable allocation counts: ``low..top``, plus ``canary`` during a deployment, or up to
    ``parallel`` more when it has no canaries (a bound the docs do not confirm)."""

    low: int
    top: int
    canary: int
    parallel: int
    why: list[tuple[str, Span]]
    symbolic: bool = False  # low/top are not numbers: the count depends on input variables


def allocation(g: TaskGroup) -> Allocation | str:
    """The usage of one allocation of ``g``, or why it is not known."""
    out = Allocation()
    for t in g.tasks or []:
        _add(out, f"task {t.name}", t.resources, DEFAULT_CPU_MHZ, DEFAULT_MEMORY_MB)
    proxies = {t.kind for t in g.tasks or [] if t.kind}
    for svc in g.services or []:
        c = svc.connect
        if c is not None and c.gateway is not None:
            for k in KEYS:
                out.lower[k] = f"the gateway task Nomad injects for service {svc.name} is not counted"
        if c is None or c.sidecar_service is None or f"connect-proxy:{svc.name}" in proxies:
            continue
        given = c.sidecar_task.resources if c.sidecar_task else None
        _add(out, f"the Connect sidecar of service {svc.name}", given, SIDECAR["cpu"], SIDECAR["memory"])
    bad = [v for v in out.usage.values() if not isinstance(v, int)]
    return f"a resource is {bad[0]!r}" if bad else out


def _add(out: Allocation, who: str, r: NomadResources | None, cpu: int, memory: int) -> None:
    values: dict[str, Any] = {k: getattr(r, k) for k in ("cpu", "cores", "memory", "memory_max")} if r else {}
    for k, v in values.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            out.usage[k] = v  # not a number: allocation() reports it
            return
    cores = values.get("cores")
    given: dict[str, int] = {k: v for k, v in values.items() if v is not None}
    mhz = given.get("cpu", 0 if cores is not None else cpu)
    mem = given.get("memory", memory)
    top = given.get("memory_max", 0)
    out.usage["cpu"] += mhz
    out.usage["memory"] += mem
    out.usage["memory_max"] += top
    if cores:
        out.cores += cores
        out.lower["cpu"] = f"{who} reserves {cores} cores: how a cpu quota counts reserved cores is not documented"
    if not top:
        out.lower["memory_max"] = f"{who} sets no memory_max (what a memory_max quota counts for it is not documented)"
    out.why.append(
        f"{who}: cpu {mhz} MHz{f' ({cores} cores)' if cores else ''}, memory {mem} MB"
        + (f", memory_max {top} MB" if top else "")
    )


def peak(g: TaskGroup, *, symbolic: bool = False) -> Peak | str:
    """The reachable allocation counts of ``g`` and its deployment's extra allocations, or why not known; with
    ``symbolic``, a count that depends on input variables gives a Peak whose ``low``/``top`` the caller reads
    from the expressions (``Peak.symbolic``)."""
    if g.job_type in ("system", "sysbatch"):
        return f"a {g.job_type} job runs one allocation on every eligible client node (not in the inputs)"
    if g.generated:
        return "a dynamic block generates its blocks (or the group itself): cnverify does not expand dynamic blocks"
    if g.multiregion is not None:
        return "a multiregion job's count is set per region"
    own = g.own_replicas()
    open_count = symbolic and bool(g.count_expressions)
    if (own.unknown or own.high is None) and not open_count:
        return own.unknown or "the count is not bounded"
    why = [] if open_count else list(own.why)
    canary, parallel = 0, 0
    update = merged_update(g)
    if update is not None and g.job_type in (None, "service"):
        canary, parallel = update.get("canary", 0), update.get("max_parallel", 1)
        if not isinstance(canary, int) or not isinstance(parallel, int):
            return "update.canary or update.max_parallel is an expression"
        if canary:
            why.append(
                (
                    f"a deployment places {canary} canar{'ies' if canary > 1 else 'y'} beside the old allocations",
                    _span(g, "canary"),
                )
            )
        elif parallel:
            why.append((f"a deployment replaces {parallel} allocations at a time", _span(g, "max_parallel")))
    if open_count:
        return Peak(0, 0, canary, 0 if canary else parallel, why, symbolic=True)
    assert own.high is not None
    return Peak(own.low, own.high, canary, 0 if canary else parallel, why)


def merged_update(g: TaskGroup) -> dict[str, Any] | None:
    """The group's effective update block (its own over the job's, defaults filled), or None: no deployments."""
    own = {k: v for k, v in vars(g.update).items() if v is not None} if g.update else None
    job = {k: v for k, v in vars(g.job_update).items() if v is not None} if g.job_update else None
    return merge_update(job, own)


def _span(g: TaskGroup, key: str) -> Span:
    if g.update is not None and getattr(g.update, key) is not None:
        return g.update.at(key)
    return g.job_update.at(key) if g.job_update is not None else g.at()
