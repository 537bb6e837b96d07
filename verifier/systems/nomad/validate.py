"""What the Nomad server rejects when a job is registered (``nomad/structs/structs.go`` ``Job.Validate``,
``TaskGroup.Validate``, ``Resources.Validate``/``MeetsMinResources``, ``UpdateStrategy.Validate`` at a4cc76bd),
after the API's defaults (``api/jobs.go``: type ``service``; ``api/resources.go``: cpu 100 unless ``cores``,
memory 300; ``api/tasks.go``: the group ``update`` merged over the job's). Only rules over values the file states
are checked; an expression (an input variable without a default) is left to the properties. The scaling policy
(CNV401), ``memory_max`` (CNV301) and service port labels (CNV102) are properties, not listed here.
"""

from __future__ import annotations

from typing import Any

from cnverify.source import Path

JOB_TYPES = ("service", "batch", "system", "sysbatch")
Problem = tuple[Path, str]


def server_checks(job: dict[str, Any]) -> list[Problem]:
    """Nomad's messages for the rules ``job`` breaks, each with the path of the field it is about."""
    out: list[Problem] = []
    kind = job.get("type", "service")
    if isinstance(kind, str) and "${" not in kind and kind not in JOB_TYPES:
        out.append((("type",), f'Invalid job type: "{kind}"'))
    groups = [(("groups", i), g) for i, g in enumerate(job.get("groups") or [])]
    groups += [(("tasks", i), {"name": t.get("name"), "tasks": [t]}) for i, t in enumerate(job.get("tasks") or [])]
    seen: dict[str, int] = {}
    for idx, (path, g) in enumerate(groups):
        name = g.get("name")
        if name in seen:
            out.append((path, f"Job task group {idx + 1} redefines '{name}' from group {seen[name] + 1}"))
        seen.setdefault(name, idx)
        count = g.get("count")
        if kind == "system" and _number(count) and count > 1:
            out.append(
                (
                    path + ("count",),
                    f"Job task group {name} has count {count}. Count cannot exceed 1 with system scheduler",
                )
            )
        out += [(p, f"Task group {name} validation failed: {m}") for p, m in _group(job, path, g, kind)]
    return out


def _group(job: dict[str, Any], path: Path, g: dict[str, Any], kind: Any) -> list[Problem]:
    out: list[Problem] = []
    if _number(g.get("count")) and g["count"] < 0:
        out.append((path + ("count",), "Task group count can't be negative"))
    update = merge_update(job.get("update"), g.get("update"))
    if update is not None:
        where = path + ("update",) if g.get("update") else ("update",)
        if isinstance(kind, str) and "${" not in kind and kind not in ("service", "system"):
            out.append((where, f'Job type "{kind}" does not allow update block'))
        for key, text in (("max_parallel", "Max parallel"), ("canary", "Canary count")):
            if _number(update.get(key)) and update[key] < 0:
                out.append((where, f"{text} can not be less than zero: {update[key]} < 0"))
        if update.get("auto_promote") is True and update.get("canary", 0) == 0:
            out.append((where, "Auto Promote requires a Canary count greater than zero"))
    tasks: dict[str, int] = {}
    for i, t in enumerate(g.get("tasks") or []):
        tpath = path + ("tasks", 0 if path[0] == "tasks" else i)
        if t.get("name") in tasks:
            out.append((tpath, f"Task {i + 1} redefines '{t['name']}' from task {tasks[t['name']] + 1}"))
        tasks.setdefault(t.get("name"), i)
        out += [(tpath + ("resources", k), m) for k, m in _resources(t.get("resources") or {})]
    return out


def merge_update(job: Any, group: Any) -> dict[str, Any] | None:
    """The group's update block after ``api/tasks.go`` ``Canonicalize``: its own over the job's, defaults filled
    (``api/jobs.go`` ``DefaultUpdateStrategy``); None when no block applies (the job's is ``Empty``)."""
    job = job if isinstance(job, dict) else None
    group = group if isinstance(group, dict) else None
    if group is None and not (job and any(v not in (0, False, "", None) for v in job.values())):
        return None
    return {"max_parallel": 1, "canary": 0, **(job or {}), **(group or {})}


def _resources(r: dict[str, Any]) -> list[tuple[str, str]]:
    values = {k: r.get(k) for k in ("cpu", "cores", "memory")}
    if any(v is not None and not _number(v) for v in values.values()):
        return []  # an expression: its value is not known here
    cores = values["cores"] if values["cores"] is not None else 0
    cpu = values["cpu"] if values["cpu"] is not None else (100 if values["cores"] is None else 0)
    memory = values["memory"] if values["memory"] is not None else 300
    out = []
    if cores > 0 and cpu > 0:
        out.append(("cores", "Task can only ask for 'cpu' or 'cores' resource, not both."))
    if cpu < 1 and cores == 0:
        out.append(("cpu", f"minimum CPU value is 1; got {cpu}"))
    if memory < 10:
        out.append(("memory", f"minimum MemoryMB value is 10; got {memory}"))
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
