"""Route targets of every routing system, resolved against the inventory (shared by CNV102 and CNV104).

Each target becomes a :class:`Check`: the located steps of its resolution, a verdict
(``proved`` resolves, ``violated`` does not, ``unknown`` outside the inventory or
implementation-specific) and, when it lands on a Kubernetes Service, that Service and port.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cnverify import systems
from cnverify.errors import Span
from cnverify.model import Resource, Service
from cnverify.model.base import Node
from cnverify.model.core import ServicePort
from cnverify.model.flagger import Canary
from cnverify.proof import Verdict
from cnverify.run_context import context_of
from cnverify.snapshot import Snapshot
from cnverify.source import format_path
from cnverify.systems.routing import per_adapters

T = TypeVar("T", bound=Resource)


@dataclass
class Check:
    """The resolution of one route target (or one parent/gateway reference)."""

    subject: Resource
    node: Node
    verdict: Verdict
    claim: str
    steps: list[tuple[str, Span]] = field(default_factory=list)
    service: Service | None = None
    port: ServicePort | None = None
    port_unknown: str | None = None  # the Service resolved but the port it receives on is not fixed
    labels: dict[str, str] = field(default_factory=dict)  # extra pod labels (an Istio subset)
    hop: str = ""  # "route → Service" sentence for CNV104
    binding: bool = False  # a gateway / parentRef binding rather than a destination
    where: tuple[Span, str] | None = None  # location and path when more specific than ``node``
    _path: str | None = field(default=None, init=False, repr=False, compare=False)  # ``path`` once computed
    _location: Span | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def path(self) -> str:
        if self.where is not None:
            return self.where[1]
        if self._path is None:  # CNV102 and CNV104 both ask (node and subject are fixed once built)
            self._path = format_path(self.node.field_path[len(self.subject.field_path) :])
        return self._path

    @property
    def location(self) -> Span:
        if self.where is not None:
            return self.where[0]
        if self._location is None:
            self._location = self.node.at()
        return self._location


def step(checks: list[tuple[str, Span]], says: str, at: Node | Span) -> None:
    checks.append((says, at if isinstance(at, Span) else at.at()))


def lookup(snap: Snapshot, cls: type[T], ns: str, name: str, near: Resource) -> list[T]:
    """Every ``cls`` named ``ns/name``, those from ``near``'s file first (inputs may define one twice)."""
    index = context_of(snap).memo(("systems.routing.targets.lookup", cls), lambda: _index(snap, cls), reads=(cls,))
    found = index.get((ns, name), [])
    if len(found) < 2:  # nothing to order
        return list(found)
    file = near.at().file
    return sorted(found, key=lambda r: r.at().file != file)


def _index(snap: Snapshot, cls: type[T]) -> dict[tuple[str, str], list[T]]:
    index: dict[tuple[str, str], list[T]] = {}
    for r in snap.all(cls):
        index.setdefault((r.namespace, r.name), []).append(r)
    return index


def inventory_namespaces(snap: Snapshot) -> frozenset[str]:
    """Namespaces that hold at least one object of the inputs under review (``--context`` objects and
    ``assume:`` placeholders do not make a namespace complete: they need not be all it holds); once per run."""
    return context_of(snap).memo(("systems.routing.targets.inventory_namespaces",), lambda: _inventory(snap))


def _inventory(snap: Snapshot) -> frozenset[str]:
    context = snap.context_ids
    return frozenset(r.namespace for r in snap.resources if r.NAMESPACED and id(r) not in context)


def missing(snap: Snapshot, namespace: str, what: str) -> tuple[Verdict, str]:
    """A referenced object is absent: violated if its namespace is in the inputs, else unknown."""
    if namespace in inventory_namespaces(snap):
        return "violated", f"{what} does not exist"
    return "unknown", f"{what} is not in the inputs (namespace {namespace} is not part of them)"


def service_port(svc: Service, port: int | str | None) -> tuple[ServicePort | None, str | None]:
    """The Service port a reference names (number = ``port``, string = port ``name``); (None, why) if none."""
    ports = svc.spec.ports or []
    if port is None:
        if len(ports) == 1:
            return ports[0], None
        return None, f"Service {svc.namespace}/{svc.name} has {len(ports)} ports and the reference names none"
    for p in ports:
        if (isinstance(port, int) and p.port == port) or (isinstance(port, str) and p.name == port):
            return p, None
    listed = ", ".join(f"{p.name or '-'}:{p.port}" for p in ports) or "none"
    return None, f"Service {svc.namespace}/{svc.name} has no port {port!r} (ports: {listed})"


