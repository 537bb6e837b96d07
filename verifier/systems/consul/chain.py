"""The discovery chain of a Consul service: protocol, then splitter → resolver (redirects) → service instances.

Consul agent/consul/discoverychain/compile.go: a route's destination goes to the destination service's splitter
unless it names a subset (or another namespace/partition), then to resolvers (a ``Redirect`` replaces the
resolver, circular redirects are a graph error); a missing resolver is a default one (every healthy instance); a
subset that the target's resolver does not define is a graph error (``service "x" does not have a subset named
"v1"``) that rejects the write. Graph errors are findings: for raw entries ``consul config write`` fails, for
CRDs the controller's sync does (``Synced=False``). Entries are looked up in the entry's namespace (consul-k8s
CRDs: the Kubernetes namespace; raw entries: ``Namespace``, else the unit's).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnverify.errors import Span
from cnverify.model import Service
from cnverify.model.base import Node
from cnverify.model.consul import (
    HTTP_LIKE,
    ConsulEntry,
    ProxyDefaults,
    ServiceDefaults,
    ServiceResolver,
    ServiceSplitter,
)
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.targets import Check, lookup, missing, service_port, step

Steps = list[tuple[str, Span]]


def rejected(entry: ConsulEntry, message: str) -> str:
    """What a graph error does to ``entry``, by how it is written."""
    if entry.raw:
        return f"Consul rejects the write of this entry: {message}"
    return f"the consul-k8s controller cannot sync this entry (Synced=False): {message}"


@dataclass
class Protocol:
    value: str | None  # None: not in the inputs
    steps: Steps = field(default_factory=list)


def protocol(snap: Snapshot, near: ConsulEntry, ns: str, service: str) -> Protocol:
    """``service-defaults`` Protocol, else ``proxy-defaults`` Config.protocol, else not in the inputs (Consul's
    default is tcp, but an entry outside the inputs may set it)."""
    steps: Steps = []
    proxies = snap.all(ProxyDefaults)  # read either way: the diff reuses results when these kinds are unchanged
    for sd in lookup(snap, ServiceDefaults, ns, service, near):
        if sd.spec.protocol:
            step(steps, f"ServiceDefaults {ns}/{service} sets protocol {sd.spec.protocol}", sd.spec.at("protocol"))
            return Protocol(sd.spec.protocol.lower(), steps)
        step(steps, f"ServiceDefaults {ns}/{service} sets no protocol (proxy-defaults decide)", sd.metadata.at("name"))
    for pd in proxies:
        if pd.protocol:
            step(steps, f"ProxyDefaults {pd.name} sets Config.protocol {pd.protocol}", pd.spec.at("config"))
            return Protocol(pd.protocol, steps)
    return Protocol(None, steps)


def l7_check(snap: Snapshot, entry: ConsulEntry, what: str) -> Check:
    """A router or splitter needs an HTTP-like protocol on its service (compile.go graph error)."""
    proto = protocol(snap, entry, entry.namespace, entry.name)
    steps: Steps = [(f"{entry.KIND} {entry.name} configures L7 {what} for service {entry.name}", entry.metadata.at())]
    steps += proto.steps
    where = (entry.metadata.at("name"), "metadata.name")
    if proto.value is None:
        claim = (
            f"no ServiceDefaults or ProxyDefaults in the inputs sets the protocol of service {entry.name}: "
            f"Consul's default is tcp, which rejects a {entry.KIND}, unless an entry outside the inputs sets "
            "http, http2 or grpc"
        )
        return Check(entry, entry.metadata, "unknown", claim, steps, binding=True, where=where)
    if proto.value in HTTP_LIKE:
        claim = f"service {entry.name} uses protocol {proto.value}, which permits {what}"
        return Check(entry, entry.metadata, "proved", claim, steps, binding=True, where=where)
    message = (
        f'discovery chain "{entry.name}" uses a protocol "{proto.value}" that does not permit advanced routing '
        "or splitting behavior"
    )
    return Check(entry, entry.metadata, "violated", rejected(entry, message), steps, binding=True, where=where)


@dataclass
class Target:
    """One reference to a service (and subset) of the chain, as written."""

    entry: ConsulEntry
    node: Node
    service: str
    subset: str | None
    namespace: str
    what: str  # "route destination", "split", "redirect", "failover target"
    elsewhere: str = ""  # a partition, datacenter or peer outside the inputs
    splits: bool = True  # the destination may go to a splitter (no subset, same namespace/partition)
    origin: str | None = None  # a redirect's own service (coming back to it is a circular redirect)


def resolve(snap: Snapshot, t: Target, steps: Steps) -> Check:
    """Follow ``t`` through the chain to a splitter or to the service's instances (a Kubernetes Service)."""
    ns, seen = t.namespace, [t.service, *([t.origin] if t.origin else [])]
    service, subset, node = t.service, t.subset, t.node
    if t.elsewhere:
        return Check(t.entry, node, "unknown", f"{t.what} {service} is in {t.elsewhere}, outside the inputs", steps)
    hops = [(ns, service)]
    if t.splits and not subset:
        for sp in lookup(snap, ServiceSplitter, ns, service, t.entry):
            if sp is not t.entry:
                step(steps, f"ServiceSplitter {ns}/{service} splits its traffic (each split is checked)", sp.metadata)
                found = Check(t.entry, node, "proved", f"{t.what} goes to ServiceSplitter {ns}/{service}", steps)
                return _consistent(snap, t, hops, found)
    while True:
        resolver = next(iter(lookup(snap, ServiceResolver, ns, service, t.entry)), None)
        redirect = resolver.spec.redirect if resolver is not None else None
        if resolver is None or redirect is None:
            break
        step(steps, f"ServiceResolver {ns}/{service} redirects to {redirect.service or service}", redirect)
        if redirect.datacenter or redirect.peer or redirect.partition or redirect.sameness_group:
            return Check(t.entry, node, "unknown", "the redirect leaves the inputs (datacenter/peer/partition)", steps)
        service, subset, ns = redirect.service or service, redirect.service_subset, redirect.namespace or ns
        if service in seen:
            return Check(t.entry, node, "violated", rejected(t.entry, "detected circular resolver redirect"), steps)
        seen.append(service)
        hops.append((ns, service))
    subset = subset or (resolver.spec.default_subset if resolver else None)
    if subset:
        names = (resolver.spec.subsets or {}) if resolver else {}
        if resolver is None:
            verdict, claim = missing(snap, ns, f"ServiceResolver {ns}/{service} (defining subset {subset})")
            if verdict == "violated":
                claim = rejected(t.entry, f'service "{service}" does not have a subset named "{subset}"')
            return Check(t.entry, node, verdict, claim, steps)
        if subset not in names:
            step(steps, f"ServiceResolver {ns}/{service} defines subsets {', '.join(names) or '(none)'}", resolver)
            claim = rejected(t.entry, f'service "{service}" does not have a subset named "{subset}"')
            return Check(t.entry, node, "violated", claim, steps)
        step(steps, f"ServiceResolver {ns}/{service} defines subset {subset}", names[subset])
    return _consistent(snap, t, hops, _instances(snap, t, ns, service, subset, steps))


