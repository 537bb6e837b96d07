"""Emissary witnesses replayed on a real Envoy (issue 16: "translate the config to the Envoy routes the system
would generate and check the witness takes the claimed route").

The grid fixture ``tests/properties/route_reachable/emissary.yaml`` is translated as Emissary does
(``cnverify.systems.emissary.tables.envoy_routes``: one route per Mapping in group-weight order with its
``runtime_fraction``), one virtual host per Host. Every CNV101 witness must reach its Mapping (every time for
a full route after no canary, at least once in 40 tries when a canary, which Envoy takes with its share, may
take it first); the literals of every
route proved unreachable must never reach it; and the 20% the ``/cart/`` canary group leaves must reach the
lower-precedence fallback, as CNV103 says.
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
from cnverify.systems.emissary.ir import installations, served
from cnverify.systems.emissary.tables import envoy_routes, route_match

FIXTURE = Path(__file__).resolve().parent.parent / "properties" / "route_reachable" / "emissary.yaml"
TRIES = 40  # a canary of share s is missed by all tries with probability (1 - s)^40 (< 1e-6 for s >= 30%)


def _vhosts() -> tuple[list[dict[str, Any]], dict[str, tuple[str, list[Entry]]]]:
    snap, _ = build(load([str(FIXTURE)]))
    [inst] = installations(snap)
    vhosts, entries = [], {}
    for host, listeners in served(inst):
        if not listeners:
            continue
        routes = []
        for r, match in envoy_routes(inst, host):
            name = f"{r.mapping.namespace}/{r.mapping.name}"
            routes.append(
                {
                    "name": name,
                    "match": match,
                    "direct_response": {"status": 200, "body": {"inline_string": name}},
                    "response_headers_to_add": [{"header": {"key": "x-route", "value": name}}],
                }
            )
            group = next(g for g in inst.groups if any(x is r for x in g))
            entries[name] = (host.hostname, [Entry(name, name, route_match(r, group, fraction=False))])
        vhosts.append({"name": host.name, "domains": [host.hostname], "routes": routes})
    return vhosts, entries


def _send(envoy: Any, r: Request, host: str) -> str:
    return envoy.route(host, r.method, r.target(), r.header_lines())


def test_emissary_witnesses_take_their_route_on_envoy(envoy: Any) -> None:
    vhosts, entries = _vhosts()
    envoy.load(vhosts)
    report = prove([str(FIXTURE)], Options(select=["CNV101"]))
    checked = {"proved": 0, "violated": 0}
    for f in report.results:
        name = f"{f.subject['namespace']}/{f.subject['name']}"
        if f.status == "proved" and f.witness:
            w = f.witness
            r = Request(host=w["host"], method=w["method"], path=w["path"], headers=w["headers"], query=w["query"])
            got: set[str] = set()  # a canary, or a route after one, is taken with its share only
            for _ in range(TRIES):
                got.add(_send(envoy, r, w["host"]))
                if name in got:
                    break
            assert name in got, (name, w, got)
            checked["proved"] += 1
        elif f.status == "violated" and name in entries:
            host, [entry] = entries[name]
            for r in candidates(entry):
                if not r.problems():
                    assert _send(envoy, r, host) != name, (name, r)
            checked["violated"] += 1
    assert checked == {"proved": 8, "violated": 7}


def test_emissary_canary_leak_reaches_the_fallback_on_envoy(envoy: Any) -> None:
    vhosts, _ = _vhosts()
    envoy.load(vhosts)
    got = [_send(envoy, Request(path="/cart/x"), "shop.example.com") for _ in range(60)]
    assert set(got) == {"shop/cart-a", "shop/cart-b", "shop/cart-fallback"}, got


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
