"""Host patterns, as Istio, Envoy and the Gateway API share them: ``*.x`` matches one or more labels
before ``.x``; ``*`` matches everything. What a host *denotes* (Istio's expansion and resolution against
the inventory) is ``cnverify.systems.istio.hosts``.
"""

from __future__ import annotations


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


def overlaps(a: str, b: str) -> bool:
    """Do two host patterns share at least one concrete host?"""
    return matches(a, b) or matches(b, a)