def _consistent(snap: Snapshot, t: Target, hops: list[tuple[str, str]], found: Check) -> Check:
    """Every service of a chain has the chain's protocol (compile.go ``recordProtocol``: "discovery chain uses
    inconsistent protocols", a graph error); a protocol not in the inputs leaves a proof ``unknown``."""
    own = protocol(snap, t.entry, t.entry.namespace, t.entry.name)
    shown: Steps = []
    for ns, service in hops:
        if (ns, service) == (t.entry.namespace, t.entry.name):
            continue
        theirs = protocol(snap, t.entry, ns, service)
        if own.value and theirs.value and own.value != theirs.value:
            message = (
                f'discovery chain "{t.entry.name}" uses inconsistent protocols; service "{service}" has '
                f'"{theirs.value}" which is not "{own.value}"'
            )
            steps = [*found.steps, *own.steps, *theirs.steps]
            return Check(t.entry, t.node, "violated", rejected(t.entry, message), steps)
        if found.verdict == "proved" and (own.value is None or theirs.value is None):
            claim = (
                f"{found.claim}, but the protocol of service {t.entry.name if own.value is None else service} is "
                "not in the inputs: Consul rejects the entry unless every service of the chain has the same protocol"
            )
            return Check(t.entry, t.node, "unknown", claim, [*found.steps, *own.steps, *theirs.steps])
        for x in (*own.steps, *theirs.steps):
            if x not in shown and x not in found.steps:
                shown.append(x)
    if found.verdict == "proved":
        found.steps[-1:-1] = shown  # the protocols the proof rests on, before the last hop's step
    return found


def _instances(snap: Snapshot, t: Target, ns: str, service: str, subset: str | None, steps: Steps) -> Check:
    """The service's instances: pods behind the Kubernetes Service of that name (consul-k8s registers them)."""
    found = lookup(snap, Service, ns, service, t.entry)
    what = f"Consul service {service}" + (f" subset {subset}" if subset else "")
    if not found:
        claim = (
            f"{what}: no Kubernetes Service {ns}/{service} in the inputs; Consul routes to the service's healthy "
            "instances registered elsewhere, or answers 503 when there are none"
        )
        return Check(t.entry, t.node, "unknown", claim, steps)
    svc = found[0]
    step(steps, f"Kubernetes Service {ns}/{service} registers the instances of {service}", svc.metadata.at("name"))
    sp, why = service_port(svc, None)
    if subset:
        sp, why = None, f"subset {subset} filters instances by a Consul catalog expression, not modelled as labels"
    hop = f"{t.what} → Service {ns}/{service}"
    claim = f"{t.what} resolves to {what} (Kubernetes Service {ns}/{service})"
    return Check(t.entry, t.node, "proved", claim, steps, service=svc, port=sp, port_unknown=why, hop=hop)
