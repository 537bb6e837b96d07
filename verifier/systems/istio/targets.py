"""Targets of Istio VirtualServices (destinations, mirrors, gateways)."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.encodings.hosts import matches, overlaps
from cnverify.errors import Span
from cnverify.model import DestinationRule, IstioGateway, Service, ServiceEntry, VirtualService
from cnverify.model.base import Node
from cnverify.model.gateway import Gateway
from cnverify.model.istio import Destination
from cnverify.run_context import context_of
from cnverify.snapshot import Snapshot
from cnverify.source import format_path
from cnverify.systems.istio import dr_scope, scope
from cnverify.systems.istio.hosts import DOMAIN, expand, gateway_ref, resolve
from cnverify.systems.routing.targets import Check, generated, lookup, missing, service_target, step

READS = (VirtualService, DestinationRule, ServiceEntry, IstioGateway, Gateway)


def checks(snap: Snapshot) -> Iterator[Check]:
    for vs in snap.all(VirtualService):
        yield from _virtual_service(snap, vs)


def _virtual_service(snap: Snapshot, vs: VirtualService) -> Iterator[Check]:
    dests: list[tuple[Destination, str]] = []
    for route in vs.spec.http or []:
        dests += [(d.destination, "destination") for d in route.route or []]
        if route.mirror is not None:
            dests.append((route.mirror, "mirror"))
        dests += [(m.destination, "mirror") for m in route.mirrors or []]
    for l4 in [*(vs.spec.tcp or []), *(vs.spec.tls or [])]:
        dests += [(d.destination, "destination") for d in l4.route or []]
    resolved: dict[tuple[str, str, int | None, str | None], Check] = {}
    for dest, role in dests:
        if dest.host:
            key = (role, dest.host, dest.port.number if dest.port is not None else None, dest.subset)
            first = resolved.get(key)
            if first is None:
                yield resolved.setdefault(key, _istio_destination(snap, vs, dest, role))
            else:
                yield _same_target(first, dest)
    if vs.spec.hosts:
        refs: list[tuple[str, Node, tuple[str, int]]] = [
            (g, vs.spec, ("gateways", i)) for i, g in enumerate(vs.spec.gateways or [])
        ]
        for route in vs.spec.http or []:
            for m in route.match or []:
                refs += [(g, m, ("gateways", i)) for i, g in enumerate(m.gateways or [])]
        seen: set[str] = set()
        for ref, owner, sub in refs:
            if ref != "mesh" and ref not in seen:
                seen.add(ref)
                check = _istio_gateway(snap, vs, ref, owner.at(*sub))
                check.where = (owner.at(*sub), format_path(owner.field_path[len(vs.field_path) :] + sub))
                yield check


def _same_target(first: Check, dest: Destination) -> Check:
    """``dest`` of the VirtualService ``first`` resolved a destination of: the same role, host, port and subset
    resolve the same way (only the first step, the host, sits elsewhere)."""
    steps = [(first.steps[0][0], dest.at("host")), *first.steps[1:]]
    return Check(
        first.subject,
        dest,
        first.verdict,
        first.claim,
        steps,
        service=first.service,
        port=first.port,
        port_unknown=first.port_unknown,
        labels=dict(first.labels),
        hop=first.hop,
    )


def _istio_destination(snap: Snapshot, vs: VirtualService, dest: Destination, role: str) -> Check:
    steps: list[tuple[str, Span]] = []
    r = resolve(snap, dest.host, vs.namespace)
    what = f"{role} host {dest.host}"
    step(
        steps,
        f"{what}" + (f" expands to {r.fqdn} (the VirtualService's namespace)" if r.fqdn != dest.host else ""),
        dest.at("host"),
    )
    exports = vs.spec.export_to or ["*"]
    if r.status in ("service", "serviceentry") and "*" not in exports:
        for viewer in (vs.namespace if e == "." else e for e in exports if e != "~"):
            seen = resolve(snap, dest.host, vs.namespace, viewer)
            if seen.status == "missing":
                step(steps, f"the VirtualService is exported to namespace {viewer}", vs.spec.at("exportTo"))
                return Check(vs, dest, "violated", seen.reason, steps)
    if r.status == "external":
        return Check(vs, dest, "unknown", r.reason, steps)
    number = dest.port.number if dest.port is not None else None
    if r.status == "missing":
        parts = r.fqdn.removesuffix("." + DOMAIN).split(".")
        generable = (
            r.fqdn.endswith("." + DOMAIN) and len(parts) == 2 and not lookup(snap, Service, parts[1], parts[0], vs)
        )
        gen = generated(snap, vs, dest, parts[1], parts[0], number, steps, what) if generable else None
        if gen is not None and gen.verdict == "proved" and dest.subset:
            gen.verdict, gen.claim = "unknown", f"{gen.claim}; subset {dest.subset} of a generated host is not resolved"
        return gen or Check(vs, dest, "violated", r.reason, steps)
    if r.service is not None:
        svc = r.service
        check = service_target(
            snap, vs, dest, svc.namespace, svc.name, number, steps, port_required=False, what=f"{role} {dest.host}"
        )
        if check.port_unknown:
            check.port_unknown += " (Istio then uses the port the request arrived on)"
        if check.verdict != "proved":
            return check
    else:
        assert r.entry is not None
        se = r.entry
        step(steps, f"{r.fqdn} is declared by {r.reason}", se.metadata.at("name"))
        ports = se.spec.ports or []
        if number is not None and ports and not any(p.number == number for p in ports):
            listed = ", ".join(str(p.number) for p in ports)
            return Check(
                vs,
                dest,
                "violated",
                f"ServiceEntry {se.namespace}/{se.name} has no port {number} (ports: {listed})",
                steps,
            )
        check = Check(vs, dest, "proved", f"{role} {dest.host} resolves to {r.reason}", steps)
    if check.port_unknown:
        check.claim += f" (port not fixed: {check.port_unknown})"
    if dest.subset:
        svc_ns = r.service.namespace if r.service is not None else r.entry.namespace  # type: ignore[union-attr]
        missing_in = _subset(snap, vs, dest, r.fqdn, svc_ns, steps)
        if missing_in is not None:
            return Check(vs, dest, "violated", missing_in, steps, service=check.service)
        check.labels = _subset_labels(snap, vs, dest, r.fqdn, svc_ns)
        check.claim += f", subset {dest.subset}"
    return check


def _viewers(snap: Snapshot, vs: VirtualService, fqdn: str) -> list[str]:
    """Namespaces whose proxies use ``vs`` and may apply different DestinationRules to ``fqdn``: its own and
    every namespace of the inputs with a DestinationRule for the host that sees ``vs``."""
    own = [vs.namespace]
    return own + sorted(
        {
            dr.namespace
            for dr in _rules_for(snap, fqdn)
            if dr.namespace != vs.namespace and scope.rank(vs, dr.namespace) is not None
        }
    )


def _subset(
    snap: Snapshot, vs: VirtualService, dest: Destination, fqdn: str, svc_ns: str, steps: list[tuple[str, Span]]
) -> str | None:
    """Why ``dest.subset`` is missing for some proxy that uses ``vs`` (None: every one of them defines it)."""
    for viewer in _viewers(snap, vs, fqdn):
        drs, why = dr_scope.applicable(snap, fqdn, viewer, svc_ns)
        hit = next(((dr, s) for dr in drs for s in dr.spec.subsets or [] if s.name == dest.subset), None)
        if hit is None:
            for dr in drs:
                names = ", ".join(s.name for s in dr.spec.subsets or []) or "none"
                step(
                    steps,
                    f"proxies in namespace {viewer} apply DestinationRule {dr.namespace}/{dr.name} ({why}); "
                    f"its subsets: {names}",
                    dr.spec.at("subsets"),
                )
            return (
                f"no DestinationRule that proxies in namespace {viewer} apply to {fqdn} defines subset "
                f"{dest.subset!r} (Istio answers 503: no such cluster)"
            )
        dr, sub = hit
        step(
            steps,
            f"DestinationRule {dr.namespace}/{dr.name} defines subset {sub.name} (for proxies in namespace "
            f"{viewer}: {why})",
            sub.at("name"),
        )
    return None


def _subset_labels(snap: Snapshot, vs: VirtualService, dest: Destination, fqdn: str, svc_ns: str) -> dict[str, str]:
    drs, _ = dr_scope.applicable(snap, fqdn, vs.namespace, svc_ns)
    return next((dict(s.labels or {}) for dr in drs for s in dr.spec.subsets or [] if s.name == dest.subset), {})


def _dr_hosts(rules: list[DestinationRule]) -> tuple[dict[str, list[int]], list[tuple[str, int]]]:
    """DestinationRule positions by expanded host: exact hosts (lower case) and wildcard ones."""
    exact: dict[str, list[int]] = {}
    wild: list[tuple[str, int]] = []
    for i, dr in enumerate(rules):
        if dr.spec.host:
            host = expand(dr.spec.host, dr.namespace)
            if "*" in host:
                wild.append((host, i))
            else:
                exact.setdefault(host.lower(), []).append(i)  # matches() compares case-insensitively
    return exact, wild


def _rules_for(snap: Snapshot, fqdn: str) -> list[DestinationRule]:
    """DestinationRules whose expanded host covers ``fqdn``, in input order (exact hosts indexed once)."""
    rules = snap.all(DestinationRule)
    exact, wild = context_of(snap).memo(
        ("systems.istio.targets.dr_hosts",), lambda: _dr_hosts(rules), reads=(DestinationRule,)
    )
    hits = exact.get(fqdn.lower(), []) + [i for host, i in wild if matches(host, fqdn)]
    return [rules[i] for i in sorted(hits)]


def _istio_gateway(snap: Snapshot, vs: VirtualService, ref: str, at: Span) -> Check:
    ns, name = gateway_ref(ref, vs.namespace).split("/", 1)
    steps: list[tuple[str, Span]] = [
        (f"the VirtualService binds to gateway {ref}" + (f" ({ns}/{name})" if "/" not in ref else ""), at)
    ]
    if "~" in name:
        return Check(
            vs, vs.spec, "unknown", f"{name} is a gateway name Istio generates internally", steps, binding=True
        )
    hosts = [(h, expand(h, vs.namespace)) for h in vs.spec.hosts or []]
    node = vs.spec
    gw = next(iter(lookup(snap, IstioGateway, ns, name, vs)), None)
    if gw is None:
        k8s = next(iter(lookup(snap, Gateway, ns, name, vs)), None)
        if k8s is None:
            verdict, claim = missing(snap, ns, f"Gateway {ns}/{name}")
            return Check(vs, node, verdict, claim, steps, binding=True)
        step(steps, f"Gateway API Gateway {ns}/{name} exists", k8s.metadata.at("name"))
        for ln in k8s.spec.listeners:
            if ln.hostname is None or any(overlaps(ln.hostname, h) or overlaps(ln.hostname, f) for h, f in hosts):
                step(steps, f"listener {ln.name} accepts the VirtualService's hosts", ln.at("name"))
                return Check(
                    vs, node, "proved", f"gateway {ref} accepts host(s) of the VirtualService", steps, binding=True
                )
        return Check(
            vs,
            node,
            "violated",
            f"no listener of Gateway {ns}/{name} accepts hosts {[h for h, _ in hosts]}",
            steps,
            binding=True,
        )
    step(steps, f"Gateway {ns}/{name} exists", gw.metadata.at("name"))
    for server in gw.spec.servers or []:
        for i, sh in enumerate(server.hosts):
            hns, hh = sh.split("/", 1) if "/" in sh else ("*", sh)
            hns = gw.namespace if hns == "." else hns
            if hns not in ("*", vs.namespace):
                continue
            if any(overlaps(hh, h) or overlaps(hh, f) for h, f in hosts):
                step(steps, f"server host {sh} accepts a host of the VirtualService", server.at("hosts", i))
                return Check(
                    vs, node, "proved", f"gateway {ref} accepts host(s) of the VirtualService", steps, binding=True
                )
    for server in gw.spec.servers or []:
        step(steps, f"server hosts: {', '.join(server.hosts) or 'none'}", server.at("hosts"))
    return Check(
        vs,
        node,
        "violated",
        f"no server of Gateway {ns}/{name} accepts hosts {[h for h, _ in hosts]} from namespace {vs.namespace}",
        steps,
        binding=True,
    )
