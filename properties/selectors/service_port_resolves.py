"""CNV203 service-port-resolves."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.model import Service
from cnverify.model.core import ServicePort
from cnverify.obligation import Obligation
from cnverify.opaque import Opaque
from cnverify.properties._shared.pod_creators import unmodelled_refute
from cnverify.properties._shared.selectors.pods import (
    SHAPE_READS,
    PodShape,
    label_terms,
    selecting_services,
    selection,
    shapes_of,
    undecided_reason,
)
from cnverify.properties._shared.selectors.ports import IANA_NAME, resolve
from cnverify.registry import Property, register
from cnverify.run_context import RunContext


@register
class ServicePortResolves(Property):
    """
    ## What it proves
    Each port of a Service with a selector has a `targetPort` (a number, a name, or defaulting to
    `port`) that names a containerPort in every pod template the Service selects. When kinds cnverify does
    not model (or a Gateway's proxy) may create selected pods, a named targetPort is not proved (`unknown`).

    ## Why it matters
    A named `targetPort` is resolved per pod, by name **and** protocol, first container first; a
    pod without such a port is silently left out of that port's endpoints, so one Deployment of
    two serves nothing on it. A numeric `targetPort` is used as is (containerPorts are informational).

    ## Evidence
    Violated: the selected templates and which ones lack the port (witness: owner → resolved
    number, `null` when unresolved). Proved: the number each selected template resolves to.

    ## Example
    ```yaml
    ports: [{port: 80, targetPort: http}]   # violated when a selected template has no port named http/TCP
    ```

    ## Assumes
    - The selected pods are those of CNV202, with the same rule for unmodelled pod creators (`unknown`).
    - Containers are those of the pod templates: containers injected at admission (mesh sidecars) are not
      read, and do not serve the application's named ports.
    """

    code = "CNV203"
    name = "service-port-resolves"
    title = "Service targetPort resolves in every selected pod"
    severity = "error"
    reads = (Service, *SHAPE_READS)
    remediation = "Name the container port as targetPort says (same protocol), or use a numeric targetPort."
    closed_world = frozenset({"proved"})  # absent here may be in an unread document

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        shapes, terms = shapes_of(ctx), label_terms(ctx)
        for svc, sel in selecting_services(snap):
            selected, undecided = selection(shapes.get(svc.namespace, []), sel, terms=terms)
            for i, port in enumerate(svc.spec.ports or []):
                yield self.check(svc, i, port, selected, undecided, snap.pod_creators(svc.namespace))

    def check(
        self,
        svc: Service,
        i: int,
        port: ServicePort,
        selected: list[PodShape],
        undecided: list[PodShape],
        creators: list[Opaque],
    ) -> Obligation:
        sel = svc.spec.selector or {}
        target = port.target_port
        where = port.at("targetPort") if target not in (None, 0, "") else port.at("port")
        ob = self.obligation(svc, at=where, path=f"spec.ports[{i}]")
        label = port.name or str(port.port)
        if not isinstance(target, str) or target == "":
            number = port.port if target in (None, 0, "") else target
            ob.note(
                f"targetPort is {number}" + (" (defaults to port)" if number == port.port and target != number else ""),
                where,
            )
            if not 1 <= int(number) <= 65535:
                ob.decide(
                    "violated",
                    f"targetPort {number} is outside 1..65535, the API server rejects it",
                    witness={"targetPort": number},
                )
                ob.on(violated=f"port {label}: targetPort {number} is not a port number (1..65535)")
                return ob
            ob.decide("proved", f"a numeric targetPort is used as is ({number})", witness={"targetPort": number})
            ob.on(proved=f"port {label} targets port number {number}")
            return ob
        ob.note(f"targetPort is the name {target!r} with protocol {port.protocol}", where)
        if not IANA_NAME.match(target):
            ob.decide(
                "violated",
                f"{target!r} is not a valid port name (IANA service name), the API server rejects it",
                witness={"targetPort": target},
            )
            ob.on(violated=f"port {label}: targetPort {target!r} is not a valid port name")
            return ob
        if not selected:
            ob.unknown(
                undecided_reason(undecided)
                if undecided
                else f"the selector selects no pod template in namespace {svc.namespace} (see CNV202)"
            )
            return ob
        unmodelled_refute(ob, [sel], creators, f"whether their containers name port {target!r} is not in the inputs")
        witness: dict[str, int | None] = {}
        for shape in selected:
            hit = resolve(shape, target, port.protocol)
            ref = shape.owner.ref
            if hit is None:
                witness[ref] = None
                ob.note(
                    f"no container of {ref} has a port named {target!r} with protocol {port.protocol}",
                    shape.spec.at("containers"),
                )
            else:
                cname, _, cport = hit
                witness[ref] = cport.container_port
                ob.note(
                    f"{ref}: container {cname!r} port {target!r}/{port.protocol} is {cport.container_port}",
                    cport.at("name"),
                )
        pinned = {shape.owner.ref: shape.pinned(sel) for shape in selected if shape.pinned(sel)}
        missing = [r for r, n in witness.items() if n is None and r not in pinned]
        maybe = [r for r, n in witness.items() if n is None and r in pinned]
        if maybe and not missing:
            keys = sorted(set().union(*pinned.values()))
            ob.unknown(
                f"{', '.join(maybe)} cannot resolve {target!r} but is selected only if {', '.join(keys)} "
                "(a hash the controller computes at runtime) takes the value the selector requires"
            )
            return ob
        if missing:
            ob.decide(
                "violated",
                f"{len(missing)} of {len(selected)} selected template(s) cannot resolve {target!r}",
                witness=witness,
            )
            ob.on(
                violated=f"port {label}: targetPort {target!r}/{port.protocol} is not a container port of "
                f"{', '.join(missing)}"
            )
        elif undecided:
            ob.unknown(
                f"all {len(selected)} selected template(s) resolve {target!r}, but " + undecided_reason(undecided)
            )
        else:
            ob.decide("proved", f"all {len(selected)} selected template(s) resolve {target!r}", witness=witness)
            ob.on(proved=f"port {label}: targetPort {target!r} resolves in every selected template")
        return ob
