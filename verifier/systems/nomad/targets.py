"""A Nomad service's ``port`` names a port label of its group's ``network`` (``nomad/structs/structs.go``
``validateServices``: "port label %q referenced by services %v does not exist"; a deprecated task-level network's
labels count too); a number is a port, not a label.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.model.nomad import TaskGroup
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.targets import Check

READS = (TaskGroup,)


def checks(snap: Snapshot) -> Iterator[Check]:
    for g in snap.all(TaskGroup):
        networks = [g.network] + [t.resources.network for t in g.tasks or [] if t.resources]  # task: deprecated
        labels = {p.name: p for n in networks if n is not None for p in n.ports or []}
        owned = [(svc, f"services[{i}]") for i, svc in enumerate(g.services or [])]
        owned += [
            (svc, f"tasks[{j}].services[{i}]")
            for j, t in enumerate(g.tasks or [])
            for i, svc in enumerate(t.services or [])
        ]
        for svc, path in owned:
            port = svc.port
            if not isinstance(port, str) or not port or port.isdigit() or "${" in port:
                continue
            steps = [(f"service {svc.name or path} uses port label {port!r}", svc.at("port"))]
            where = (svc.at("port"), f"{path}.port")
            found = labels.get(port)
            if found is None and g.generated:
                yield Check(g, svc, "unknown", f"port label {port!r} may come from a dynamic block", steps, where=where)
            elif found is None:
                declared = ", ".join(labels) or "none"
                claim = (
                    f"port label {port!r} referenced by services [{svc.name}] does not exist (group ports: {declared})"
                )
                yield Check(g, svc, "violated", claim, steps, where=where)
            else:
                steps.append((f"a network of the group declares port {port!r}", found.at()))
                yield Check(
                    g, svc, "proved", f"port label {port!r} is declared in a network of the group", steps, where=where
                )
