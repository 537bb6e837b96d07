"""CNV302 for a Swarm stack: its tasks at the worst update state fit its node inventory.

Violated: no placement of the tasks on the declared nodes exists at all (Z3: reservations per node, placement
constraints, ``max_replicas_per_node``; a relaxation of SwarmKit's scheduler, so its failure is SwarmKit's too).
Proved: whatever order SwarmKit places the tasks in, each finds a node — a weighted pigeonhole bound: a node that
refuses a task of service ``s`` holds more than its slack ``capacity − reservation(s)`` in some resource (or
``max_replicas_per_node`` tasks of ``s``), so all of ``s``'s eligible nodes refuse only when the other tasks'
reservations, each divided by the smallest slack it could fill, add up to at least their number. Otherwise
``unknown`` with the placement Z3 found (SwarmKit's spread scheduler places tasks one at a time).
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import z3
from cnverify.encodings.quantity import format_milli
from cnverify.model.compose import ComposeFile, ComposeService
from cnverify.obligation import Obligation
from cnverify.registry import Property
from cnverify.run_context import RunContext
from cnverify.systems.compose.ports import bindings
from cnverify.systems.compose.swarm import SwarmNode, Tasks, inventory, tasks

READS = (ComposeFile, ComposeService)


def obligations(prop: Property, ctx: RunContext) -> Iterator[Obligation]:
    """One obligation per compose project that declares ``x-cnverify-swarm`` or reserves resources."""
    files: dict[str, list[ComposeFile]] = {}
    for f in ctx.snap.all(ComposeFile):
        files.setdefault(f.namespace, []).append(f)
    projects: dict[str, list[ComposeService]] = {}
    for svc in ctx.snap.all(ComposeService):
        projects.setdefault(svc.namespace, []).append(svc)
    for project, services in projects.items():
        declared = [f for f in files.get(project, []) if f.swarm is not None]
        reserving = [s for s in services if s.reservation("cpu") or s.reservation("memory")]
        if not declared and not reserving:
            continue
        subject = declared[0] if declared else reserving[0]
        ob = prop.obligation(subject, at=subject.at("x-cnverify-swarm") if declared else subject.at("deploy"))
        if not declared:
            ob.note(
                f"service {subject.name} reserves resources (Swarm schedules on reservations)", subject.at("deploy")
            )
            ob.unknown(
                f"project {project} declares no node inventory (x-cnverify-swarm.nodes): its capacity is unknown"
            )
        elif len(declared) > 1:
            ob.unknown(f"x-cnverify-swarm is declared in {', '.join(f.name for f in declared)}: declare it once")
        else:
            _decide(ctx, ob, declared[0], services)
        yield ob


def _decide(ctx: RunContext, ob: Obligation, f: ComposeFile, services: list[ComposeService]) -> None:
    nodes, why = inventory(f)
    if why is not None:
        ob.unknown(why)
        return
    ob.assume("the declared nodes are the swarm's and run no task of another stack", f.at("x-cnverify-swarm"))
    for n in nodes:
        ob.note(
            f"node {n.name} ({n.role}) has {float(n.cpu) / 1000:g} cpus and {format_milli(n.memory * 1000, 'memory')}",
            n.at,
        )
    found = [tasks(s, nodes) for s in services]
    reasons = [t for t in found if isinstance(t, str)]
    if reasons:
        ob.unknown(reasons[0])
        return
    ts = [t for t in found if not isinstance(t, str)]
    for t in ts:
        for says, at in t.steps:
            ob.note(says, at)
    rest, at_rest = _placement(ctx, nodes, ts, surge=False)
    worst, placed = _placement(ctx, nodes, ts, surge=True) if any(t.surge for t in ts) else (rest, at_rest)
    if "unknown" in (rest, worst):
        ob.unknown(at_rest if rest == "unknown" else placed)
    elif "unsat" in (rest, worst):
        when = "" if rest == "unsat" else " during a start-first update (old and new tasks both run)"
        total = sum(t.count + (t.surge if rest != "unsat" else 0) for t in ts)
        claim = f"no placement of the stack's {total} tasks on the {len(nodes)} nodes exists{when}"
        ob.decide("violated", claim)
        ob.on(violated=claim)
    elif _always_placed(nodes, ts):
        total = sum(t.count + t.surge for t in ts)
        claim = f"every one of the {total} tasks finds a node, in any order SwarmKit places them"
        ob.decide("proved", claim)
        ob.on(proved=claim)
    else:
        ob.unknown(f"a placement exists ({placed}), but SwarmKit places tasks one at a time and may not find it")


def _placement(ctx: RunContext, nodes: list[SwarmNode], ts: list[Tasks], surge: bool) -> tuple[str, str]:
    """``("sat", placement)``, ``("unsat", "")`` when none exists, or ``("unknown", why)``."""
    load_c: list[z3.ArithRef] = [z3.RealVal(0) for _ in nodes]
    load_m: list[z3.ArithRef] = [z3.IntVal(0) for _ in nodes]
    facts: list[z3.BoolRef] = []
    counts: dict[tuple[int, int], z3.ArithRef] = {}
    for i, t in enumerate(ts):
        extra = t.surge if surge else 0
        ys = {n: z3.Int(f"y_{i}_{n}") for n in t.eligible}
        for n, y in ys.items():
            facts.append(y >= (1 if t.glob else 0))
            cap = 1 + (1 if t.glob and extra else 0) if t.glob else t.per_node
            if cap is not None:
                facts.append(y <= cap)
            load_c[n] = load_c[n] + y * z3.RealVal(t.cpu)
            load_m[n] = load_m[n] + y * t.memory
            counts[(i, n)] = y
        facts.append(z3.Sum([*ys.values(), z3.IntVal(0)]) == t.count + extra)
    for n, node in enumerate(nodes):
        facts += [load_c[n] <= z3.RealVal(node.cpu), load_m[n] <= node.memory]
    answer = ctx.check(facts)
    if answer.result == "unsat":
        return "unsat", ""
    if answer.result != "sat" or answer.model is None:
        return "unknown", answer.reason or "the solver could not decide the placement"
    shown = [
        f"{nodes[n].name}: {ts[i].service.name}×{answer.model.eval(y).as_long()}"
        for (i, n), y in counts.items()
        if answer.model.eval(y).as_long()
    ]
    return "sat", ", ".join(shown)


def _always_placed(nodes: list[SwarmNode], ts: list[Tasks]) -> bool:
    """The weighted pigeonhole bound of the module docstring, for every service (a global task, pinned to its
    node, fits when that node holds the most every service may put there)."""
    host_ports = [{(b.protocol, b.low) for b in bindings(t.service) if b.mode == "host"} for t in ts]
    for i, t in enumerate(ts):
        shared = any(host_ports[i] & host_ports[j] for j in range(len(ts)) if j != i)
        if t.count + t.surge == 0:
            continue
        if shared or host_ports[i] and t.count + t.surge > 1:
            return False  # the scheduler's host-port filter also refuses nodes
        if t.glob:
            if not all(_holds_most(n, nodes, ts) for n in t.eligible):
                return False
            continue
        usable = [n for n in t.eligible if nodes[n].cpu >= t.cpu and nodes[n].memory >= t.memory]
        if not usable:
            return False
        if any(_holds_most(n, nodes, ts) for n in usable):
            continue  # a node that holds every task that may land on it always has room
        bound = Fraction(0)
        for other in ts:
            n_other = other.count + other.surge - (1 if other is t else 0)
            if n_other <= 0:
                continue
            worst = Fraction(0)
            for n in usable:
                share = Fraction(0)
                for need, cap, have in ((t.cpu, nodes[n].cpu, other.cpu), (t.memory, nodes[n].memory, other.memory)):
                    if need and have:
                        slack = cap - need
                        if slack <= 0:
                            return False
                        share += Fraction(have) / slack
                worst = max(worst, share)
            bound += worst * n_other
            if other is t and t.per_node:
                bound += Fraction(n_other, t.per_node)
        if bound >= len(usable):
            return False
    return True


def _holds_most(n: int, nodes: list[SwarmNode], ts: list[Tasks]) -> bool:
    most_c, most_m = Fraction(0), 0
    for t in ts:
        if n in t.eligible:
            k = (1 + (1 if t.surge else 0)) if t.glob else min(t.count + t.surge, t.per_node or t.count + t.surge)
            most_c, most_m = most_c + k * t.cpu, most_m + k * t.memory
    return most_c <= nodes[n].cpu and most_m <= nodes[n].memory
