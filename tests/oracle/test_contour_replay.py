"""Contour witnesses replayed on a real Envoy (issue 16: "translate the config to the Envoy routes the system
would generate and check the witness takes the claimed route").

The CNV101 grid fixtures of ``tests/properties/contour_route_reachable`` are translated as Contour does
(``cnverify.systems.contour.tables.envoy_routes``: the include tree flattened, one route per condition set, in
the sorter's order, matches as envoy/v3/route.go writes them), one virtual host per root fqdn, on a listener that
normalizes paths and merges slashes as Contour's do. Every CNV101 witness must reach its route, and the requests
built from the literals of every route proved unreachable must never reach it. Hosts whose table has variants
(an include outside the inputs, a tcpproxy, routes the sorter leaves unordered) are left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cnverify.encodings.http import Entry, Request
from cnverify.encodings.http_precheck import candidates
from cnverify.engine import Options, prove
from cnverify.loader import load
from cnverify.snapshot import build
from cnverify.systems.contour.conditions import to_match
from cnverify.systems.contour.dag import FlatRoute, installations
from cnverify.systems.contour.tables import envoy_routes, order

GRID = Path(__file__).resolve().parent.parent / "properties" / "contour_route_reachable"
FIXTURES = ["routes.yaml", "includes.yaml", "invalid.yaml", "outside.yaml", "../contour_route_unambiguous/ties.yaml"]
VARIANT = "norm-merge"  # Rewrite(normalize_path=True, merge_slashes=True).key(): Contour's listeners


def _name(r: FlatRoute) -> str:
    if r.bad_gateway:
        return f"502 {r.owner.namespace}/{r.owner.name}:{r.path}"
    return f"{r.owner.namespace}/{r.owner.name}:{r.path}"


def _vhosts(fixture: Path) -> tuple[list[dict[str, Any]], dict[str, list[tuple[str, Entry]]]]:
    snap, _ = build(load([str(fixture)]))
    vhosts, entries = [], {}
    for inst in installations(snap):
        for host in inst.vhosts:
            if host.opens or host.tcpproxy or order(list(host.routes))[1]:
                continue
            routes = []
            for r, match in envoy_routes(host):
                name = _name(r)
                routes.append(
                    {
                        "name": name,
                        "match": match,
                        "direct_response": {"status": 200, "body": {"inline_string": name}},
                        "response_headers_to_add": [{"header": {"key": "x-route", "value": name}}],
                    }
                )
            for r in [*host.routes, *(old for old, _ in host.replaced)]:
                entries.setdefault(_name(r), []).append((host.fqdn, Entry(_name(r), _name(r), to_match(r.conds))))
            vhosts.append({"name": host.fqdn, "domains": [host.fqdn], "routes": routes})
    return vhosts, entries


def _send(envoy: Any, r: Request, host: str) -> str:
    return envoy.route(host, r.method, r.target(), r.header_lines(), variant=VARIANT)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_contour_witnesses_take_their_route_on_envoy(envoy: Any, fixture: str) -> None:
    vhosts, entries = _vhosts(GRID / fixture)
    envoy.load(vhosts)
    report = prove([str(GRID / fixture)], Options(select=["CNV101"]))
    checked = {"proved": 0, "violated": 0}
    for f in report.results:
        name = f"{f.subject['namespace']}/{f.subject['name']}:{f.subject['path']}"
        if f.status == "proved" and f.witness and name in entries:
            w = f.witness
            r = Request(host=w["host"], method=w["method"], path=w["path"], headers=w["headers"], query=w["query"])
            assert _send(envoy, r, w["host"]) == name, (name, w)
            checked["proved"] += 1
        elif f.status == "violated" and name in entries:
            for host, entry in entries[name]:
                for r in candidates(entry):
                    if not r.problems():
                        assert _send(envoy, r, host) != name, (name, r)
            checked["violated"] += 1
    assert checked == EXPECTED[fixture]


EXPECTED = {
    "routes.yaml": {"proved": 8, "violated": 2},
    "includes.yaml": {"proved": 6, "violated": 0},
    "invalid.yaml": {"proved": 2, "violated": 0},
    "outside.yaml": {"proved": 1, "violated": 0},  # the wildcard host (the others have variants)
    "../contour_route_unambiguous/ties.yaml": {"proved": 2, "violated": 0},  # the ordered host
}


def test_contour_wildcard_covers_one_label_on_envoy(envoy: Any) -> None:
    """dag.go wildcardDomainHeaderMatch: Envoy's ``*.example.com`` covers several labels, Contour's header one."""
    vhosts, _ = _vhosts(GRID / "outside.yaml")
    envoy.load(vhosts)
    assert _send(envoy, Request(path="/"), "a.example.com") == "web/wild:spec.routes[0]"
    assert _send(envoy, Request(path="/"), "a.b.example.com") == ""


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])


def test_contour_bad_includes_on_envoy(envoy: Any) -> None:
    """The 502 route of a RootIncludesRoot include, and a proxy's own route replacing the 502 route of a missing
    include with the same conditions (VirtualHost.AddRoute: the later route wins)."""
    vhosts, _ = _vhosts(GRID / "includes.yaml")
    envoy.load(vhosts)
    assert _send(envoy, Request(path="/other/x"), "www.example.com") == "502 web/root:spec.includes[3]"
    assert _send(envoy, Request(path="/shop/x"), "www.example.com") == "web/root:spec.routes[1]"
    assert (
        _send(envoy, Request(path="/blog/x", headers={"x-beta": "1"}), "www.example.com") == "web/beta:spec.routes[0]"
    )
