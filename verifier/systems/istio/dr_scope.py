"""Which DestinationRules a proxy applies to a host (istio/istio ``pilot/pkg/model/push_context.go``).

``destinationRule(proxyNamespace, service)``: the DestinationRules of the proxy's own namespace
(``setDestinationRules`` files one there unless its exportTo leaves that namespace out), else those
of the service's namespace exported to the proxy's, else those of the root namespace (meshConfig
``rootNamespace``, default ``istio-system``) exported to it; in each tier only the most specific host
counts (``MostSpecificHostMatch``: the exact host, else the longest matching wildcard).  Rules in any
other namespace never apply.
"""

from __future__ import annotations

from cnverify.encodings.hosts import matches
from cnverify.model import DestinationRule
from cnverify.run_context import context_of
from cnverify.snapshot import Snapshot
from cnverify.systems.istio.hosts import expand, visible

ROOT_NAMESPACE = "istio-system"


def _most_specific(drs: list[DestinationRule], fqdn: str) -> list[DestinationRule]:
    hosts = [expand(dr.spec.host, dr.namespace).lower() for dr in drs]  # each rule's host expanded once
    if fqdn.lower() in hosts:
        best = fqdn.lower()
    else:
        wild = [h for h in dict.fromkeys(hosts) if "*" in h and matches(h, fqdn)]
        if not wild:
            return []
        best = max(wild, key=len)
    return [dr for dr, host in zip(drs, hosts, strict=True) if host == best]


def applicable(snap: Snapshot, fqdn: str, proxy_ns: str, svc_ns: str) -> tuple[list[DestinationRule], str]:
    """The DestinationRules a proxy of ``proxy_ns`` applies to ``fqdn`` (service in ``svc_ns``) and why: once per
    run for each question (``ctx.memo``; a subset's check and its labels ask the same); callers do not mutate it."""
    return context_of(snap).memo(
        ("systems.istio.dr_scope.applicable", fqdn, proxy_ns, svc_ns),
        lambda: _applicable(snap, fqdn, proxy_ns, svc_ns),
        reads=(DestinationRule,),
    )


def _applicable(snap: Snapshot, fqdn: str, proxy_ns: str, svc_ns: str) -> tuple[list[DestinationRule], str]:

    def local(dr: DestinationRule) -> bool:
        ex = dr.spec.export_to
        return not ex or any(e in ("*", ".", dr.namespace) for e in ex)

    tiers = [
        (proxy_ns, local, f"the DestinationRules of the proxy's namespace {proxy_ns}"),
        (
            svc_ns,
            lambda dr: visible(dr.spec.export_to, dr.namespace, proxy_ns),
            f"the service's namespace {svc_ns}, exported to {proxy_ns}",
        ),
        (
            ROOT_NAMESPACE,
            lambda dr: visible(dr.spec.export_to, dr.namespace, proxy_ns),
            f"the root namespace {ROOT_NAMESPACE} (meshConfig rootNamespace default), exported to {proxy_ns}",
        ),
    ]
    for ns, ok, why in tiers:
        if ns == proxy_ns and why != tiers[0][2] and ns != ROOT_NAMESPACE:
            continue  # the proxy's own namespace was the first tier
        found = _most_specific([dr for dr in snap.in_namespace(DestinationRule, ns) if dr.spec.host and ok(dr)], fqdn)
        if found:
            return found, why
    return [], "no DestinationRule applies"
