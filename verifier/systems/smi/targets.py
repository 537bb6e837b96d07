"""Targets of SMI TrafficSplits: the root Service, each backend Service on each root port, the matched route
groups (smi-spec apis/traffic-split/v1alpha1..v1alpha4/traffic-split.md, cc4babdc).

* Backends: "Services inside the namespace"; a backend of weight 0 that does not exist yet is the spec's own
  rollout workflow ("refers to the service foobar-v2 even before it is created"): unknown, not a violation.
* Ports: "There *must* be a match between a port on the *root* service and a port on every destination backend
  service. If they do not match, the backend service is not included and will not receive traffic" (the spec
  calls such a configuration "invalid"): a backend of weight > 0 without the root port's number is violated.
* Root: with ``matches``, requests matching none "will be routed by the Kubernetes service with the same name as
  spec.service", so it must exist; without, the spec's example implementation creates it: unknown when absent.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.errors import Span
from cnverify.model import Resource, Service
from cnverify.model.smi import (
    SPECS,
    HTTPRouteGroup,
    SmiTCPRoute,
    TrafficSplit,
    TrafficSplitBackend,
    TrafficSplitMatch,
)
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.targets import Check, lookup, missing, step
from cnverify.systems.smi import weights

READS = (TrafficSplit, HTTPRouteGroup, SmiTCPRoute)
ROUTE_GROUPS: dict[str, type[Resource]] = {"HTTPRouteGroup": HTTPRouteGroup, "TCPRoute": SmiTCPRoute}
NOT_A_NAME = "is written as a DNS name; cnverify resolves a Service name in the TrafficSplit's namespace only"


def checks(snap: Snapshot) -> Iterator[Check]:
    for ts in snap.all(TrafficSplit):
        root, root_check = _root(snap, ts)
        yield from _unmatched(ts, root, root_check) if root is not None and ts.spec.matches else (root_check,)
        for m in ts.spec.matches or []:
            yield _match(snap, ts, m)
        for b, w in zip(ts.spec.backends, weights(ts), strict=True):
            yield from _backend(snap, ts, b, w == 0, root)


def _root(snap: Snapshot, ts: TrafficSplit) -> tuple[Service | None, Check]:
    ns, name, spec = ts.namespace, ts.spec.service, ts.spec
    steps: list[tuple[str, Span]] = [(f"root Service {name} (the name clients call)", spec.at("service"))]
    if "." in name:
        return None, Check(ts, spec, "unknown", f"spec.service {name!r} {NOT_A_NAME}", steps, where=_at(ts, "service"))
    found = lookup(snap, Service, ns, name, ts)
    if found:
        step(steps, f"Service {ns}/{name} exists", found[0].metadata.at("name"))
        return found[0], Check(ts, spec, "proved", f"root Service {ns}/{name} exists", steps, where=_at(ts, "service"))
    verdict, claim = missing(snap, ns, f"root Service {ns}/{name}")
    if spec.matches:
        claim += ": requests that match none of spec.matches have no Service to route them"
        step(
            steps,
            "requests that match none of spec.matches are routed by the Kubernetes Service named "
            "spec.service (smi-spec v1alpha3+)",
            spec.at("matches"),
        )
    elif verdict == "violated":
        verdict, claim = (
            "unknown",
            (
                f"{claim}: the spec's example implementation creates the root Service; whether "
                "the mesh's does is not in the inputs, and the backend ports cannot be checked"
            ),
        )
    return None, Check(ts, spec, verdict, claim, steps, where=_at(ts, "service"))


def _unmatched(ts: TrafficSplit, root: Service, found: Check) -> Iterator[Check]:
    """With ``matches``, the root Service itself receives the other requests: one check per root port (CNV104
    follows each to the root's pods)."""
    if not root.spec.ports:
        yield found
    for rp in root.spec.ports or []:
        steps = [
            *found.steps,
            (
                "requests that match none of spec.matches are routed by the Kubernetes Service "
                "named spec.service (smi-spec v1alpha3+)",
                ts.spec.at("matches"),
            ),
            (f"root Service port {rp.name or rp.port} is port {rp.port}", rp.at("port")),
        ]
        yield Check(
            ts,
            ts.spec,
            "proved",
            f"{found.claim}; it receives the unmatched requests on port {rp.port}",
            steps,
            service=root,
            port=rp,
            hop=f"unmatched requests → root Service {root.namespace}/{root.name}",
            where=found.where,
        )


def _match(snap: Snapshot, ts: TrafficSplit, m: TrafficSplitMatch) -> Check:
    ns = ts.namespace
    steps: list[tuple[str, Span]] = [(f"match {m.kind} {m.name}", m.at())]
    cls = ROUTE_GROUPS.get(m.kind)
    if cls is None or (m.api_group or SPECS) != SPECS:
        return Check(
            ts, m, "unknown", f"match kind {m.kind} ({m.api_group or SPECS}) is not modelled", steps, binding=True
        )
    found = lookup(snap, cls, ns, m.name, ts)
    if not found:
        verdict, claim = missing(snap, ns, f"{m.kind} {ns}/{m.name}")
        return Check(ts, m, verdict, claim, steps, binding=True)
    step(steps, f"{m.kind} {ns}/{m.name} exists", found[0].metadata.at("name"))
    return Check(ts, m, "proved", f"match resolves to {m.kind} {ns}/{m.name}", steps, binding=True)


def _backend(
    snap: Snapshot, ts: TrafficSplit, b: TrafficSplitBackend, idle: bool, root: Service | None
) -> Iterator[Check]:
    ns, name = ts.namespace, b.service
    steps: list[tuple[str, Span]] = [(f"backend {name} has weight {b.weight}", b.at("weight"))]
    if "." in name:
        yield Check(ts, b, "unknown", f"backend {name!r} {NOT_A_NAME}", steps)
        return
    found = lookup(snap, Service, ns, name, ts)
    if not found:
        verdict, claim = missing(snap, ns, f"Service {ns}/{name}")
        if idle and verdict == "violated":
            verdict, claim = (
                "unknown",
                (
                    f"{claim}, but backend {name} has weight 0 and receives no traffic (the "
                    "spec's rollout workflow names a backend before its Service is created)"
                ),
            )
        yield Check(ts, b, verdict, claim, steps)
        return
    svc = found[0]
    step(steps, f"Service {ns}/{name} exists", svc.metadata.at("name"))
    if root is None or not root.spec.ports:
        why = "is not resolved" if root is None else "declares no ports"
        yield Check(
            ts,
            b,
            "unknown",
            f"root Service {ns}/{ts.spec.service} {why}: the ports backend {name} must have are not known",
            steps,
        )
        return
    for rp in root.spec.ports:
        yield _port(
            ts,
            b,
            svc,
            root,
            rp.port,
            [*steps, (f"root Service port {rp.name or rp.port} is port {rp.port}", rp.at("port"))],
            idle,
        )


def _port(
    ts: TrafficSplit,
    b: TrafficSplitBackend,
    svc: Service,
    root: Service,
    number: int,
    steps: list[tuple[str, Span]],
    idle: bool,
) -> Check:
    """The spec matches ports by number (its invalid example: both named grpc, 8080 vs 1024)."""
    ref = f"Service {svc.namespace}/{svc.name}"
    hop = f"TrafficSplit backend → {ref}"
    bp = next((p for p in svc.spec.ports or [] if p.port == number), None)
    if bp is not None:
        step(steps, f"{ref} port {bp.name or bp.port} is port {number}", bp.at("port"))
        return Check(
            ts,
            b,
            "proved",
            f"backend {svc.name} receives root port {number} on {ref} port {number}",
            steps,
            service=svc,
            port=bp,
            hop=hop,
        )
    listed = ", ".join(f"{p.name or '-'}:{p.port}" for p in svc.spec.ports or []) or "none"
    claim = (
        f"{ref} has no port {number} (ports: {listed}): traffic for root Service {root.name} port {number} is "
        f'not split to it (the spec: the backend "is not included and will not receive traffic")'
    )
    if idle:
        return Check(ts, b, "unknown", f"{claim}; its weight is 0, so no traffic is lost yet", steps)
    return Check(ts, b, "violated", claim, steps, service=svc, hop=hop)


def _at(ts: TrafficSplit, field: str) -> tuple[Span, str]:
    return ts.spec.at(field), f"spec.{field}"
