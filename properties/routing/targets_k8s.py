"""Targets of Gateway API HTTPRoutes (backendRefs, parentRefs) and Kubernetes Ingresses."""
from __future__ import annotations

from collections.abc import Iterator

from cnverify.encodings.hosts import overlaps
from cnverify.errors import Span
from cnverify.model import Namespace, Service
from cnverify.model.gateway import (GATEWAY_API, BackendRef, Gateway, HTTPRoute, Listener, ParentReference,
                                    ReferenceGrant)
from cnverify.model.ingress import Ingress, IngressBackend
from cnverify.properties.routing.targets import Check, lookup, missing, service_target, step
from cnverify.snapshot import Snapshot

READS = (HTTPRoute, Gateway, ReferenceGrant, Ingress, Namespace)
HTTP_PROTOCOLS = ("HTTP", "HTTPS")


def checks(snap: Snapshot) -> Iterator[Check]:
    for route in snap.all(HTTPRoute):
        for i, rule in enumerate(route.spec.rules or []):
            for ref in rule.backend_refs or []:
                yield _backend(snap, route, ref, f"rule {i} backendRef {ref.name}")
        for pref in route.spec.parent_refs or []:
            yield _parent(snap, route, pref)
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
        if any(f.group == GATEWAY_API and f.kind == route.KIND and f.namespace == route.namespace
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
                         f"no ReferenceGrant in {ns} allows {route.KIND}s from {route.namespace}", steps)
        step(steps, f"ReferenceGrant {ns}/{grant.name} allows it", grant.metadata.at("name"))
    if ref.port is None:
        return Check(route, ref, "violated", "a Service backendRef needs a port", steps)
    return service_target(snap, route, ref, ns, ref.name, ref.port, steps, port_required=True, what=what)


def _listener_accepts(snap: Snapshot, gw: Gateway, ln: Listener, route: HTTPRoute) -> str | None:
    """None if ``ln`` accepts ``route``, else the reason it does not."""
    ar = ln.allowed_routes
    kinds = [k.kind for k in ar.kinds] if ar is not None and ar.kinds else None
    if kinds is not None and "HTTPRoute" not in kinds:
        return f"listener {ln.name} allows only {kinds}"
    if kinds is None and ln.protocol not in HTTP_PROTOCOLS:
        return f"listener {ln.name} has protocol {ln.protocol} (HTTPRoute needs HTTP or HTTPS)"
    frm = ar.namespaces.from_ if ar is not None and ar.namespaces is not None else "Same"
    if frm == "Same" and route.namespace != gw.namespace:
        return f"listener {ln.name} accepts routes from its own namespace {gw.namespace} only"
    if frm == "Selector":
        sel = ar.namespaces.selector if ar is not None and ar.namespaces is not None else None
        ns_obj = snap.get(Namespace, "", route.namespace)
        if sel is None or sel.match_expressions or ns_obj is None:
            return "?"  # cannot decide: the namespace's labels or the selector are not modelled
        if any(ns_obj.labels.get(k) != v for k, v in (sel.match_labels or {}).items()):
            return f"listener {ln.name}'s namespace selector does not select namespace {route.namespace}"
    names = route.spec.hostnames or []
    if ln.hostname and names and not any(overlaps(ln.hostname, h) for h in names):
        return f"listener {ln.name} hostname {ln.hostname} intersects none of {names}"
    return None


def _parent(snap: Snapshot, route: HTTPRoute, pref: ParentReference) -> Check:
    kind, group = pref.kind or "Gateway", pref.group if pref.group is not None else GATEWAY_API
    ns = pref.namespace or route.namespace
    steps: list[tuple[str, Span]] = [(f"parentRef {kind} {ns}/{pref.name}", pref.at("name"))]
    if kind == "Service" and group in ("", "core"):
        if not lookup(snap, Service, ns, pref.name, route):
            verdict, claim = missing(snap, ns, f"Service {ns}/{pref.name}")
            return Check(route, pref, verdict, claim, steps, binding=True)
        return Check(route, pref, "proved", f"parent Service {ns}/{pref.name} exists", steps, binding=True)
    if (group, kind) != (GATEWAY_API, "Gateway"):
        return Check(route, pref, "unknown", f"parent kind {group}/{kind} is not modelled", steps, binding=True)
    candidates = lookup(snap, Gateway, ns, pref.name, route)
    if not candidates:
        verdict, claim = missing(snap, ns, f"Gateway {ns}/{pref.name}")
        return Check(route, pref, verdict, claim, steps, binding=True)
    results = [_on_gateway(snap, route, pref, g, list(steps)) for g in candidates]  # same file first
    return next((c for c in results if c.verdict == "proved"), results[0])


def _on_gateway(snap: Snapshot, route: HTTPRoute, pref: ParentReference, gw: Gateway,
                steps: list[tuple[str, Span]]) -> Check:
    """Does one definition of the parent Gateway have a listener that accepts ``route``?"""
    ref = f"{gw.namespace}/{gw.name}"
    step(steps, f"Gateway {ref} exists", gw.metadata.at("name"))
    listeners = [ln for ln in gw.spec.listeners if (pref.section_name is None or ln.name == pref.section_name)
                 and (pref.port is None or ln.port == pref.port)]
    if not listeners:
        sel = " and ".join(x for x in (pref.section_name and f"named {pref.section_name}",
                                        pref.port and f"on port {pref.port}") if x)
        return Check(route, pref, "violated", f"Gateway {ref} has no listener {sel}", steps, binding=True)
    reasons = []
    for ln in listeners:
        why = _listener_accepts(snap, gw, ln, route)
        if why is None:
            step(steps, f"listener {ln.name} ({ln.protocol} {ln.port}) accepts the route", ln.at("name"))
            return Check(route, pref, "proved", f"listener {ln.name} of Gateway {ref} accepts the route",
                         steps, binding=True)
        reasons.append(why)
        if why != "?":
            step(steps, why, ln.at("name"))
    if "?" in reasons:
        return Check(route, pref, "unknown", "a listener's namespace selector cannot be evaluated on the inputs",
                     steps, binding=True)
    return Check(route, pref, "violated", f"no listener of Gateway {ref} accepts the route", steps, binding=True)


def _ingress_backend(snap: Snapshot, ing: Ingress, b: IngressBackend, what: str) -> Check:
    ref = b.service_ref
    steps: list[tuple[str, Span]] = []
    if ref is None:
        step(steps, f"{what} is a resource backend", b)
        return Check(ing, b, "unknown", "resource backends are controller-specific", steps)
    name, port = ref
    step(steps, f"{what}: Service {ing.namespace}/{name} port {port}", b)
    if port is None:
        return Check(ing, b, "violated", "the backend names no Service port", steps)
    return service_target(snap, ing, b, ing.namespace, name, port, steps, port_required=True, what=what)
