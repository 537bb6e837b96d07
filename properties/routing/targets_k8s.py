"""Targets of Gateway API HTTPRoutes (backendRefs, parentRefs) and Kubernetes Ingresses."""
from __future__ import annotations

from collections.abc import Iterator

from cnverify.errors import Span
from cnverify.model import Namespace
from cnverify.model.gateway import GATEWAY_API, BackendRef, Gateway, HTTPRoute, ParentReference, ReferenceGrant
from cnverify.model.ingress import Ingress, IngressBackend
from cnverify.properties.routing.gateway_attach import route_parents
from cnverify.properties.routing.targets import Check, service_target, step
from cnverify.snapshot import Snapshot

READS = (HTTPRoute, Gateway, ReferenceGrant, Ingress, Namespace)
# AWS Load Balancer Controller: a backend whose port is "use-annotation" names the action defined in the
# annotation alb.ingress.kubernetes.io/actions.<service name> (docs: guide/ingress/annotations.md, "actions")
USE_ANNOTATION = "use-annotation"
ALB_ACTION = "alb.ingress.kubernetes.io/actions."


def checks(snap: Snapshot) -> Iterator[Check]:
    for route in snap.all(HTTPRoute):
        for i, rule in enumerate(route.spec.rules or []):
            for ref in rule.backend_refs or []:
                yield _backend(snap, route, ref, f"rule {i} backendRef {ref.name}")
        for pref in route.spec.parent_refs or []:
            yield _parent(snap, route, pref)
        if not route.spec.parent_refs:
            yield Check(route, route.spec, "violated", "the HTTPRoute has no parentRefs: it attaches to no Gateway "
                        "or Service and serves no request", [("spec.parentRefs is absent", route.spec.at())],
                        binding=True)
    for ing in snap.all(Ingress):
        backends: list[tuple[IngressBackend, str]] = []
        if ing.spec.default is not None:
            backends.append((ing.spec.default, "default backend"))
        for rule in ing.spec.rules or []:
            for p in rule.http.paths if rule.http else []:
                backends.append((p.backend, f"{rule.host or '*'}{p.path or ''} backend"))
        for b, what in backends:
            yield _ingress_backend(snap, ing, b, what)


def _granted(snap: Snapshot, route: HTTPRoute, ns: str, name: str) -> ReferenceGrant | None:
    for grant in snap.in_namespace(ReferenceGrant, ns):
        if any(f.group == GATEWAY_API and f.kind == "HTTPRoute" and f.namespace == route.namespace
               for f in grant.spec.from_) and any(t.group in ("", "core") and t.kind == "Service"
                                                  and t.name in (None, name) for t in grant.spec.to):
            return grant
    return None


def _backend(snap: Snapshot, route: HTTPRoute, ref: BackendRef, what: str) -> Check:
    kind, group = ref.kind or "Service", ref.group or ""
    ns = ref.namespace or route.namespace
    steps: list[tuple[str, Span]] = [(f"{what}: {kind} {ns}/{ref.name}", ref.at("name"))]
    if (group, kind) not in (("", "Service"), ("core", "Service")):
        return Check(route, ref, "unknown", f"backend kind {group or 'core'}/{kind} is implementation-specific",
                     steps)
    if ns != route.namespace:
        grant = _granted(snap, route, ns, ref.name)
        if grant is None:
            return Check(route, ref, "violated", f"the reference to Service {ns}/{ref.name} crosses namespaces and "
                         f"no ReferenceGrant in {ns} allows HTTPRoutes from {route.namespace}", steps)
        step(steps, f"ReferenceGrant {ns}/{grant.name} allows it", grant.metadata.at("name"))
    if ref.port is None:
        return Check(route, ref, "violated", "a Service backendRef needs a port", steps)
    return service_target(snap, route, ref, ns, ref.name, ref.port, steps, port_required=True, what=what)


def _parent(snap: Snapshot, route: HTTPRoute, pref: ParentReference) -> Check:
    r = next(x for x in route_parents(snap, route) if x.pref is pref)
    return Check(route, pref, r.verdict, r.claim, r.steps, binding=True)


def _ingress_backend(snap: Snapshot, ing: Ingress, b: IngressBackend, what: str) -> Check:
    ref = b.service_ref
    steps: list[tuple[str, Span]] = []
    if ref is None:
        step(steps, f"{what} is a resource backend", b)
        return Check(ing, b, "unknown", "resource backends are controller-specific", steps)
    name, port = ref
    if port == USE_ANNOTATION:
        return _alb_action(ing, b, name, what)
    step(steps, f"{what}: Service {ing.namespace}/{name} port {port}", b)
    if port is None:
        return Check(ing, b, "violated", "the backend names no Service port", steps)
    return service_target(snap, ing, b, ing.namespace, name, port, steps, port_required=True, what=what)


def _alb_action(ing: Ingress, b: IngressBackend, name: str, what: str) -> Check:
    """An AWS Load Balancer Controller action backend: it resolves to the annotation, not to a Service port."""
    key = ALB_ACTION + name
    steps: list[tuple[str, Span]] = [(f"{what}: port {USE_ANNOTATION} names the action {name} of annotation {key}",
                                      b.at())]
    if key in ing.annotations:
        step(steps, f"annotation {key} defines the action", ing.metadata.at("annotations", key))
        return Check(ing, b, "proved", f"{what} is the AWS Load Balancer Controller action {name}", steps)
    if ing.ingress_class == "alb":
        return Check(ing, b, "violated", f"{what} names the action {name} but the Ingress has no annotation {key}",
                     steps)
    return Check(ing, b, "unknown", f"{what} uses port {USE_ANNOTATION} (an AWS Load Balancer Controller action) "
                 f"without annotation {key}, and the Ingress class {ing.ingress_class or '(none)'} is not alb", steps)
