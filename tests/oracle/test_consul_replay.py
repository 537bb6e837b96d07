"""Consul routers replayed on a real Envoy: every witness cnverify gives for a reachable route (CNV101) takes that
route in the virtual host Consul would generate, and no sampled request reaches a route cnverify proved shadowed.

The translation here is written from Consul's agent/xds/routes.go, independently of cnverify's own table
translation (systems/consul/tables.py): one virtual host, the router's routes in order (``makeRouteMatchForDiscoveryRoute``:
``PathExact`` → ``path``, ``PathPrefix`` → ``prefix``, ``PathRegex`` → ``safe_regex``, no match → ``prefix: /``;
headers exact/regex/prefix/suffix/present with ``invert_match``; ``Methods`` (upper-cased by ``Normalize``) → ``:method`` safe_regex ``A|B``;
query params), then the default route ``prefix: /`` (``makeDefaultRouteMatch``). Current Envoy spells the
deprecated ``exact_match``/``prefix_match`` header fields Consul sets as ``string_match``, with the same meaning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cnverify.engine import Options, prove
from cnverify.loader import load
from cnverify.model.consul import ServiceRoute, ServiceRouter
from cnverify.snapshot import build

FIXTURES = Path(__file__).parents[1] / "properties" / "consul_route_reachable"
CASES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".yaml", ".hcl", ".json") and p.name != "cases.yaml")


def envoy_route(name: str, route: ServiceRoute | None) -> dict[str, Any]:
    http = route.match.http if route is not None and route.match else None
    match: dict[str, Any] = {"prefix": "/"}
    if http is not None and not http.is_empty:
        if http.path_exact:
            match = {"path": http.path_exact}
        elif http.path_prefix:
            match = {"prefix": http.path_prefix}
        elif http.path_regex:
            match = {"safe_regex": {"regex": http.path_regex}}
        if http.case_insensitive:
            match["case_sensitive"] = False
        headers = []
        for h in http.header or []:
            eh: dict[str, Any] = {"name": h.name, "invert_match": bool(h.invert)}
            if h.exact:
                eh["string_match"] = {"exact": h.exact}
            elif h.regex:
                eh["string_match"] = {"safe_regex": {"regex": h.regex}}
            elif h.prefix:
                eh["string_match"] = {"prefix": h.prefix}
            elif h.suffix:
                eh["string_match"] = {"suffix": h.suffix}
            else:
                eh["present_match"] = True
            headers.append(eh)
        if http.methods:
            methods = "|".join(m.upper() for m in http.methods)  # ServiceRouterConfigEntry.Normalize upper-cases them
            headers.append({"name": ":method", "string_match": {"safe_regex": {"regex": methods}}})
        if headers:
            match["headers"] = headers
        query = []
        for q in http.query_param or []:
            if q.exact:
                query.append({"name": q.name, "string_match": {"exact": q.exact}})
            elif q.regex:
                query.append({"name": q.name, "string_match": {"safe_regex": {"regex": q.regex}}})
            else:
                query.append({"name": q.name, "present_match": True})
        if query:
            match["query_parameters"] = query
    return {
        "name": name,
        "match": match,
        "direct_response": {"status": 200, "body": {"inline_string": name}},
        "response_headers_to_add": [{"header": {"key": "x-route", "value": name}}],
    }


def virtual_host(router: ServiceRouter) -> dict[str, Any]:
    routes = [envoy_route(f"spec.routes[{i}]", r) for i, r in enumerate(router.spec.routes or [])]
    return {"name": router.name, "domains": ["*"], "routes": [*routes, envoy_route("default", None)]}


def _send(envoy: Any, w: dict[str, Any]) -> str:
    headers = [(k, x) for k, v in w["headers"].items() for x in ([v] if isinstance(v, str) else v)]
    target = w["path"] + ("?" + "&".join(f"{k}={v}" for k, v in w["query"].items()) if w["query"] else "")
    return envoy.route(w["host"], w["method"], target, headers, variant="plain")


@pytest.mark.parametrize("fixture", CASES, ids=[p.name for p in CASES])
def test_witnesses_take_the_claimed_route_on_envoy(envoy: Any, fixture: Path) -> None:
    snap, errors = build(load([str(fixture)]))
    assert not errors
    (router,) = snap.all(ServiceRouter)
    envoy.load([virtual_host(router)])
    report = prove([str(fixture)], Options(select=["CNV101"]))
    proved = [f for f in report.results if f.status == "proved"]
    shadowed = {f.subject["path"] for f in report.results if f.status == "violated"}
    assert proved and shadowed  # each fixture has both
    for f in proved:
        assert _send(envoy, f.witness) == f.subject["path"], f.message
    samples = ["/", "/api", "/api/v2", "/api/v2/x", "/late", "/a", "/A", "/health", "/x"]
    for path in samples:
        for method in ("GET", "POST", "PUT"):
            for headers in ({}, {"x-canary": "1"}, {"x-debug": "1"}):
                got = _send(
                    envoy, {"host": "example.com", "method": method, "path": path, "headers": headers, "query": {}}
                )
                assert got not in shadowed, (path, method, headers, got)
