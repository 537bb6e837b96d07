"""Istio host names → Kubernetes Services (SEMANTICS §4.4), for DestinationRule subsets."""
from __future__ import annotations

from dataclasses import dataclass

from cnverify.model import Service, ServiceEntry
from cnverify.snapshot import Snapshot

CLUSTER_DOMAIN = "svc.cluster.local"

TOPOLOGY_KEYS = frozenset({"topology.kubernetes.io/region", "topology.kubernetes.io/zone",
                           "topology.istio.io/subzone", "kubernetes.io/hostname", "topology.istio.io/cluster",
                           "topology.istio.io/network", "failure-domain.beta.kubernetes.io/region",
                           "failure-domain.beta.kubernetes.io/zone"})
"""Endpoint labels Istio adds from the node / cluster (pilot ``AugmentLabels``): unknown to a manifest."""


@dataclass(frozen=True)
class HostResolution:
    """``fqdn`` is the expanded host; ``service`` the Service it names, else ``why`` it cannot be resolved."""

    fqdn: str
    service: Service | None
    why: str = ""


def service_index(snap: Snapshot) -> dict[tuple[str, str], list[Service]]:
    """Services by ``(namespace, name)``, every definition in input order."""
    out: dict[tuple[str, str], list[Service]] = {}
    for svc in snap.all(Service):
        out.setdefault((svc.namespace, svc.name), []).append(svc)
    return out


def resolve_host(snap: Snapshot, host: str, namespace: str,
                 services: dict[tuple[str, str], list[Service]] | None = None) -> HostResolution:
    """Expand a short name with ``namespace``; only ``name.ns.svc.cluster.local`` names a Service.

    Names containing a dot are not expanded (``reviews.prod`` is an FQDN that names no Service).
    A Service defined more than once in the input with different selectors is ambiguous (unresolved).
    """
    if "*" in host:
        return HostResolution(host, None, f"host {host!r} is a wildcard")
    fqdn = host if "." in host else f"{host}.{namespace}.{CLUSTER_DOMAIN}"
    parts = fqdn.split(".")
    if len(parts) == 5 and fqdn.endswith("." + CLUSTER_DOMAIN):
        found = (service_index(snap) if services is None else services).get((parts[1], parts[0]), [])
        if len({tuple(sorted((s.spec.selector or {}).items())) for s in found}) > 1:
            return HostResolution(fqdn, None, f"Service {parts[1]}/{parts[0]} is defined {len(found)} times in the "
                                              "input with different selectors")
        if found:
            return HostResolution(fqdn, found[0])
        return HostResolution(fqdn, None, f"no Service {parts[1]}/{parts[0]} in the input")
    if any(fqdn in se.spec.hosts for se in snap.all(ServiceEntry)):
        return HostResolution(fqdn, None, f"host {fqdn!r} is a ServiceEntry (its endpoints are not modelled)")
    return HostResolution(fqdn, None, f"host {fqdn!r} does not name a Kubernetes Service (no expansion of dotted names)")
