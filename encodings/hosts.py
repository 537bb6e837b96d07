"""Istio host names: short-name expansion, wildcard matching (resolution against the inventory:
``cnverify.properties._shared.routing.hosts``).

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
