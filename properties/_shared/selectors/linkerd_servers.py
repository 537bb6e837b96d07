"""Linkerd Servers over pod shapes: the port a Server names on the pods it selects (CNV205) and pod ports two
Servers claim (CNV106).  Port rules: `cnverify.systems.linkerd.servers`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cnverify.encodings.labels import UnsupportedSelector
from cnverify.model.linkerd import Server
from cnverify.obligation import Obligation
from cnverify.opaque import Opaque
from cnverify.properties._shared.pod_creators import unmodelled_creators
from cnverify.properties._shared.selectors.pods import POD, PodShape, pod_shapes, selection
from cnverify.registry import Property
from cnverify.snapshot import Snapshot
from cnverify.systems.linkerd.servers import INJECTED, INJECTED_STEP, pod_ports
from cnverify.systems.routing.tables import creation_order


def selected(server: Server, shapes: list[PodShape]) -> tuple[list[PodShape], list[PodShape]]:
    """The pod shapes ``server``'s podSelector may select, and those the solver could not decide."""
    sel = server.spec.pod_selector
    if sel is None:
        return [], []
    if not (sel.match_labels or sel.match_expressions):
        return list(shapes), []
    return selection(shapes, sel)


def port_named(ob: Obligation, server: Server, shapes: list[PodShape], creators: list[Opaque]) -> Obligation | None:
    """``ob`` decided on: a pod the Server selects has a TCP container port named ``spec.port``.

    None when the Server selects no pod of the inputs (its selection finding says so)."""
    name = str(server.spec.port)
    try:
        hits, undecided = selected(server, shapes)
    except UnsupportedSelector:
        return None
    if not hits and not undecided:
        return None
    ob.note(f"spec.port names container port {name!r}", server.spec.at("port"))
    for s in hits:
        numbers, found, injected = pod_ports(server, s.spec)
        if found or injected:
            ob.note(f"{s.owner.ref} is selected by the podSelector", s.where)
            if injected:
                ob.assume(INJECTED_STEP.format(name=name, number=INJECTED[name]), server.spec.at("port"))
            else:
                ob.note(f"its container port {name} is port {found[0].container_port}", found[0].at("name"))
            claim = f"{server.ref} port {name} is port {min(numbers)} of the pods of {s.owner.ref}"
            ob.decide("proved", claim)
            ob.on(proved=claim)
            return ob
    for s in hits[:3]:
        ob.note(f"{s.owner.ref} is selected and has no TCP container port named {name}", s.where)
    if undecided:
        ob.unknown(f"whether the podSelector selects the pods of {undecided[0].owner.ref} is undecided")
    elif not unmodelled_creators(ob, [sel for sel in [server.spec.pod_selector] if sel is not None], creators):
        claim = (
            f"no pod {server.ref} selects has a TCP container port named {name}: the Server covers no port "
            "(linkerd2 inbound/workload.rs pod_tcp_ports_by_name) and its policy applies nowhere"
        )
        ob.decide("violated", claim)
        ob.on(violated=claim)
    return ob


@dataclass
class Claim:
    """Two Servers that select one pod shape and cover one port number of it."""

    first: Server
    second: Server
    shape: PodShape
    port: int


def shared_ports(snap: Snapshot, shapes: dict[str, list[PodShape]]) -> tuple[dict[str, list[Claim]], set[str]]:
    """Per Server ref (the later of each pair by name), the pod ports an earlier Server also claims; and the
    Servers whose selection was undecided."""
    out: dict[str, list[Claim]] = {}
    undecided: set[str] = set()
    by_ns: dict[str, list[Server]] = {}
    for srv in snap.all(Server):
        by_ns.setdefault(srv.namespace, []).append(srv)
    for ns, servers in by_ns.items():
        picks: dict[str, list[PodShape]] = {}
        for srv in servers:
            try:
                hits, unsure = selected(srv, shapes.get(ns, []))
            except UnsupportedSelector:
                hits, unsure = [], shapes.get(ns, [])
            picks[srv.ref] = hits
            if unsure:
                undecided.add(srv.ref)
        ordered = sorted(servers, key=lambda s: s.name)
        for i, b in enumerate(ordered):
            for a in ordered[:i]:
                common = [s for s in picks[b.ref] if s in picks[a.ref]]
                for shape in common:
                    both = pod_ports(a, shape.spec)[0] & pod_ports(b, shape.spec)[0]
                    out.setdefault(b.ref, []).extend(Claim(a, b, shape, p) for p in sorted(both))
                if common:
                    out.setdefault(b.ref, [])
    return out, undecided


def port_claims(prop: Property, snap: Snapshot) -> Iterator[Obligation]:
    """CNV106 on Linkerd Servers: one obligation per Server that selects the pods of an earlier one (by name):
    violated when both cover one pod port (Linkerd applies the older and skips the other for that port)."""
    claims, undecided = shared_ports(snap, pod_shapes(snap))
    servers = {s.ref: s for s in snap.all(Server)}
    for ref, found in claims.items():
        srv = servers[ref]
        ob = prop.obligation(srv, at=srv.spec.at("port"), path="spec.port")
        if not found:
            claim = f"{ref} covers no pod port another Server of namespace {srv.namespace} covers"
            if ref in undecided:
                ob.unknown(f"whether the podSelector of {ref} selects some pods is undecided")
                continue
            ob.note(f"{ref} covers port {srv.spec.port}", srv.spec.at("port"))
            ob.decide("proved", claim)
            ob.on(proved=claim)
            creators = snap.pod_creators(srv.namespace)
            if creators:  # pods the model does not describe may carry the same port
                ob.only_refute(f"{creators[0].ref} may create pods in {srv.namespace} that the Servers also select")
            yield ob
            continue
        c = found[0]
        _, fixed = creation_order([c.first, c.second], lambda s: s.name)
        for s in (c.first, c.second):
            ob.note(f"{s.ref} selects the pods of {c.shape.owner.ref} and covers port {c.port}", s.spec.at("port"))
        ob.note(c.shape.describe(), c.shape.where)
        which = (
            "Linkerd applies the older (creation time, then name), which the manifests do not fix"
            if not fixed
            else f"Linkerd applies {creation_order([c.first, c.second], lambda s: s.name)[0][0].ref}, the older"
        )
        claim = (
            f"Servers {c.first.ref} and {c.second.ref} both cover port {c.port} of the pods of {c.shape.owner.ref}: "
            f"{which}, and skips the other for that port (linkerd2 inbound/index.rs reindex_servers)"
        )
        ob.decide("violated", claim, witness={POD: c.shape.owner.ref, "port": c.port})
        ob.on(violated=claim)
        yield ob
