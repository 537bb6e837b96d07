"""A Swarm stack's tasks and the node inventory they are scheduled on (CNV302 for Compose).

The inventory is the project's ``x-cnverify-swarm`` extension (Compose ignores ``x-*`` keys)::

    x-cnverify-swarm:
      nodes:
        - {name: n1, role: manager, cpus: 4, memory: 8g, labels: {zone: a}}

``cpus`` and ``memory`` are the node's resources as its engine reports them (``memory`` in byte-value syntax).
SwarmKit places a task on a node whose available resources (its resources minus the reservations of the tasks
already there) cover the task's reservations (``manager/scheduler/filter.go`` ``ResourceFilter``), that meets the
placement constraints (``manager/constraint/constraint.go``: ``==``/``!=``, case-insensitive values;
``node.hostname``, ``node.role``, ``node.labels.<key>``, a missing label being ``""``) and that runs fewer than
``max_replicas_per_node`` tasks of the service (``MaxReplicasFilter``). A ``global`` service runs one task on every
eligible node. ``update_config``/``rollback_config`` with ``order: start-first`` start each new task before
stopping the old one, ``parallelism`` (default 1; 0 = all) at a time (``orchestrator/update/updater.go``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cnverify.encodings.quantity import format_milli
from cnverify.errors import Span
from cnverify.model.compose import ComposeFile, ComposeService, cpus_in_milli, ram_in_bytes
from cnverify.systems.compose.interpolate import interpolate

Step = tuple[str, Span]


@dataclass
class SwarmNode:
    name: str
    role: str
    cpu: Fraction  # milli-cores
    memory: int  # bytes
    labels: dict[str, str]
    at: Span


@dataclass
class Tasks:
    """The tasks of one service at the worst update state: ``count`` placed by the scheduler on ``eligible``
    nodes (a ``global`` service: one on each), ``surge`` more during a start-first update."""

    service: ComposeService
    cpu: Fraction
    memory: int
    eligible: list[int]
    count: int
    per_node: int | None
    surge: int = 0
    glob: bool = False
    steps: list[Step] = field(default_factory=list)


def inventory(f: ComposeFile) -> tuple[list[SwarmNode], str | None]:
    """The declared nodes, or why they cannot be read."""
    raw = (f.swarm or {}).get("nodes")
    if not isinstance(raw, list) or not raw:
        return [], f"{f.name} declares no nodes in x-cnverify-swarm (the inventory SwarmKit schedules on)"
    nodes = []
    for i, n in enumerate(raw):
        at = f.at("x-cnverify-swarm", "nodes", i)
        cpu = cpus_in_milli(n.get("cpus", "")) if isinstance(n, dict) else None
        memory = ram_in_bytes(str(n.get("memory", ""))) if isinstance(n, dict) else None
        if not isinstance(n, dict) or cpu is None or memory is None:
            return [], f"node {i} of x-cnverify-swarm needs cpus (a number) and memory (a byte value) ({at})"
        labels = {str(k): str(v) for k, v in (n.get("labels") or {}).items()}
        nodes.append(SwarmNode(str(n.get("name", f"node-{i}")), str(n.get("role", "worker")), cpu, memory, labels, at))
    return nodes, None


def _value(node: Any, name: str) -> Any:
    return getattr(node, name, None) if node is not None else None


def _int(raw: Any, default: int) -> int | None:
    if raw is None:
        return default
    v = interpolate(raw)
    return int(v.text) if v.text is not None and v.text.isdigit() else None


def matches(constraint: str, node: SwarmNode) -> bool | None:
    """SwarmKit's ``NodeMatches`` for one constraint (None: a key whose value the inventory does not give)."""
    op = "==" if "==" in constraint else "!=" if "!=" in constraint else None
    if op is None:
        return None
    key, value = (p.strip() for p in constraint.split(op, 1))
    k = key.lower()
    if k == "node.hostname":
        actual = node.name
    elif k == "node.role":
        actual = node.role
    elif k.startswith("node.labels.") and len(key) > len("node.labels."):
        actual = node.labels.get(key[len("node.labels.") :], "")
    else:
        return None  # node.id, node.ip, node.platform.*, engine.labels.*: not in the inventory
    return (value.lower() == actual.lower()) == (op == "==")


def tasks(svc: ComposeService, nodes: list[SwarmNode]) -> Tasks | str:
    """The service's tasks on ``nodes``, or why they are not known."""
    if not svc.template_known:
        return f"service {svc.name}: {svc.unknown}"
    deploy = svc.deploy
    placement = _value(deploy, "placement")
    eligible, steps = list(range(len(nodes))), list[Step]()
    for c in _value(placement, "constraints") or []:
        found = [matches(c, n) for n in nodes]
        if any(m is None for m in found):
            return f"service {svc.name}: placement constraint {c!r} reads what the inventory does not give"
        eligible = [i for i in eligible if found[i]]
        steps.append(
            (
                f"{svc.name} is placed where {c}: {', '.join(nodes[i].name for i in eligible) or 'no node'}",
                placement.at("constraints"),
            )
        )
    per_node = _int(_value(placement, "max_replicas_per_node"), 0)
    if per_node is None:
        return f"service {svc.name}: max_replicas_per_node is not a number"
    reserved = {name: svc.reservation(name) for name in ("cpu", "memory")}
    cpu, memory = (r[0] if r else Fraction(0) for r in (reserved["cpu"], reserved["memory"]))
    for name, r in reserved.items():
        if r is not None:
            shown = f"{float(r[0]) / 1000:g} cpus" if name == "cpu" else format_milli(int(r[0]) * 1000, "memory")
            steps.append((f"each task of {svc.name} reserves {shown}", svc.at(*r[1])))
    glob = _value(deploy, "mode") == "global"
    own = svc.own_replicas()
    if not glob and (own.unknown is not None or own.high is None):
        return f"service {svc.name}: {own.unknown or 'its replica count is not bounded'}"
    count = len(eligible) if glob else own.low
    steps += [] if glob else list(own.why)
    t = Tasks(svc, cpu, int(memory), eligible, count, per_node or None, 0, glob, steps)
    for key in ("update_config", "rollback_config"):
        cfg = _value(deploy, key)
        if _value(cfg, "order") == "start-first":
            p = _int(_value(cfg, "parallelism"), 1)
            if p is None:
                return f"service {svc.name}: {key}.parallelism is not a number"
            surge = min(p or count, count)
            if surge > t.surge:
                t.surge = surge
                steps.append(
                    (f"{key}: order start-first starts {surge} new task(s) before stopping old ones", cfg.at("order"))
                )
    return t
