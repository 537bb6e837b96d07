"""Traefik's CRD provider fixtures (../shared/corpus/traefik__traefik, section 22 of its SOURCES.md) as a peer suite.

The expected dynamic configuration of each fixture is Go in traefik/traefik fd5a576d
``pkg/provider/kubernetes/crd/kubernetes_test.go`` (``TestLoadIngressRoutes``, ``TestCrossNamespace``); the values
below are transcribed from it (line numbers of that file) and compared with cnverify's reading.

Agreement: 5 of 5 fixtures. Router names, entry points, services, rules and priorities of the 3 fixtures with
routers (simple, with_services_lb0, with_mirroring2); the weights of their 3 weighted TraefikServices and the
mirroring (30%); the 2 fixtures without routers (with_cross_namespace: cross-namespace references refused under
the default ``allowCrossNamespace``; with_empty_services: no endpoints) are reported as routers Traefik does not
build. One difference in reason, explained: the Go test also loads ``services.yml`` (Services and EndpointSlices,
not in the corpus), so where Traefik finds a Service without endpoints cnverify finds no Service at all.

Traefik's own muxer tests (``pkg/muxer/http/matcher_test.go``, ``mux_test.go``; extracted to
``fixtures/traefik_matcher_tests.json``): 50 of 50 rejected rules rejected, 185 of 185 modelled requests routed as
expected, 27 unknown (rules on X-Forwarded-Proto), 26 requests outside the request model (counted by reason), and
6 of 6 single-provider priority cases; 6 cases of provider precedence are not Traefik-CRD questions.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cnverify import loader, snapshot
from cnverify.encodings.http import Entry, MatchTable, Request, Rewrite, entry_matches, first_match, routed
from cnverify.engine import Options, prove
from cnverify.model.traefik import TraefikService
from cnverify.model.traefik_rule import RuleError, check_arguments, dnf, parse
from cnverify.systems.traefik.matchers import alternatives
from cnverify.systems.traefik.tables import priority, router_name, routers, service_name

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
    report = prove([str(FIXTURES / "with_empty_services.yml")], Options(select=["CNV101", "CNV102", "CNV106"]))
    got = sorted((f.property, f.status) for f in report.results)
    assert report.internal == []  # a table whose only router is not built has no tie either
    assert got == [("CNV101", "violated"), ("CNV102", "violated"), ("CNV106", "proved")]


# --- Traefik's own matcher tests (pkg/muxer/http/matcher_test.go), extracted by fixtures/extract_traefik_matcher_tests.py
MATCHER_TESTS = Path(__file__).parent / "fixtures" / "traefik_matcher_tests.json"


def _request(spec: dict[str, Any]) -> Request | str:
    """The request a case sends, or why it is outside the request model (then it is not compared)."""
    if "remote" in spec:
        return "a client address (ClientIP)"
    if "method" in spec:
        return Request(host="example.com", path="/", method=spec["method"])
    if "headers" in spec:
        heads = spec["headers"]
        if any(k != "-".join(p.capitalize() for p in k.split("-")) for k in heads):
            return "a header name set in non-canonical form (Go's server canonicalizes what clients send)"
        return Request(host="example.com", path="/", headers={k.lower(): tuple(v) for k, v in heads.items()})
    url = urlsplit(spec["url"])
    if url.netloc.startswith("["):
        return "an IPv6 host (the request model holds DNS names and IPv4)"
    if not url.netloc.isascii() or "%" in url.path or any(c in url.query for c in "%+;"):
        return "a non-ASCII host or an escaped path or query (Go decodes them before matching)"
    pairs = [p.split("=", 1) for p in url.query.split("&") if p] if url.query else []
    keys = [p[0] for p in pairs]
    if len(set(keys)) < len(keys):
        return "a query key sent twice (the request model holds one value per key)"
    query = {p[0]: p[1] if len(p) == 2 else "" for p in pairs}
    return Request(host=url.netloc, path=url.path or "/", query=query)


def test_traefik_matcher_tests_agree() -> None:
    """Every case of matcher_test.go and TestMuxer (mux_test.go: whole rules with ``&&``, ``||``, ``!``; 99 rules,
    238 requests): a rule Traefik rejects is rejected (50 of 50); each request the request model can carry is
    matched as Traefik's test expects (185 of 185, status 200 or 404). Requests outside the model are
    counted apart with the reason; a rule with a matcher the model cannot carry (ClientIP, X-Forwarded-Proto,
    which Traefik's forwarded-headers handling rewrites) is unknown, never a disagreement."""
    data = json.loads(MATCHER_TESTS.read_text())["cases"]
    rejected, agree, outside, unknown = 0, 0, Counter[str](), 0
    for case in data:
        if case["error"]:
            with pytest.raises(RuleError):
                check_arguments(parse(case["rule"]))
            rejected += 1
            continue
        tree = parse(case["rule"])
        check_arguments(tree)
        entries = [Entry("r", f"r|{i}", a.match, a.hosts) for i, a in enumerate(alternatives(dnf(tree), v2=False))]
        for spec, status in case["requests"]:
            req = _request(spec)
            if isinstance(req, str):
                outside[req] += 1
                continue
            seen = routed(Rewrite(strip_port="any"), req)
            assert seen is not None
            try:
                got = any(entry_matches(e, seen) for e in entries)
            except ValueError:  # X-Forwarded-Proto (rewritten by Traefik before routing) in 27 requests
                assert "x-forwarded-proto" in case["rule"].lower(), case["rule"]
                unknown += 1
                continue
            assert got == (status == 200), (case["test"], case["rule"], spec, status)
            agree += 1
    assert (rejected, agree, unknown) == (50, 185, 27)
    assert dict(outside) == {
        "a client address (ClientIP)": 6,
        "a non-ASCII host or an escaped path or query (Go decodes them before matching)": 5,
        "a header name set in non-canonical form (Go's server canonicalizes what clients send)": 4,
        "a query key sent twice (the request model holds one value per key)": 10,
        "an IPv6 host (the request model holds DNS names and IPv4)": 1,
    }


PROVIDERS = ["kubernetesgateway", "kubernetescrd", "kubernetes", "kubernetesingressnginx"]  # the test's precedence


def test_traefik_priority_tests_agree() -> None:
    """``Test_addRoutePriority`` (mux_test.go): routes added to one muxer, the route a path takes. The routes of one
    provider are ordered as cnverify orders routers (explicit priority, else the rule's length; equal priorities
    of one provider matching the request would be a CNV106 finding — none of these cases has one); the 6 cases
    that rank routes of different providers test the providers' precedence, which one provider's IngressRoutes
    never need: they are counted apart."""
    cases = json.loads(MATCHER_TESTS.read_text())["priority"]
    agree, other_providers = 0, 0
    for case in cases:
        if len({r["provider"] for r in case["routes"]}) > 1:
            other_providers += 1
            continue
        ranked = sorted(case["routes"], key=lambda r: -priority(r["rule"], r["priority"]))
        entries = []
        for r in ranked:
            (alt,) = alternatives(dnf(parse(r["rule"])), v2=False)
            entries.append(Entry(r["name"], r["name"], alt.match, alt.hosts))
        req = Request(path=case["path"])
        hit = first_match(MatchTable(tuple(entries)), req)
        prios = [priority(r["rule"], r["priority"]) for r in ranked]
        tied = [e for e, p in zip(entries, prios, strict=True) if p == prios[0] and entry_matches(e, req)]
        assert len(tied) == 1 and hit is not None and hit.route_id == case["expected"], case
        agree += 1
    assert (agree, other_providers) == (6, 6)
