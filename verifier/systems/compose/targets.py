"""References of compose services (compose-go ``loader/validate.go``): networks, named volumes, secrets and
configs must be declared at the top level of the project's files, ``depends_on`` and ``network_mode:
service:X`` must name services of the project, and ``depends_on`` must not form a cycle ("dependency cycle
detected"). A declaration with ``external: true`` must already exist in the Docker engine: a proof says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnverify.errors import Span
from cnverify.model.compose import ComposeFile, ComposeService
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.targets import Check

READS = (ComposeService, ComposeFile)
_SECTIONS = ("networks", "volumes", "secrets", "configs")


def checks(snap: Snapshot) -> Iterator[Check]:
    files: dict[str, list[ComposeFile]] = {}
    for f in snap.all(ComposeFile):
        files.setdefault(f.namespace, []).append(f)
    services: dict[str, dict[str, ComposeService]] = {}
    for svc in snap.all(ComposeService):
        services.setdefault(svc.namespace, {}).setdefault(svc.name, svc)
    for svc in snap.all(ComposeService):
        project = files.get(svc.namespace, [])
        for section, name, at, path in _references(svc):
            yield _declared(svc, project, section, name, at, path)
        for name, at, path in _service_refs(svc):
            yield _service(svc, services.get(svc.namespace, {}), name, at, path)


def _names(value: Any, key: str = "source") -> list[tuple[str, int | str]]:
    """(name, index or key) of a list of names / ``{source: name}`` entries, or of a map's keys."""
    if isinstance(value, dict):
        return [(str(k), str(k)) for k in value]
    out: list[tuple[str, int | str]] = []
    for i, item in enumerate(value or []):
        name = item.get(key) if isinstance(item, dict) else item
        if isinstance(name, str):
            out.append((name, i))
    return out


def _volume_name(item: Any) -> str | None:
    """The named volume of a ``volumes`` entry (None: a bind mount, an anonymous or a tmpfs volume)."""
    if isinstance(item, dict):
        source = item.get("source")
        return source if isinstance(source, str) and item.get("type", "volume") == "volume" else None
    if not isinstance(item, str) or ":" not in item:
        return None
    source = item.split(":", 1)[0]
    return None if source.startswith((".", "/", "~", "$")) or "/" in source or "\\" in source else source


def _references(svc: ComposeService) -> Iterator[tuple[str, str, Span, str]]:
    for name, key in _names(svc.networks):
        if name != "default":
            yield "networks", name, svc.at("networks", key), f"networks[{key}]"
    for i, item in enumerate(svc.volumes or []):
        volume = _volume_name(item)
        if volume:
            yield "volumes", volume, svc.at("volumes", i), f"volumes[{i}]"
    for section in ("secrets", "configs"):
        for name, key in _names(getattr(svc, section)):
            yield section, name, svc.at(section, key), f"{section}[{key}]"


def _service_refs(svc: ComposeService) -> Iterator[tuple[str, Span, str]]:
    deps = svc.depends_on
    for name, key in _names(deps, key="service"):
        optional = isinstance(deps, dict) and isinstance(deps.get(name), dict) and deps[name].get("required") is False
        if not optional:
            yield name, svc.at("depends_on", key), f"depends_on[{key}]"
    mode = svc.network_mode or ""
    if mode.startswith("service:"):
        yield mode.removeprefix("service:"), svc.at("network_mode"), "network_mode"


def _declared(svc: ComposeService, project: list[ComposeFile], section: str, name: str, at: Span, path: str) -> Check:
    singular = section[:-1]
    steps = [(f"service {svc.name} uses {singular} {name!r}", at)]
    for f in project:
        decl = (getattr(f, section) or {}).get(name, ...)
        if decl is not ...:
            steps.append((f"{f.name} declares {singular} {name!r}", f.at(section, name)))
            claim = f"{singular} {name!r} is declared"
            if isinstance(decl, dict) and decl.get("external"):
                steps.append(("it is external: it must already exist in the Docker engine", f.at(section, name)))
                claim += " (external: it must exist in the Docker engine)"
            return Check(svc, svc, "proved", claim, steps, where=(at, path))
    files = ", ".join(f.name for f in project) or "no compose file"
    claim = f"{singular} {name!r} is declared in none of the project's files ({files}): docker compose rejects it"
    return Check(svc, svc, "violated", claim, steps, where=(at, path))


def _service(svc: ComposeService, services: dict[str, ComposeService], name: str, at: Span, path: str) -> Check:
    steps = [(f"service {svc.name} needs service {name!r}", at)]
    target = services.get(name)
    if target is None:
        return Check(
            svc, svc, "violated", f"service {name!r} is not defined in project {svc.namespace}", steps, where=(at, path)
        )
    steps.append((f"service {name} is defined", target.at()))
    cycle = _cycle(services, svc.name, name)
    if path.startswith("depends_on") and cycle:
        steps += [(f"{a} depends on {b}", services[a].at("depends_on")) for a, b in zip(cycle, cycle[1:], strict=False)]
        return Check(svc, svc, "violated", "dependency cycle detected: " + " → ".join(cycle), steps, where=(at, path))
    return Check(svc, svc, "proved", f"service {name!r} is defined", steps, where=(at, path))


def _cycle(services: dict[str, ComposeService], start: str, first: str) -> list[str]:
    """A depends_on path ``start → first → … → start`` (empty when there is none)."""
    stack, seen = [(first, [start, first])], set()
    while stack:
        node, trail = stack.pop()
        if node == start:
            return trail
        if node in seen or node not in services:
            continue
        seen.add(node)
        for dep, _ in _names(services[node].depends_on, key="service"):
            stack.append((dep, [*trail, dep]))
    return []
