"""Targets of Gateway API TCPRoutes and TLSRoutes: each backendRef, resolved as an HTTPRoute's is.

Gateway API (``apis/v1alpha2`` TCPRoute/TLSRoute): ``rules[].backendRefs`` name Services with a
required port; a reference across namespaces needs a ReferenceGrant whose ``from`` names the route's
kind and namespace.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.model.gateway_l4 import TCPRoute, TLSRoute
from cnverify.snapshot import Snapshot
from cnverify.systems.gateway.targets import _backend
from cnverify.systems.routing.targets import Check

READS = (TCPRoute, TLSRoute)


def checks(snap: Snapshot) -> Iterator[Check]:
    routes: list[TCPRoute | TLSRoute] = [*snap.all(TCPRoute), *snap.all(TLSRoute)]
    for route in routes:
        for i, rule in enumerate(route.spec.rules or []):
            for ref in rule.backend_refs or []:
                yield _backend(snap, route, ref, f"rule {i} backendRef {ref.name}")
