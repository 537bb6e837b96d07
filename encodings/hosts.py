"""Istio host names: short-name expansion, wildcard matching, resolution against the inventory.

SEMANTICS §4.4: a name without a dot expands with the namespace of the object that wrote it
(``reviews`` in ``default`` → ``reviews.default.svc.cluster.local``); a name with a dot is
taken as written (``reviews.prod`` is *not* ``reviews.prod.svc.cluster.local``).  ``*.x``
matches one or more labels before ``.x``; ``*`` matches everything.

Inventory domain: a host under ``*.svc.cluster.local`` whose namespace appears in the inputs,
or a ServiceEntry host, can be decided; anything else is ``external`` (unknown, never violated).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cnverify.model import Resource, Service, ServiceEntry
from cnverify.snapshot import Snapshot

DOMAIN = "svc.cluster.local"
EXPORT_ANNOTATION = "networking.istio.io/exportTo"

Status = Literal["service", "serviceentry", "missing", "external"]


def expand(host: str, namespace: str) -> str:
    """Istio's ``ResolveShortnameToFQDN``: append ``.<ns>.svc.cluster.local`` to names without a dot."""
    if not host or host == "*" or "." in host or ":" in host:
        return host
    return f"{host}.{namespace}.{DOMAIN}"


def matches(pattern: str, host: str) -> bool:
    """Does the (possibly wildcard) ``pattern`` cover the concrete or wildcard ``host``?

    ``*.foo.com`` covers ``a.foo.com``, ``a.b.foo.com`` and ``*.b.foo.com``, not ``foo.com``.
    """
    pattern, host = pattern.lower(), host.lower()
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        suffix = pattern[1:]
        if host.startswith("*."):
            return host[1:].endswith(suffix)
        return host.endswith(suffix) and len(host) > len(suffix)
    return pattern == host


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


def overlaps(a: str, b: str) -> bool:
    """Do two host patterns share at least one concrete host?"""
    return matches(a, b) or matches(b, a)


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
