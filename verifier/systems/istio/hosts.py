"""Istio host names, the one resolver (docs/SEMANTICS.md#istio-host-names): short-name expansion, ``exportTo`` visibility,
gateway references, and what a host denotes among the inputs.

A name without a dot expands with the namespace of the object that wrote it (``reviews`` in ``default`` →
``reviews.default.svc.cluster.local``, pilot ``ResolveShortnameToFQDN``); a name with a dot is taken as written
(``reviews.prod`` is *not* ``reviews.prod.svc.cluster.local``). Wildcard matching of host patterns is
system-neutral (``cnverify.encodings.hosts``).

:func:`resolve` is what a route destination denotes (a Service or ServiceEntry visible from the viewer's
namespace; ``external`` when the inputs cannot decide it); :func:`resolve_host` is the Kubernetes Service
a DestinationRule host names, whose pods its subsets select.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cnverify.encodings.hosts import matches
from cnverify.model import Resource, Service, ServiceEntry
from cnverify.run_context import context_of
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.targets import inventory_namespaces

DOMAIN = "svc.cluster.local"
EXPORT_ANNOTATION = "networking.istio.io/exportTo"

Status = Literal["service", "serviceentry", "missing", "external"]

TOPOLOGY_KEYS = frozenset(
    {
        "topology.kubernetes.io/region",
        "topology.kubernetes.io/zone",
        "topology.istio.io/subzone",
        "kubernetes.io/hostname",
        "topology.istio.io/cluster",
        "topology.istio.io/network",
        "failure-domain.beta.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
    }
)
"""Endpoint labels Istio adds from the node / cluster (pilot ``AugmentLabels``): unknown to a manifest."""


def expand(host: str, namespace: str) -> str:
    """Istio's ``ResolveShortnameToFQDN``: append ``.<ns>.svc.cluster.local`` to names without a dot."""
    if not host or host == "*" or "." in host or ":" in host:
        return host
    return f"{host}.{namespace}.{DOMAIN}"


def gateway_ref(name: str, namespace: str) -> str:
    """Istio's ``resolveGatewayName``: ``ns/name`` as is, ``name`` → ``<namespace>/name``, and the legacy
    FQDN form ``name.ns[.svc.cluster.local]`` → ``ns/name``, ``./name`` → ``<namespace>/name``;
    ``mesh`` stays ``mesh``."""
    if name.startswith("./"):
        return f"{namespace}/{name[2:]}"
    if name == "mesh" or "/" in name:
        return name
    if "." not in name:
        return f"{namespace}/{name}"
    short, rest = name.split(".", 1)
    return f"{rest.split('.', 1)[0]}/{short}"


def visible(exports: list[str] | None, owner_ns: str, from_ns: str) -> bool:
    """Istio ``exportTo``: absent or ``*`` = everywhere, ``.`` = own namespace, ``~`` = nowhere."""
    if not exports:
        return True
    return any(e == "*" or (e == "." and owner_ns == from_ns) or e == from_ns for e in exports)


def service_exports(svc: Service) -> list[str] | None:
    raw = svc.annotations.get(EXPORT_ANNOTATION)
    return [p.strip() for p in raw.split(",") if p.strip()] if raw else None


def service_fqdn(svc: Resource) -> str:
    return f"{svc.name}.{svc.namespace}.{DOMAIN}"


@dataclass
class Resolution:
    """What a host written in namespace ``namespace`` denotes."""

    written: str
    fqdn: str
    status: Status
    reason: str
    service: Service | None = None
    entry: ServiceEntry | None = None


def resolve(snap: Snapshot, host: str, namespace: str, viewer: str | None = None) -> Resolution:
    """Resolve ``host`` (as written in an object of ``namespace``) to a Service or ServiceEntry.

    ``viewer`` is the namespace whose proxies use the reference (default ``namespace``): only
    objects exported to it count. Once per run for each question (a VirtualService's destinations name
    one host several times); callers do not mutate the answer.
    """
    return context_of(snap).memo(
        ("systems.istio.hosts.resolve", host, namespace, viewer),
        lambda: _resolve(snap, host, namespace, viewer),
        reads=(Service, ServiceEntry),
    )


