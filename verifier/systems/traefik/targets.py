"""Targets of Traefik routes: IngressRoute services, TraefikService members and Middleware references.

traefik/traefik fd5a576d ``pkg/provider/kubernetes/crd/kubernetes_http.go``: a route's Service must exist
(``loadServers``: "kubernetes service not found") with the port the reference names (``getServicePort``: a
number matches ``port``, a name matches the port's ``name``; none given is an error), in the IngressRoute's
namespace unless ``allowCrossNamespace`` (default false); a failure skips the route, so Traefik builds no router
for it. A TraefikService reference (kind ``TraefikService``) names a TraefikService of the namespace, built
on its own (``buildTraefikService``); the service manager refuses a service that reaches itself
(``pkg/server/service/service.go`` ``recursion.CheckRecursion``). A Middleware missing makes the router fail
(``router.go`` ``buildHTTPHandler``). Names with ``@`` belong to another provider (not in the inputs).
"""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.errors import Span
from cnverify.model import Resource
from cnverify.model.traefik import IngressRoute, LoadBalancerSpec, Middleware, Route, TraefikRef, TraefikService
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.targets import Check, lookup, missing, service_target

READS = (IngressRoute, TraefikService, Middleware)
CROSS = "allowCrossNamespace is false by default (provider option, not in the inputs)"


def checks(snap: Snapshot) -> Iterator[Check]:
    for ir in snap.all(IngressRoute):
        for i in range(len(ir.spec.routes)):
            yield from route_checks(snap, ir, i, members=False)
    for ts in snap.all(TraefikService):
        kind, members = ts.members()
        for path, m in members:
            yield _reference(snap, ts, m, path, f"TraefikService {ts.namespace}/{ts.name} ({kind})")


def has_children(snap: Snapshot, ir: IngressRoute) -> bool:
    """Do IngressRoutes of the inputs attach to ``ir`` through ``parentRefs`` (its routes then lead to them)?"""
    return any(
        (p.namespace or o.namespace, p.name) == (ir.namespace, ir.name)
        for o in snap.all(IngressRoute)
        for p in o.spec.parent_refs or []
    )


def _no_service(ir: IngressRoute, node: Route, path: str, label: str, children: bool) -> Check:
    steps: list[tuple[str, Span]] = [(f"{label} names no service", node.at())]
    if children:
        return Check(ir, node, "unknown", f"{label} routes to child IngressRoutes (parentRefs: not modelled)", steps)
    claim = f"{label} has no service and no child routers: Traefik does not build its router"
    return Check(ir, node, "violated", claim, steps, where=(node.at(), path))


def _middleware(snap: Snapshot, ir: IngressRoute, mw: TraefikRef, path: str, label: str) -> Check:
    steps: list[tuple[str, Span]] = [(f"{label} uses Middleware {mw.name}", mw.at())]
    where = (mw.at(), path)
    if "@" in mw.name:
        return Check(ir, mw, "unknown", f"Middleware {mw.name} belongs to another provider", steps, where=where)
    ns = mw.namespace or ir.namespace
    if ns != ir.namespace:
        claim = f"Middleware {ns}/{mw.name} is in another namespace: {CROSS}, so Traefik skips {label}"
        return Check(ir, mw, "violated", claim, steps, where=where)
    if lookup(snap, Middleware, ns, mw.name, ir):
        return Check(ir, mw, "proved", f"Middleware {ns}/{mw.name} exists", steps, where=where)
    verdict, claim = missing(snap, ns, f"Middleware {ns}/{mw.name}")
    return Check(ir, mw, verdict, f"{claim}: Traefik does not build the router of {label}", steps, where=where)


def _reference(snap: Snapshot, owner: Resource, ref: LoadBalancerSpec, path: str, label: str) -> Check:
    """One service reference of a route or a TraefikService."""
    steps: list[tuple[str, Span]] = []
    where = (ref.at(), path)
    kind = ref.kind or "Service"
    if ".mirrors[" in path and ref.percent is not None and not 0 <= ref.percent <= 100:
        steps.append((f"{label} mirrors {ref.name} at {ref.percent}%", ref.at("percent")))
        claim = f"mirror percent {ref.percent} is not between 0 and 100: Traefik refuses the mirroring service"
        return Check(owner, ref, "violated", claim, steps, where=where)  # mirror.go AddMirror
    if "@" in ref.name:
        steps.append((f"{label} → {kind} {ref.name}", ref.at("name")))
        return Check(owner, ref, "unknown", f"{kind} {ref.name} belongs to another provider", steps, where=where)
    ns = ref.namespace or owner.namespace
    if ns != owner.namespace:
        steps.append((f"{label} → {kind} {ns}/{ref.name}", ref.at("namespace")))
        claim = f"{kind} {ns}/{ref.name} is in another namespace than {label}: {CROSS}"
        return Check(owner, ref, "violated", claim, steps, where=where)
    if kind == "TraefikService":
        return _traefik_service(snap, owner, ref, ns, label, where)
    if kind != "Service":
        steps.append((f"{label} → kind {kind}", ref.at("kind")))
        return Check(owner, ref, "violated", f"unsupported service kind {kind}", steps, where=where)
    steps.append((f"{label} → Service {ns}/{ref.name}", ref.at("name")))
    if ref.port is None or ref.port in (0, ""):
        claim = f"{label} names no port of Service {ns}/{ref.name}: Traefik rejects the reference (port not defined)"
        return Check(owner, ref, "violated", claim, steps, where=where)
    check = service_target(snap, owner, ref, ns, ref.name, ref.port, steps, port_required=True, what=label)
    check.where = where
    return check


