"""CNV106 for the VirtualService Flagger generates: no VirtualService of the inputs competes with it.

fluxcd/flagger 15bd6ad5 ``pkg/router/istio.go`` ``reconcileVirtualService``: the VirtualService is named after
the apex Service in the Canary's namespace; an existing one of that name is taken over (its spec replaced).
Istio (docs/SEMANTICS.md#istio): on sidecars one VirtualService per host is used (the oldest); on a gateway the
VirtualServices of a host are merged in creation order, so a catch-all route takes what the other would route.
Flagger sets no ``exportTo``: the proxies of every namespace a user VirtualService is exported to see both.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.model import VirtualService
from cnverify.model.flagger import DEFAULT_PROVIDER, Canary
from cnverify.obligation import Obligation
from cnverify.registry import Property
from cnverify.snapshot import Snapshot
from cnverify.systems.flagger.generated import GeneratedVirtualService, generated_virtual_service
from cnverify.systems.istio.hosts import expand, gateway_ref

READS = (Canary, VirtualService)


def generated_vs_obligations(prop: Property, snap: Snapshot) -> Iterator[Obligation]:
    """Per Canary routed by Istio: a violation per competing VirtualService, else one proof on the Canary."""
    services = snap.all(VirtualService)
    for cd in snap.all(Canary):
        gvs = generated_virtual_service(cd)
        if gvs is None:
            continue
        found = False
        for vs in services:
            ob = _compete(prop, gvs, vs)
            if ob is not None:
                found = True
                yield ob
        if not found:
            ob = _start(prop.obligation(cd, at=cd.spec.service.at(), path="spec.service"), gvs)
            claim = f"no VirtualService of the inputs defines a host of the one Flagger generates for Canary {cd.name}"
            ob.decide("proved", claim)
            ob.on(proved=claim)
            yield ob


def _start(ob: Obligation, gvs: GeneratedVirtualService) -> Obligation:
    cd, svc = gvs.canary, gvs.canary.spec.service
    if cd.provider is None:
        ob.assume(f"the cluster's Flagger -mesh-provider is {DEFAULT_PROVIDER} (the default)", cd.spec.at())
    ob.note(
        f"Flagger generates VirtualService {cd.namespace}/{cd.apex} from Canary {cd.name} for hosts "
        f"{', '.join(gvs.hosts)} on {', '.join(gvs.gateways)}",
        svc.at("hosts") if svc.hosts else svc.at(),
    )
    return ob


def _compete(prop: Property, gvs: GeneratedVirtualService, vs: VirtualService) -> Obligation | None:
    cd = gvs.canary
    if vs.namespace == cd.namespace and vs.name == cd.apex:
        ob = _start(prop.obligation(vs, at=vs.metadata.at("name"), path="metadata.name"), gvs)
        claim = f"Flagger takes over VirtualService {vs.namespace}/{vs.name} for Canary {cd.name} and replaces its spec"
        ob.decide("violated", claim)
        ob.on(violated=claim)
        return ob
    mine = {expand(h, cd.namespace) for h in gvs.hosts}
    hosts = sorted(h for h in vs.spec.hosts or [] if expand(h, vs.namespace) in mine)
    ours = {gateway_ref(g, cd.namespace) for g in gvs.gateways}
    shared = sorted(ours & {gateway_ref(g, vs.namespace) for g in vs.spec.gateways or ["mesh"]})
    if not hosts or not shared or all(e == "~" for e in vs.spec.export_to or ["*"]):
        return None  # no common host and data path, or exported nowhere
    ob = _start(prop.obligation(vs, at=vs.spec.at("hosts"), path="spec.hosts"), gvs)
    ob.note(
        f"VirtualService {vs.namespace}/{vs.name} defines {', '.join(hosts)} on {', '.join(shared)}",
        vs.spec.at("hosts"),
    )
    both = f"VirtualService {vs.namespace}/{vs.name} and the one Flagger generates for Canary {cd.name} both define {hosts[0]}"
    exports = vs.spec.export_to or ["*"]  # Flagger's VirtualService sets none: every namespace sees it
    if "mesh" not in shared and "*" not in exports:
        ob.unknown(f"{both}, but its exportTo {exports} decides whether the gateway applies it (not analysed)")
        return ob
    if "mesh" in shared:
        claim = f"{both} for sidecars: Istio uses only the older one and drops the other's routes"
    elif gvs.catch_all:
        claim = f"{both} on {shared[0]}: merged in creation order, Flagger's catch-all route takes the other's requests when older"
    else:
        ob.unknown(f"{both} on {shared[0]}: whether their matches overlap (service.match) is not analysed")
        return ob
    ob.decide("violated", claim)
    ob.on(violated=claim)
    return ob
