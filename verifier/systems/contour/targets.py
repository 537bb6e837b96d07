"""Targets of HTTPProxies: each include (another HTTPProxy), each root's virtual host, each service
(docs/SEMANTICS.md#contour-httpproxy).

* Includes (httpproxy_processor.go ``computeRoutes``): the included proxy must exist among the proxies of the same
  ingress class (``IncludeNotFound``: Contour answers 502 on the include's conditions) and must not be a root
  (``RootIncludesRoot``); invalid include conditions, duplicate ones and cycles are status errors too.
* Virtual hosts: a root whose fqdn another root of its class also claims (``DuplicateVhost``), or that Contour
  rejects before its routes (``NothingDefined``, TLS), programs nothing; a non-root nobody includes is
  ``Orphaned``.
* Services (``EnsureService`` / cache.go ``LookupService``): a Service of the proxy's namespace with a port whose
  number (or name) is ``port`` and protocol TCP; ExternalName Services only with ``enableExternalNameService``
  (off by default); unresolved: ``ServiceUnresolvedReference``, the service is left out of the route.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.errors import Span
from cnverify.model.contour import HTTPProxy
from cnverify.snapshot import Snapshot
from cnverify.systems.contour.dag import READS, TLS, Installation, Problem, config_step, installations
from cnverify.systems.routing.targets import Check, missing, service_target

ROOT_REASONS = frozenset({"DuplicateVhost", "NothingDefined", "TLSConfigNotValid", "TLSMustBeConfigured", "Orphaned"})
EXTERNAL_NAME = (
    "Service {} is of type ExternalName: Contour routes to it only when its configuration sets "
    "enableExternalNameService (off by default; else ServiceUnresolvedReference)"
)

__all__ = ["READS", "checks"]


def checks(snap: Snapshot) -> Iterator[Check]:
    for inst in installations(snap):
        for p in inst.proxies:
            yield from _proxy(snap, inst, p)
            yield from _services(snap, p)


def _proxy(snap: Snapshot, inst: Installation, p: HTTPProxy) -> Iterator[Check]:
    mine = [x for x in inst.problems if x.proxy is p]
    status = [x for x in mine if x.reason in ROOT_REASONS]
    vh = p.spec.virtualhost
    if status and inst.rootless and all(x.reason == "Orphaned" for x in status):
        claim = (
            f"the inputs hold no root HTTPProxy{' of class ' + inst.ingress_class if inst.ingress_class else ''}: "
            "whether one elsewhere includes it is not in them (else Contour marks it Orphaned)"
        )
        yield Check(p, p.metadata, "unknown", claim, [], binding=True)
    elif status:
        what = "; ".join(f"{x.reason}: {x.message}" for x in status)
        claim = f"Contour marks HTTPProxy {p.namespace}/{p.name} invalid ({what}): it routes none of its routes"
        yield Check(p, vh or p.metadata, "violated", claim, [(x.message, x.at) for x in status], binding=True)
    elif vh is not None and not any(h.root is p for h in inst.vhosts):
        what = "; ".join(f"{x.reason}: {x.message}" for x in mine) or "its include tree yields no route"
        claim = f"Contour programs no virtual host for {vh.fqdn} (a virtual host needs a route): {what}"
        yield Check(p, vh, "violated", claim, [(x.message, x.at) for x in mine], binding=True)
    elif vh is not None:
        steps: list[tuple[str, Span]] = [(f"virtual host {vh.fqdn}", vh.at("fqdn")), (config_step(inst), vh.at("fqdn"))]
        if vh.tls is not None and vh.tls.secret_name:
            steps.append((TLS.format(vh.tls.secret_name, vh.fqdn), vh.tls.at("secretName")))
        claim = f"Contour programs virtual host {vh.fqdn} from HTTPProxy {p.namespace}/{p.name}"
        if p.spec.tcpproxy is not None:
            claim = f"HTTPProxy {p.namespace}/{p.name} has a tcpproxy, which cnverify does not model: whether Contour accepts virtual host {vh.fqdn} depends on it"
        yield Check(p, vh, "unknown" if p.spec.tcpproxy is not None else "proved", claim, steps, binding=True)
    for i, inc in enumerate(p.spec.includes):
        yield _include(snap, inst, p, i, [x for x in mine if x.at == inc.at()])


def _include(snap: Snapshot, inst: Installation, p: HTTPProxy, i: int, problems: list[Problem]) -> Check:
    inc = p.spec.includes[i]
    ns = inc.namespace or p.namespace
    steps: list[tuple[str, Span]] = [(f"include {ns}/{inc.name}", inc.at("name"))]
    if problems:
        what = "; ".join(f"{x.reason}: {x.message}" for x in problems)
        tail = (
            " (Contour answers 502 on the include's conditions)"
            if any(x.reason in ("IncludeNotFound", "RootIncludesRoot") for x in problems)
            else ""
        )
        return Check(p, inc, "violated", f"Contour sets {what}{tail}", steps, binding=True)
    target = next((x for x in inst.proxies if x.namespace == ns and x.name == inc.name), None)
    if target is None:
        other = next((x for x in snap.all(HTTPProxy) if x.namespace == ns and x.name == inc.name), None)
        if other is not None:
            claim = f"HTTPProxy {ns}/{inc.name} is of another ingress class ({other.ingress_class or 'none'}): this Contour does not see it (IncludeNotFound, 502)"
            return Check(p, inc, "violated", claim, steps, binding=True)
        verdict, claim = missing(snap, ns, f"HTTPProxy {ns}/{inc.name}")
        return Check(p, inc, verdict, claim, steps, binding=True)
    steps.append((f"HTTPProxy {ns}/{inc.name} exists", target.metadata.at("name")))
    if target.root:
        return Check(p, inc, "violated", f"HTTPProxy {ns}/{inc.name} is a root (RootIncludesRoot)", steps, binding=True)
    return Check(p, inc, "proved", f"include resolves to HTTPProxy {ns}/{inc.name}", steps, binding=True)


def _services(snap: Snapshot, p: HTTPProxy) -> Iterator[Check]:
    for j, route in enumerate(p.spec.routes):
        for k, svc in enumerate(route.services):
            steps: list[tuple[str, Span]] = [(f"service {svc.name} port {svc.port}", svc.at("name"))]
            check = service_target(
                snap, p, svc, p.namespace, svc.name, svc.port, steps, port_required=True, what="HTTPProxy service"
            )
            check.where = (svc.at(), f"spec.routes[{j}].services[{k}]")
            found = check.service
            if check.verdict == "proved" and found is not None and found.spec.type == "ExternalName":
                check.verdict, check.claim = "unknown", EXTERNAL_NAME.format(f"{found.namespace}/{found.name}")
            elif check.verdict == "proved" and check.port is not None and check.port.protocol not in ("", "TCP"):
                check.verdict = "violated"
                check.claim = f"Service port {check.port.port} has protocol {check.port.protocol}: Contour routes only to TCP ports (ServiceUnresolvedReference)"
            yield check