def _resolve(snap: Snapshot, host: str, namespace: str, viewer: str | None) -> Resolution:
    fqdn = expand(host, namespace)
    namespace = viewer or namespace
    hidden: list[str] = []
    if fqdn.endswith("." + DOMAIN):
        parts = fqdn[: -len(DOMAIN) - 1].split(".")
        if len(parts) == 2:
            svc = snap.get(Service, parts[1], parts[0])
            if svc is not None:
                if visible(service_exports(svc), svc.namespace, namespace):
                    return Resolution(host, fqdn, "service", f"Service {svc.namespace}/{svc.name}", service=svc)
                hidden.append(f"Service {svc.namespace}/{svc.name} is not exported to namespace {namespace}")
    for se in snap.all(ServiceEntry):
        for h in se.spec.hosts:
            if matches(expand(h, se.namespace), fqdn):
                if visible(se.spec.export_to, se.namespace, namespace):
                    return Resolution(
                        host, fqdn, "serviceentry", f"ServiceEntry {se.namespace}/{se.name} host {h}", entry=se
                    )
                hidden.append(f"ServiceEntry {se.namespace}/{se.name} ({h}) is not exported to namespace {namespace}")
    if hidden:
        return Resolution(
            host,
            fqdn,
            "missing",
            f"no Service or ServiceEntry for {fqdn} is visible from namespace {namespace}: " + "; ".join(hidden),
        )
    namespaces = inventory_namespaces(snap)
    if fqdn.endswith("." + DOMAIN):
        parts = fqdn[: -len(DOMAIN) - 1].split(".")
        if len(parts) == 2 and "*" not in fqdn and parts[1] in namespaces:
            return Resolution(host, fqdn, "missing", f"no Service {parts[1]}/{parts[0]} and no ServiceEntry for {fqdn}")
        return Resolution(host, fqdn, "external", f"namespace of {fqdn} is not part of the inputs")
    labels = fqdn.split(".")
    if len(labels) == 2 and snap.get(Service, labels[1], labels[0]) is not None:
        return Resolution(
            host,
            fqdn,
            "missing",
            f"Istio does not expand {host!r} (it contains a dot) and no ServiceEntry declares it; "
            f"the Service is {labels[0]}.{labels[1]}.{DOMAIN}",
        )
    return Resolution(host, fqdn, "external", f"{fqdn} is outside the cluster domain and no ServiceEntry declares it")


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


def resolve_host(
    snap: Snapshot, host: str, namespace: str, services: dict[tuple[str, str], list[Service]] | None = None
) -> HostResolution:
    """Expand a short name with ``namespace``; only ``name.ns.svc.cluster.local`` names a Service.

    Names containing a dot are not expanded (``reviews.prod`` is an FQDN that names no Service).
    A Service defined more than once in the input with different selectors is ambiguous (unresolved).
    """
    if "*" in host:
        return HostResolution(host, None, f"host {host!r} is a wildcard")
    fqdn = expand(host, namespace)
    parts = fqdn.split(".")
    if len(parts) == 5 and fqdn.endswith("." + DOMAIN):
        found = (service_index(snap) if services is None else services).get((parts[1], parts[0]), [])
        if len({tuple(sorted((s.spec.selector or {}).items())) for s in found}) > 1:
            return HostResolution(
                fqdn,
                None,
                f"Service {parts[1]}/{parts[0]} is defined {len(found)} times in the input with different selectors",
            )
        if found:
            return HostResolution(fqdn, found[0])
        return HostResolution(fqdn, None, f"no Service {parts[1]}/{parts[0]} in the input")
    if any(fqdn in se.spec.hosts for se in snap.all(ServiceEntry)):
        return HostResolution(fqdn, None, f"host {fqdn!r} is a ServiceEntry (its endpoints are not modelled)")
    return HostResolution(
        fqdn, None, f"host {fqdn!r} does not name a Kubernetes Service (no expansion of dotted names)"
    )