def _traefik_service(
    snap: Snapshot, owner: Resource, ref: LoadBalancerSpec, ns: str, label: str, where: tuple[Span, str]
) -> Check:
    steps: list[tuple[str, Span]] = [(f"{label} → TraefikService {ns}/{ref.name}", ref.at("name"))]
    found = lookup(snap, TraefikService, ns, ref.name, owner)
    if not found:
        verdict, claim = missing(snap, ns, f"TraefikService {ns}/{ref.name}")
        return Check(owner, ref, verdict, claim, steps, where=where)
    ts = found[0]
    steps.append((f"TraefikService {ns}/{ref.name} exists", ts.metadata.at("name")))
    kind, _ = ts.members()
    if not kind:
        claim = f"TraefikService {ns}/{ref.name} sets none of weighted, mirroring, highestRandomWeight, failover"
        return Check(owner, ref, "violated", claim, steps, where=where)
    loop = cycle(snap, ts)
    if loop:
        path = " → ".join(f"{t.namespace}/{t.name}" for t in loop)
        steps += [(f"TraefikService {t.namespace}/{t.name} sends to the next", t.at("spec")) for t in loop[:-1]]
        claim = (
            f"TraefikService {ns}/{ref.name} reaches the cycle {path}: Traefik refuses the services on it "
            "(recursion detected), so it is not built"
        )
        return Check(owner, ref, "violated", claim, steps, where=where)
    return Check(
        owner, ref, "proved", f"{label} resolves to TraefikService {ns}/{ref.name} ({kind})", steps, where=where
    )


def cycle(snap: Snapshot, start: TraefikService) -> list[TraefikService]:
    """A path of TraefikServices from ``start`` back to one already on it (empty: none)."""
    trail: list[TraefikService] = []

    def visit(ts: TraefikService) -> list[TraefikService]:
        if any(t is ts for t in trail):
            return [*trail[[id(t) for t in trail].index(id(ts)) :], ts]
        trail.append(ts)
        for _, m in ts.members()[1]:
            if m.kind == "TraefikService" and "@" not in m.name:
                nxt = lookup(snap, TraefikService, m.namespace or ts.namespace, m.name, ts)
                if nxt:
                    found = visit(nxt[0])
                    if found:
                        return found
        trail.pop()
        return []

    return visit(start)


def route_checks(snap: Snapshot, ir: IngressRoute, index: int, members: bool = True) -> list[Check]:
    """The checks of one route: its middlewares and its services, and with ``members`` those of every
    TraefikService it reaches (a member that fails fails the service, then the router: what Traefik's building
    of the router depends on)."""
    route, path = ir.spec.routes[index], f"spec.routes[{index}]"
    label = f"IngressRoute {ir.namespace}/{ir.name} routes[{index}]"
    out = [_middleware(snap, ir, mw, f"{path}.middlewares[{j}]", label) for j, mw in enumerate(route.middlewares or [])]
    if not route.services:
        out.append(_no_service(ir, route, path, label, has_children(snap, ir)))
    out += [_reference(snap, ir, s, f"{path}.services[{j}]", label) for j, s in enumerate(route.services or [])]
    seen: list[TraefikService] = []
    todo = [(s, ir.namespace) for s in route.services or [] if s.kind == "TraefikService" and "@" not in s.name]
    todo = todo if members else []
    while todo:
        ref, ns = todo.pop()
        found = lookup(snap, TraefikService, ref.namespace or ns, ref.name, ir)
        if not found or any(t is found[0] for t in seen):
            continue
        ts = found[0]
        seen.append(ts)
        kind, refs = ts.members()
        for mpath, m in refs:
            out.append(_reference(snap, ts, m, mpath, f"TraefikService {ts.namespace}/{ts.name} ({kind})"))
            if m.kind == "TraefikService" and "@" not in m.name:
                todo.append((m, ts.namespace))
    return out


def fate(snap: Snapshot, ir: IngressRoute, index: int) -> tuple[str, str]:
    """Does Traefik build the route's router? ``("built", "")``, ``("dropped", why)`` when a reference it needs
    fails, ``("open", why)`` when one is outside the inputs (or the unit was not read whole: what is missing may
    be in a document that could not be read)."""
    checks = route_checks(snap, ir, index)
    bad = next((c for c in checks if c.verdict == "violated"), None)
    if bad is not None:
        return ("dropped" if snap.closed_world_gap is None else "open"), bad.claim
    open_ = next((c for c in checks if c.verdict == "unknown"), None)
    return ("open", open_.claim) if open_ is not None else ("built", "")
