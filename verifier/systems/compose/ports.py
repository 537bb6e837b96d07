"""Published host ports of a compose project and whether two containers bind the same one (CNV305).

Short syntax ``[ip:][host:]container[/proto]`` is read as docker/go-connections ``nat.ParsePortSpec`` does
(compose-go ``types.ParsePortConfig``): a container range with a host range of the same length maps port by
port; a host range with a single container port (``8000-8010:80``) is a pool the engine picks a free port
from; no host port is an ephemeral one (never a conflict). Long syntax: ``published`` (a port or range),
``host_ip``, ``protocol`` (tcp), ``mode`` (ingress).

docker compose: every container binds its ports on the one host, so a fixed port of a service with replicas
> 1 is bound twice ("port is already allocated"), and two bindings of one port and protocol conflict when their
host IPs overlap (an empty or ``0.0.0.0``/``::`` IP overlaps every IP). Swarm (``docker stack deploy``, declared
with ``x-cnverify-swarm``): an ``ingress`` port is published once for the service on every node (its replicas
share it), and SwarmKit rejects a second service publishing the same port and protocol ("port '…' is already
in use by service … as an ingress port", ``manager/controlapi/service.go``); ``host``-mode ports of different
services coexist (the scheduler places their tasks apart).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from cnverify.errors import Span
from cnverify.model.compose import ComposeFile, ComposeService
from cnverify.snapshot import Snapshot
from cnverify.systems.compose.interpolate import interpolate

READS = (ComposeService, ComposeFile)
WILDCARD = ("", "0.0.0.0", "::")
_RANGE = re.compile(r"(\d+)(?:-(\d+))?")


@dataclass
class Binding:
    """One published port entry of a service: host ports ``low..high`` (a pool when ``pool``)."""

    service: ComposeService
    index: int
    text: str
    host_ip: str = ""
    protocol: str = "tcp"
    low: int = 0
    high: int = 0
    pool: bool = False
    mode: str = "ingress"
    unknown: str | None = None  # why the host port is not known (the environment gives it)

    @property
    def at(self) -> Span:
        return self.service.at("ports", self.index)

    def overlaps(self, other: Binding) -> bool:
        return (
            self.protocol == other.protocol
            and (self.host_ip in WILDCARD or other.host_ip in WILDCARD or self.host_ip == other.host_ip)
            and self.low <= other.high
            and other.low <= self.high
        )

    def shown(self) -> str:
        ports = f"{self.low}" if self.low == self.high else f"{self.low}-{self.high}"
        return f"{self.host_ip + ':' if self.host_ip else ''}{ports}/{self.protocol}"


Step = tuple[str, Span]


@dataclass
class PortCheck:
    binding: Binding
    verdict: str
    claim: str
    steps: list[Step] = field(default_factory=list)
    runtime: str = "compose"  # compose (an assumption) | swarm (x-cnverify-swarm) | either (both agree)


def _range(text: str) -> tuple[int, int] | None:
    m = _RANGE.fullmatch(text.strip())
    if m is None:
        return None
    low = int(m.group(1))
    return low, int(m.group(2) or low)


def bindings(svc: ComposeService) -> Iterator[Binding]:
    """The service's published ports (entries without a host port publish an ephemeral one: left out)."""
    for i, entry in enumerate(svc.ports or []):
        if isinstance(entry, dict):
            yield from _long(svc, i, entry)
        else:
            yield from _short(svc, i, entry)


def _long(svc: ComposeService, i: int, entry: dict[str, object]) -> Iterator[Binding]:
    published = entry.get("published")
    if published is None:
        return
    values = {k: interpolate(entry.get(k, d)) for k, d in (("host_ip", ""), ("protocol", "tcp"), ("mode", "ingress"))}
    port = interpolate(published)
    b = Binding(svc, i, str(published))
    if port.text is None or any(v.text is None for v in values.values()):
        b.unknown = next(v.why for v in (port, *values.values()) if v.text is None)
        yield b
        return
    found = _range(port.text)
    if found is None:
        return  # not a port: compose-go rejects the file (schema)
    b.host_ip, b.protocol, b.mode = (str(values[k].text) for k in ("host_ip", "protocol", "mode"))
    b.low, b.high = found
    b.pool = b.low != b.high
    yield b


