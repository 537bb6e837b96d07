"""Istio host names resolved against the inventory of a snapshot (SEMANTICS §4.4; the name rules: ``cnverify.encodings.hosts``).

A host under ``*.svc.cluster.local`` whose namespace appears in the inputs, or a ServiceEntry host, can be
decided; anything else is ``external`` (unknown, never violated).
"""
from __future__ import annotations

from cnverify.encodings.hosts import DOMAIN, Resolution, expand, matches, service_exports, visible
from cnverify.model import Service, ServiceEntry
from cnverify.snapshot import Snapshot


def inventory_namespaces(snap: Snapshot) -> set[str]:
    """Namespaces that hold at least one object of the inputs under review (``--context`` objects and
    ``assume:`` placeholders do not make a namespace complete: they need not be all it holds)."""
    context = snap.context_ids
    return {r.namespace for r in snap.resources if r.NAMESPACED and id(r) not in context}


def resolve(snap: Snapshot, host: str, namespace: str, viewer: str | None = None) -> Resolution:
    """Resolve ``host`` (as written in an object of ``namespace``) to a Service or ServiceEntry.

    ``viewer`` is the namespace whose proxies use the reference (default ``namespace``): only
    objects exported to it count.
    """
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
                    return Resolution(host, fqdn, "serviceentry",
                                      f"ServiceEntry {se.namespace}/{se.name} host {h}", entry=se)
                hidden.append(f"ServiceEntry {se.namespace}/{se.name} ({h}) is not exported to namespace {namespace}")
    if hidden:
        return Resolution(host, fqdn, "missing", f"no Service or ServiceEntry for {fqdn} is visible from namespace "
                          f"{namespace}: " + "; ".join(hidden))
    namespaces = inventory_namespaces(snap)
    if fqdn.endswith("." + DOMAIN):
        parts = fqdn[: -len(DOMAIN) - 1].split(".")
        if len(parts) == 2 and "*" not in fqdn and parts[1] in namespaces:
            return Resolution(host, fqdn, "missing",
                              f"no Service {parts[1]}/{parts[0]} and no ServiceEntry for {fqdn}")
        return Resolution(host, fqdn, "external", f"namespace of {fqdn} is not part of the inputs")
    labels = fqdn.split(".")
    if len(labels) == 2 and snap.get(Service, labels[1], labels[0]) is not None:
        return Resolution(host, fqdn, "missing",
                          f"Istio does not expand {host!r} (it contains a dot) and no ServiceEntry declares it; "
                          f"the Service is {labels[0]}.{labels[1]}.{DOMAIN}")
    return Resolution(host, fqdn, "external", f"{fqdn} is outside the cluster domain and no ServiceEntry declares it")
