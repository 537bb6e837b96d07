"""CNV206 probe-port-resolves."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.model import Container, Resource
from cnverify.model.core import PortAction
from cnverify.obligation import Obligation
from cnverify.properties._shared.selectors.pods import POD_OWNERS, shape_of, workload_objects
from cnverify.properties._shared.selectors.ports import IANA_NAME
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.source import format_path

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HANDLERS = ("httpGet", "tcpSocket", "grpc")


@register
class ProbePortResolves(Property):
    """
    ## What it proves
    A liveness, readiness or startup probe whose port (httpGet, tcpSocket) is given by name names
    a port of its own container; a grpc probe port is a number.

    ## Why it matters
    The kubelet looks the name up among the container's own `ports` (not the pod's); when it is
    missing the probe fails every time: a liveness probe restarts the container forever, a readiness
    probe keeps the pod out of every Service. Port names must also be valid IANA service names.

    ## Evidence
    Violated: the probe's port name and the container's port names (witness). Proved: the port
    number the name resolves to.

    ## Example
    ```yaml
    ports: [{name: http, containerPort: 8080}]
    livenessProbe: {httpGet: {port: metrics}}   # violated: no port named metrics
    ```

    ## Assumes
    - Only the container itself: no cluster input is assumed.
    """

    code = "CNV206"
    name = "probe-port-resolves"
    title = "Probe named port resolves in its container"
    severity = "error"
    reads = POD_OWNERS
    remediation = "Name a port declared in this container's ports, or use the port number."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        for obj in workload_objects(snap):
            for _, _, c in shape_of(obj).spec.all_containers():
                for probe_field in PROBES:
                    probe = getattr(c, _attr(probe_field))
                    for handler_field in HANDLERS if probe is not None else ():
                        action = getattr(probe, _attr(handler_field))
                        if action is not None and isinstance(action.port, str):
                            yield self.check(obj, c, probe_field, handler_field, action)

    def check(self, obj: Resource, c: Container, probe_field: str, handler: str, action: PortAction) -> Obligation:
        name = str(action.port)
        ob = self.obligation(obj, at=c.at(probe_field), path=format_path(c.field_path + (probe_field,)))
        ob.note(f"the {probe_field} {handler} port is the name {name!r}", action.at("port"))
        ports = c.ports or []
        names = [p.name for p in ports if p.name]
        if handler == "grpc":
            ob.decide("violated", "a grpc probe port must be a number (int32)", witness={"port": name})
            ob.on(violated=f"container {c.name!r}: grpc {probe_field} port {name!r} must be a number")
            return ob
        if not IANA_NAME.match(name):
            ob.decide(
                "violated",
                f"{name!r} is not a valid port name (IANA service name), the API server rejects it",
                witness={"port": name},
            )
            ob.on(violated=f"container {c.name!r}: {probe_field} port {name!r} is not a valid port name")
            return ob
        hit = next((p for p in ports if p.name == name), None)
        if hit is None:
            ob.note(f"container {c.name!r} declares ports {names or 'none'}", c.at("ports") if ports else c.at())
            ob.decide(
                "violated",
                f"no port of container {c.name!r} is named {name!r}",
                witness={"port": name, "containerPorts": names},
            )
            ob.on(violated=f"container {c.name!r}: {probe_field} port {name!r} is not one of its ports {names}")
            return ob
        udp = f" (declared {hit.protocol}; the probe connects over TCP)" if hit.protocol != "TCP" else ""
        ob.note(f"container {c.name!r} port {name!r} is {hit.container_port}{udp}", hit.at("name"))
        ob.decide(
            "proved",
            f"{name!r} resolves to {hit.container_port}",
            witness={"port": name, "containerPort": hit.container_port},
        )
        ob.on(proved=f"container {c.name!r}: {probe_field} port {name!r} is {hit.container_port}{udp}")
        return ob


def _attr(field: str) -> str:
    """``livenessProbe`` → ``liveness_probe`` (model attribute names)."""
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in field)