def _short(svc: ComposeService, i: int, entry: object) -> Iterator[Binding]:
    value = interpolate(entry)
    if value.text is None:
        if ":" in str(entry):
            yield Binding(svc, i, str(entry), unknown=value.why)
        return
    for ip, host, _, protocol in parse_short(value.text) or []:
        if host is not None:  # no host port: an ephemeral one
            yield Binding(svc, i, value.text, ip, protocol, host[0], host[1], pool=host[0] != host[1])


def parse_short(text: str) -> list[tuple[str, tuple[int, int] | None, int, str]] | None:
    """docker/go-connections ``ParsePortSpec``: (host IP, host port range or None, container port, protocol)
    per container port; None when it is not a port spec (compose-go rejects it)."""
    spec, _, proto = text.partition("/")
    parts = spec.rsplit(":", 2)
    ip = parts[0].strip("[]") if len(parts) == 3 else ""
    host = _range(parts[-2]) if len(parts) > 1 and parts[-2] else None
    container = _range(parts[-1])
    if container is None or len(parts) > 1 and parts[-2] and host is None:
        return None
    protocol = (proto or "tcp").lower()
    width = container[1] - container[0]
    if host is not None and width and host[1] - host[0] != width:
        return None  # "Invalid ranges specified for container and host Ports"
    out = []
    for k in range(width + 1):
        mapped = (host[0] + k, host[0] + k) if host is not None and width else host
        out.append((ip, mapped, container[0] + k, protocol))
    return out


def checks(snap: Snapshot) -> Iterator[PortCheck]:
    """One check per published port entry of every service, within its project."""
    swarm = {f.namespace: f for f in snap.all(ComposeFile) if f.swarm is not None}
    projects: dict[str, list[ComposeService]] = {}
    for svc in snap.all(ComposeService):
        projects.setdefault(svc.namespace, []).append(svc)
    for project, services in projects.items():
        found = [b for svc in services for b in bindings(svc)]
        entries: dict[tuple[int, int], list[Binding]] = {}
        for b in found:
            entries.setdefault((id(b.service), b.index), []).append(b)
        on, hint = swarm.get(project), _swarm_key(services)
        for group in entries.values():
            yield _entry(group, found, on, hint)


def _entry(group: list[Binding], found: list[Binding], on: ComposeFile | None, hint: Step | None) -> PortCheck:
    """The verdict of one ``ports`` entry (a container range is several bindings: the worst of them)."""
    b = group[0]
    if on is not None:
        check = _worst([_swarm(x, found) for x in group])
        check.runtime = "swarm"
        check.steps.insert(0, ("deployed with docker stack deploy (x-cnverify-swarm)", on.at("x-cnverify-swarm")))
    else:
        check = _worst([_compose(x, found) for x in group])
        if hint is not None:
            other = _worst([_swarm(x, found) for x in group])
            check.runtime = "either"
            check.steps.insert(0, (f"the project uses {hint[0]} (Swarm) and declares no runtime", hint[1]))
            if other.verdict != check.verdict:
                claim = f"with docker compose up: {check.claim}; with docker stack deploy: {other.claim}"
                check = PortCheck(b, "unknown", claim, check.steps[:1], runtime="either")
    check.steps.insert(1 if check.runtime != "compose" else 0, (f"service {b.service.name} publishes {b.text!r}", b.at))
    return check


def _worst(checks: list[PortCheck]) -> PortCheck:
    return next(c for v in ("violated", "unknown", "proved") for c in checks if c.verdict == v)


SWARM_ONLY = ("endpoint_mode", "placement", "update_config", "rollback_config")


