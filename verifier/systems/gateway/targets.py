"""Targets of Gateway API HTTPRoutes (backendRefs, parentRefs)."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.errors import Span
from cnverify.model import Namespace
from cnverify.model.gateway import GATEWAY_API, BackendRef, Gateway, HTTPRoute, ParentReference, ReferenceGrant
from cnverify.model.gateway_l4 import TCPRoute, TLSRoute
from cnverify.snapshot import Snapshot
from cnverify.systems.gateway.attach import route_parents
from cnverify.systems.routing.targets import Check, service_target, step

READS = (HTTPRoute, Gateway, ReferenceGrant, Namespace)


def checks(snap: Snapshot) -> Iterator[Check]:
    for route in snap.all(HTTPRoute):
        for i, rule in enumerate(route.spec.rules or []):
            for ref in rule.backend_refs or []:
                yield _backend(snap, route, ref, f"rule {i} backendRef {ref.name}")
        for pref in route.spec.parent_refs or []:
            yield _parent(snap, route, pref)
        if not route.spec.parent_refs:
            yield Check(
                route,
                route.spec,
                "violated",
                "the HTTPRoute has no parentRefs: it attaches to no Gateway or Service and serves no request",
                [("spec.parentRefs is absent", route.spec.at())],
                binding=True,
            )


def _granted(snap: Snapshot, route: HTTPRoute | TCPRoute | TLSRoute, ns: str, name: str) -> ReferenceGrant | None:
    for grant in snap.in_namespace(ReferenceGrant, ns):
        if any(
            f.group == GATEWAY_API and f.kind == route.KIND and f.namespace == route.namespace for f in grant.spec.from_
        ) and any(t.group in ("", "core") and t.kind == "Service" and t.name in (None, name) for t in grant.spec.to):
            return grant
    return None


def _backend(snap: Snapshot, route: HTTPRoute | TCPRoute | TLSRoute, ref: BackendRef, what: str) -> Check:
    kind, group = ref.kind or "Service", ref.group or ""
    ns = ref.namespace or route.namespace
    steps: list[tuple[str, Span]] = [(f"{what}: {kind} {ns}/{ref.name}", ref.at("name"))]
    if (group, kind) not in (("", "Service"), ("core", "Service")):
        return Check(route, ref, "unknown", f"backend kind {group or 'core'}/{kind} is implementation-specific", steps)
    if ns != route.namespace:
        grant = _granted(snap, route, ns, ref.name)
        if grant is None:
            return Check(
                route,
                ref,
                "violated",
                f"the reference to Service {ns}/{ref.name} crosses namespaces and "
                f"no ReferenceGrant in {ns} allows {route.KIND}s from {route.namespace}",
                steps,
            )
        step(steps, f"ReferenceGrant {ns}/{grant.name} allows it", grant.metadata.at("name"))
    if ref.port is None:
        return Check(route, ref, "violated", "a Service backendRef needs a port", steps)
    return service_target(snap, route, ref, ns, ref.name, ref.port, steps, port_required=True, what=what)


def _parent(snap: Snapshot, route: HTTPRoute, pref: ParentReference) -> Check:
    r = next(x for x in route_parents(snap, route) if x.pref is pref)
    return Check(route, pref, r.verdict, r.claim, r.steps, binding=True)