def service_target(
    snap: Snapshot,
    subject: Resource,
    node: Node,
    ns: str,
    name: str,
    port: int | str | None,
    steps: list[tuple[str, Span]],
    *,
    port_required: bool,
    what: str,
) -> Check:
    """A reference to the Kubernetes Service ``ns/name`` on ``port``."""
    found = lookup(snap, Service, ns, name, subject)
    if not found:
        gen = generated(snap, subject, node, ns, name, port, steps, what)
        if gen is not None:
            return gen
        verdict, claim = missing(snap, ns, f"Service {ns}/{name}")
        return Check(subject, node, verdict, claim, steps)
    svc, (sp, why) = found[0], service_port(found[0], port)
    for other in found[1:]:  # a duplicate definition that has the port
        if sp is None and service_port(other, port)[0] is not None:
            svc, (sp, why) = other, service_port(other, port)
    step(steps, f"Service {ns}/{name} exists", svc.metadata.at("name"))
    if not svc.spec.ports and svc.spec.type != "ExternalName":
        return Check(subject, node, "unknown", f"Service {ns}/{name} declares no ports (an incomplete object?)", steps)
    hop = f"{what} → Service {ns}/{name}"
    if sp is None and (port is not None or port_required or not svc.spec.ports):
        return Check(subject, node, "violated", why or "no port", steps, service=svc, hop=hop)
    if sp is not None:
        step(steps, f"Service port {sp.name or sp.port} is port {sp.port}", sp.at("port"))
    claim = f"{what} resolves to Service {ns}/{name}" + (f" port {sp.port}" if sp else "")
    return Check(subject, node, "proved", claim, steps, service=svc, port=sp, port_unknown=why, hop=hop)


def generated(
    snap: Snapshot,
    subject: Resource,
    node: Node,
    ns: str,
    name: str,
    port: int | str | None,
    steps: list[tuple[str, Span]],
    what: str,
) -> Check | None:
    """A Service the inputs lack but a controller generates from one of their objects (a Flagger Canary's
    apex, primary and canary Services), resolved on the port it is generated with; None if none does."""
    from cnverify.systems.flagger.generated import generated_service  # Flagger owns what it generates

    gen = generated_service(snap, ns, name)
    if gen is None:
        return None
    step(steps, gen.says, gen.at)
    has, why = gen.port(port)
    if has is False:
        return Check(subject, node, "violated", why, steps)
    claim = f"{what} resolves to Service {ns}/{name}, {gen.origin}"
    if not has:
        return Check(subject, node, "unknown", f"{claim}, but {why}", steps)
    svc = gen.service()  # as Flagger writes it: CNV104 follows it to the pods
    sp = svc.spec.ports[0] if svc is not None and svc.spec.ports else None
    return Check(subject, node, "proved", claim, steps, service=svc, port=sp, hop=f"{what} → Service {ns}/{name}")


def all_checks(snap: Snapshot) -> list[Check]:
    """Every route target and route binding of the snapshot, computed once per snapshot."""
    return context_of(snap).memo(
        ("systems.routing.targets.all_checks",),
        lambda: [c for mod in _modules() for c in mod.checks(snap)],
        reads=kinds_read(),
    )


def _listed() -> tuple[tuple[Any, ...], tuple[type[Resource], ...]]:
    """The target modules and the kinds they read (with the Services and Canaries every resolution reads)."""

    def build() -> tuple[tuple[Any, ...], tuple[type[Resource], ...]]:
        mods = tuple(m for system in systems.implementing("targets") for m in system.target_modules())
        return mods, (Service, Canary, *(k for mod in mods for k in mod.READS))

    return per_adapters("targets", build)


def _modules() -> Iterator[Any]:
    """Every adapter's target modules (``targets`` hook), in the adapters' order."""
    return iter(_listed()[0])


def kinds_read() -> tuple[type[Resource], ...]:
    return _listed()[1]


def iter_targets(snap: Snapshot) -> Iterator[Check]:
    """Only the route *destinations* (not gateway / parent bindings)."""
    return (c for c in all_checks(snap) if not c.binding)