def _swarm_key(services: list[ComposeService]) -> Step | None:
    """A ``deploy`` key only Swarm reads (docker compose ignores it), where it is written."""
    for svc in services:
        for key in SWARM_ONLY:
            if getattr(svc.deploy, key, None) is not None:
                return (f"deploy.{key}", svc.at("deploy", key))
    return None


def _count(b: Binding) -> tuple[int | None, list[tuple[str, Span]]]:
    own = b.service.own_replicas()
    steps = list(own.why)
    return (own.low if own.unknown is None and own.low == own.high else None), steps


def _compose(b: Binding, found: list[Binding]) -> PortCheck:
    if b.unknown is not None:
        return PortCheck(b, "unknown", f"host port {b.text!r}: {b.unknown}")
    n, steps = _count(b)
    if n == 0:
        return PortCheck(b, "proved", f"{b.service.name} runs no container: nothing binds {b.shown()}", steps)
    others = [o for o in found if o is not b and o.unknown is None and o.overlaps(b) and _count(o)[0] != 0]
    fixed = [o for o in others if not o.pool]
    if not b.pool and n is not None and n > 1:
        return PortCheck(b, "violated", f"{n} containers of {b.service.name} each bind host port {b.shown()}", steps)
    if not b.pool and fixed:
        o = fixed[0]
        claim = f"host port {b.shown()} is also bound by service {o.service.name} ({o.shown()})"
        return PortCheck(b, "violated", claim, [(f"service {o.service.name} publishes {o.text!r}", o.at)])
    size = b.high - b.low + 1
    if b.pool and n is not None and not others and n > size:
        return PortCheck(
            b, "violated", f"{n} containers of {b.service.name} need {n} host ports; {b.shown()} holds {size}", steps
        )
    maybe = [o for o in found if o is not b and o.unknown is not None and o.protocol == b.protocol]
    if n is None:
        return PortCheck(b, "unknown", f"the number of containers of {b.service.name} is not known", steps)
    if others:
        claim = f"{b.shown()} overlaps the port range of {others[0].service.name} ({others[0].shown()}): which port "
        return PortCheck(b, "unknown", claim + "each takes depends on the order the engine starts the containers")
    if maybe:
        o = maybe[0]
        return PortCheck(b, "unknown", f"service {o.service.name} publishes {o.text!r}: {o.unknown}")
    return PortCheck(b, "proved", f"no other container of the project binds host port {b.shown()}", steps)


def _swarm(b: Binding, found: list[Binding]) -> PortCheck:
    if b.unknown is not None:
        return PortCheck(b, "unknown", f"published port {b.text!r}: {b.unknown}")
    if b.pool:
        return PortCheck(b, "unknown", f"a published range ({b.shown()}) on Swarm is not modelled")
    ports = [o for o in found if o.service is not b.service and o.unknown is None]
    for o in ports:
        same = o.protocol == b.protocol and o.low <= b.high and b.low <= o.high
        if same and "ingress" in (o.mode, b.mode):
            claim = (
                f"port '{b.low}' is already in use by service {o.service.name} as "
                f"{'an ingress' if o.mode == 'ingress' else 'a host-published'} port: Swarm rejects the stack"
            )
            return PortCheck(b, "violated", claim, [(f"service {o.service.name} publishes {o.text!r}", o.at)])
    maybe = [o for o in found if o.service is not b.service and o.unknown is not None and o.protocol == b.protocol]
    if maybe:
        o = maybe[0]
        return PortCheck(b, "unknown", f"service {o.service.name} publishes {o.text!r}: {o.unknown}")
    if b.mode == "ingress":
        claim = (
            f"no other service of the stack publishes port {b.low}/{b.protocol} (its replicas share the ingress port)"
        )
    else:
        claim = (
            f"no other service publishes {b.low}/{b.protocol} as an ingress port; host-mode tasks binding it are "
            "placed on distinct nodes by the scheduler"
        )
    return PortCheck(b, "proved", claim)
