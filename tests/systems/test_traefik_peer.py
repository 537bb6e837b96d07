"""Traefik's CRD provider fixtures (../shared/corpus/traefik__traefik, SOURCES.md §22) as a peer suite.

The expected dynamic configuration of each fixture is Go in traefik/traefik fd5a576d
``pkg/provider/kubernetes/crd/kubernetes_test.go`` (``TestLoadIngressRoutes``, ``TestCrossNamespace``); the values
below are transcribed from it (line numbers of that file) and compared with cnverify's reading.

Agreement: 5 of 5 fixtures. Router names, entry points, services, rules and priorities of the 3 fixtures with
routers (simple, with_services_lb0, with_mirroring2); the weights of their 3 weighted TraefikServices and the
mirroring (30%); the 2 fixtures without routers (with_cross_namespace: cross-namespace references refused under
the default ``allowCrossNamespace``; with_empty_services: no endpoints) are reported as routers Traefik does not
build. One difference in reason, explained: the Go test also loads ``services.yml`` (Services and EndpointSlices,
not in the corpus), so where Traefik finds a Service without endpoints cnverify finds no Service at all.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cnverify import loader, snapshot
from cnverify.engine import Options, prove
from cnverify.model.traefik import TraefikService
from cnverify.systems.traefik.tables import router_name, routers, service_name

CORPUS = Path(os.environ.get("CNVERIFY_CORPUS", Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"))
FIXTURES = CORPUS / "traefik__traefik" / "pkg" / "provider" / "kubernetes" / "crd" / "fixtures"
# fixture → {router name: (entry points, service, rule, priority)} (kubernetes_test.go lines 1928-1931, 2402-2406,
# 3274-3278)
ROUTERS = {
    "simple.yml": {
        "default-test-route-6b204d94623b3df4370c": (
            ["foo"],
            "default-test-route-6b204d94623b3df4370c",
            "Host(`foo.com`) && PathPrefix(`/bar`)",
            12,
        )
    },
    "with_services_lb0.yml": {
        "default-test-route-77c62dfe9517144aeeaa": (
            ["web"],
            "default-wrr1",
            "Host(`foo.com`) && PathPrefix(`/foo`)",
            12,
        )
    },
    "with_mirroring2.yml": {
        "default-test-route-77c62dfe9517144aeeaa": (
            ["web"],
            "default-mirror1",
            "Host(`foo.com`) && PathPrefix(`/foo`)",
            12,
        )
    },
}
# weighted TraefikServices: fixture → {name: [(member, weight)]} (lines 2411-2417, 3295-3310)
WEIGHTS = {
    "with_services_lb0.yml": {"wrr1": [("whoami5", 1)]},
    "with_mirroring2.yml": {"wrr1": [("whoami4", 1)], "wrr2": [("whoami5", 1)]},
}
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="the peer corpus (../shared/corpus) is not here")


@pytest.mark.parametrize("fixture", sorted(ROUTERS))
def test_routers_agree(fixture: str) -> None:
    snap, errors = snapshot.build(loader.load([str(FIXTURES / fixture)]))
    assert errors == []
    got = {router_name(r): (r.ir.spec.entry_points, service_name(r), r.route.match, r.priority) for r in routers(snap)}
    assert got == ROUTERS[fixture]


@pytest.mark.parametrize("fixture", sorted(WEIGHTS))
def test_weights_agree(fixture: str) -> None:
    snap, _ = snapshot.build(loader.load([str(FIXTURES / fixture)]))
    got = {
        ts.name: [(s.name, s.weight if s.weight is not None else 1) for s in ts.spec.weighted.services]
        for ts in snap.all(TraefikService)
        if ts.spec.weighted is not None
    }
    assert got == WEIGHTS[fixture]


def test_cross_namespace_routes_are_not_built() -> None:
    """``HTTP cross namespace disallowed`` (line 8080): no router at all; cnverify: every route has a violated
    reference (the Service or TraefikService of another namespace)."""
    report = prove([str(FIXTURES / "with_cross_namespace.yml")], Options(select=["CNV102"]))
    bad = {
        f.subject["path"].split(".services")[0]
        for f in report.results
        if f.subject["kind"] == "IngressRoute" and f.status == "violated"
    }
    assert bad == {"spec.routes[0]", "spec.routes[1]"}


def test_mirroring_agrees() -> None:
    """``weighted services in a mirroring`` (lines 3281-3287): default-mirror1 mirrors default-wrr2 at 30% of
    default-wrr1's traffic."""
    snap, _ = snapshot.build(loader.load([str(FIXTURES / "with_mirroring2.yml")]))
    (ts,) = [t for t in snap.all(TraefikService) if t.spec.mirroring is not None]
    m = ts.spec.mirroring
    assert m is not None
    assert (ts.name, m.name, [(x.name, x.percent) for x in m.mirrors or []]) == ("mirror1", "wrr1", [("wrr2", 30)])


def test_empty_services_route_is_not_built() -> None:
    """``Ingress Route, empty service disallowed`` (line 5632): no router — the Service has no endpoints in
    services.yml. The corpus holds only the IngressRoute, so cnverify finds the Service missing: CNV102 violated,
    and CNV101 says Traefik does not build the router (the same outcome for another reason)."""
    report = prove([str(FIXTURES / "with_empty_services.yml")], Options(select=["CNV101", "CNV102"]))
    got = sorted((f.property, f.status) for f in report.results)
    assert got == [("CNV101", "violated"), ("CNV102", "violated")]
