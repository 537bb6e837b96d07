"""Traefik's CRD provider fixtures (../shared/corpus/traefik__traefik, SOURCES.md §22) as a peer suite.

The expected dynamic configuration of each fixture is Go in traefik/traefik fd5a576d
``pkg/provider/kubernetes/crd/kubernetes_test.go`` (``TestLoadIngressRoutes``, ``TestCrossNamespace``); the values
below are transcribed from it (line numbers of that file) and compared with cnverify's reading: router names,
entry points, rules, priorities (explicit or the rule's length) and the weights of weighted TraefikServices.
Where Traefik builds no router (cross-namespace references, no endpoints), cnverify reports CNV102 violated.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cnverify import loader, snapshot
from cnverify.engine import Options, prove
from cnverify.model.traefik import TraefikService
from cnverify.systems.traefik.tables import router_name, routers

CORPUS = Path(os.environ.get("CNVERIFY_CORPUS", Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"))
FIXTURES = CORPUS / "traefik__traefik" / "pkg" / "provider" / "kubernetes" / "crd" / "fixtures"
# fixture → {router name: (entry points, rule, priority)} (kubernetes_test.go lines 1928-1931, 2402-2406, 3274-3278)
ROUTERS = {
    "simple.yml": {"default-test-route-6b204d94623b3df4370c": (["foo"], "Host(`foo.com`) && PathPrefix(`/bar`)", 12)},
    "with_services_lb0.yml": {
        "default-test-route-77c62dfe9517144aeeaa": (["web"], "Host(`foo.com`) && PathPrefix(`/foo`)", 12)
    },
    "with_mirroring2.yml": {
        "default-test-route-77c62dfe9517144aeeaa": (["web"], "Host(`foo.com`) && PathPrefix(`/foo`)", 12)
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
    got = {router_name(r): (r.ir.spec.entry_points, r.route.match, r.priority) for r in routers(snap)}
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
