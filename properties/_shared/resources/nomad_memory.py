"""CNV301's Nomad part for tasks whose ``memory``/``memory_max`` depend on input variables without a default:
``Resources.Validate`` (``nomad/structs/structs.go``): ``memory_max`` is 0 or at least ``memory`` ("MemoryMaxMB value
(X) should be larger than MemoryMB value (Y)"); an unset ``memory`` is ``DefaultResources``' 300 MB
(``api/resources.go`` ``Canonicalize``). Tasks with known values go through the synthesized template instead."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import z3
from cnverify.model.nomad import DEFAULT_MEMORY_MB, TaskGroup
from cnverify.obligation import Obligation
from cnverify.systems.nomad.symbolic import Terms, shown


def task_memory(obligation: Callable[..., Obligation], g: TaskGroup) -> Iterator[Obligation]:
    """One obligation per task with a ``memory_max``: for every value its variables may take, 0 or ≥ memory."""
    for i, task in enumerate(g.tasks or []):
        r = task.resources
        if r is None or r.memory_max is None:
            continue
        ob = obligation(g, at=task.at(), path=f"spec.containers[{i}]")
        terms = Terms(ob, g)
        memory = terms.of(r.memory, "memory") if r.memory is not None else z3.RealVal(DEFAULT_MEMORY_MB)
        limit = terms.of(r.memory_max, "memory_max")
        if memory is None or limit is None:
            ob.unknown(terms.reason or "memory or memory_max is not a number")
            yield ob
            continue
        mem, top = z3.Int("memory"), z3.Int("memory_max")
        ob.fact(
            mem == memory,
            at=r.at("memory") if r.memory is not None else r.at(),
            says=f"task {task.name}: memory is "
            + (shown(r.memory, " MB") if r.memory is not None else f"not set: Nomad's default {DEFAULT_MEMORY_MB} MB"),
        )
        ob.fact(
            top == limit, at=r.at("memory_max"), says=f"task {task.name}: memory_max is {shown(r.memory_max, ' MB')}"
        )
        ob.counterexample(z3.And(top != 0, top < mem), says="memory_max is set and below memory")
        ob.show("requests.memory", mem, _mebibytes)  # the witness shape of CNV301's other containers
        ob.show("limits.memory", top, _mebibytes)
        ob.on(
            violated=lambda w, t=task.name: (
                f"task {t}: MemoryMaxMB value ({w['limits.memory'][:-2]}) should be larger than "
                f"MemoryMB value ({w['requests.memory'][:-2]}) (the server rejects the job)"
                + "".join(f"; when {k} = {v}" for k, v in w.items() if k.startswith("var."))
            ),
            proved=f"task {task.name}: memory_max is 0 or at least memory for every value of its variables",
        )
        yield ob


def _mebibytes(value: object) -> str:
    return f"{value}Mi"
