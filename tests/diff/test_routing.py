"""Routing deltas on fixture pairs (Istio VirtualServices) and on hand-built match tables."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

pytest.importorskip("cnverify.encodings.http")
pytest.importorskip("cnverify.systems.istio.tables")

from cnverify.cli import main  # noqa: E402
from cnverify.diff.routing import Action, Route, compare  # noqa: E402
from cnverify.encodings.http import (  # noqa: E402
    Entry,
    Match,
    MatchTable,  # noqa: E402
    PathMatch,
    Request,
    first_match,
)

FIX = Path(__file__).parent / "fixtures"
GW = "istio: gateway istio-system/public port 80, host "


def routing(case: str) -> tuple[int, list[dict[str, Any]]]:
    res = CliRunner().invoke(
        main,
        [
            "diff",
            str(FIX / case / "old"),
            str(FIX / case / "new"),
            "--select",
            "CNV401",
            "--format",
            "json",
            "--fail-on",
            "routing-change",
        ],
        catch_exceptions=False,
    )
    return res.exit_code, json.loads(res.output)["routing"]


def pair(x: dict[str, Any]) -> tuple[Any, ...]:
    side = lambda r: None if r is None else (r["route"], r["location"]["line"])  # noqa: E731
    return side(x["old"]), side(x["new"])


def test_reorder_is_proved_equivalent() -> None:
    code, (r,) = routing("reorder")
    assert code == 0
    assert (r["entry_point"], r["status"], r["how"], r["differences"]) == (
        GW + "shop.example.com",
        "equivalent",
        "no request is routed differently (solver: unsat)",
        [],
    )


def test_split_into_two_files_is_equivalent() -> None:
    code, (r,) = routing("split")
    assert code == 0 and r["status"] == "equivalent" and r["how"].startswith("identical tables")


def test_new_route_shadowing_an_old_one() -> None:
    code, (r,) = routing("shadow")
    assert code == 1 and r["status"] == "changed" and r["complete"]
    assert sorted(pair(x) for x in r["differences"]) == [
        (("VirtualService shop/shop http[0] (cart)", 12), ("VirtualService shop/shop http[0] (legacy)", 12)),
        (("VirtualService shop/shop http[2] (web)", 20), ("VirtualService shop/shop http[0] (legacy)", 12)),
    ]
    for x in r["differences"]:
        path = x["witness"]["path"]
        assert path.startswith("/ca") and (path.startswith("/cart") == (x["old"]["route"].endswith("(cart)")))
        assert x["new"]["action"]["shares"] == {"legacy.shop.svc.cluster.local": 100}
        assert x["witness"]["host"] == "shop.example.com"


def test_weight_shift_reports_shares() -> None:
    code, (r,) = routing("weights")
    assert code == 1 and r["entry_point"] == "istio: sidecars (mesh), host reviews.shop.svc.cluster.local"
    (x,) = r["differences"]
    assert x["old"]["action"]["shares"] == {
        "reviews.shop.svc.cluster.local subset v1": 90,
        "reviews.shop.svc.cluster.local subset v2": 10,
    }
    assert x["new"]["action"]["shares"] == {
        "reviews.shop.svc.cluster.local subset v1": 50,
        "reviews.shop.svc.cluster.local subset v2": 50,
    }
    assert x["old"]["location"]["line"] == x["new"]["location"]["line"] == 9


def test_widened_prefix_witness_is_in_the_new_space() -> None:
    code, (r,) = routing("widen")
    assert code == 1
    (x,) = r["differences"]
    assert x["old"] is None and x["new"]["route"] == "VirtualService shop/api http[0] (v1)"
    path = x["witness"]["path"]
    assert path.startswith("/api") and not path.startswith("/api/v1")


def _route(path: str, kind: str, dests: tuple[tuple[str, int], ...], rid: str) -> Route:
    return Route(Entry(rid, rid, Match(path=PathMatch(kind, path))), Action(destinations=dests), rid)  # type: ignore[arg-type]


def test_rescaled_weights_are_no_change_and_witnesses_replay() -> None:
    a = _route("/", "prefix", (("x", 9), ("y", 1)), "a")
    b = _route("/", "prefix", (("x", 90), ("y", 10)), "b")
    assert compare("k", [a], [b]).status == "equivalent"
    old = [_route("/a", "prefix", (("s", 1),), "p"), _route("/", "prefix", (("t", 1),), "q")]
    new = [_route("/", "prefix", (("t", 1),), "q")]
    d = compare("k", old, new)
    (x,) = d.differences
    for routes, picked in ((old, x.old), (new, x.new)):
        assert first_match(MatchTable(tuple(r.entry for r in routes)), x.witness) is picked.entry  # type: ignore[union-attr]
    assert isinstance(x.witness, Request) and x.witness.path.startswith("/a")


def test_enumeration_limit_is_reported() -> None:
    old = [_route(f"/p{i}", "exact", (("s", 1),), f"o{i}") for i in range(3)]
    d = compare("k", old, [], limit=2)
    assert d.status == "changed" and len(d.differences) == 2 and not d.complete
    assert d.reason == "stopped after 2 differing route pairs"


def test_httproute_rescaled_weights_are_equivalent() -> None:
    code, (r,) = routing("httproute")
    assert code == 0
    assert (r["entry_point"], r["status"]) == (
        "gateway: Gateway infra/edge listener http (HTTP 80), hostname store.example.com",
        "equivalent",
    )
    assert r["how"].startswith("identical tables")


def test_envoy_reorder_that_shadows_a_route() -> None:
    code, (r,) = routing("envoy")
    assert code == 1 and r["entry_point"] == "envoy: RouteConfiguration local, virtual host app, domain app.example.com"
    (x,) = r["differences"]
    assert pair(x) == (("virtual host app routes[0]", 17), ("virtual host app routes[0]", 17))
    assert x["old"]["action"]["shares"] == {"static": 100} and x["new"]["action"]["shares"] == {"app": 100}
    assert x["witness"]["path"].startswith("/static") and x["witness"]["host"] == "app.example.com"


# --- cross-check against brute force over a small request domain (Hypothesis) -----------------
from cnverify.encodings.http import HeaderMatch, StrMatch  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PATHS = ["/", "/a", "/ab", "/abc", "/b", "/ba", "/c"]
REQUESTS = [Request(host="h", path=p, headers=h) for p in PATHS for h in ({}, {"x": "1"}, {"x": "2"})]


@st.composite
def tables(draw: st.DrawFn, tag: str) -> list[Route]:
    out = []
    for i in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["prefix", "exact"]))
        value = draw(st.sampled_from(["/", "/a", "/ab", "/b"]))
        header = draw(st.sampled_from([None, "1", "2"]))
        headers = () if header is None else (HeaderMatch("x", match=StrMatch("exact", header)),)
        dests = draw(st.sampled_from([(("A", 1),), (("B", 1),), (("A", 1), ("B", 1)), (("A", 3), ("B", 1))]))
        rid = f"{tag}{i}"
        out.append(
            Route(
                Entry(rid, rid, Match(path=PathMatch(kind, value), headers=headers)),  # type: ignore[arg-type]
                Action(destinations=dests),
                rid,
            )
        )
    return out


def _takes(routes: list[Route], r: Request) -> Route | None:
    e = first_match(MatchTable(tuple(x.entry for x in routes)), r)
    return next((x for x in routes if x.entry is e), None)


def _sig(route: Route | None) -> object:
    return None if route is None else route.action.signature()


@settings(max_examples=40, deadline=None)
@given(tables("o"), tables("n"))
def test_product_agrees_with_brute_force(old: list[Route], new: list[Route]) -> None:
    d = compare("k", old, new)
    brute = {(id(_takes(old, r)), id(_takes(new, r))) for r in REQUESTS if _sig(_takes(old, r)) != _sig(_takes(new, r))}
    if d.status == "equivalent":
        assert not brute
        return
    assert d.status == "changed" and d.complete
    reported = {(id(x.old), id(x.new)) for x in d.differences}
    assert brute <= reported  # every differing pair the small domain shows is enumerated
    for x in d.differences:  # every witness is routed as reported, to different actions
        assert _takes(old, x.witness) is x.old and _takes(new, x.witness) is x.new
        assert _sig(x.old) != _sig(x.new)


def test_unsupported_match_is_unknown_unless_tables_are_identical() -> None:
    odd = Route(Entry("u", "u", Match(unsupported="a scheme match")), Action(destinations=(("s", 1),)), "u")
    plain = _route("/", "prefix", (("t", 1),), "p")
    assert compare("k", [odd, plain], [odd, plain]).status == "equivalent"
    d = compare("k", [odd, plain], [plain])
    assert (d.status, d.reason) == ("unknown", "unsupported match: a scheme match")


def test_creation_order_variants_make_an_equivalence_unknown() -> None:
    from cnverify.diff.routing import diff_tables

    a = _route("/", "prefix", (("A", 1),), "a")
    b = _route("/", "prefix", (("B", 1),), "b")
    c = _route("/c", "exact", (("A", 1),), "c")  # same action as a: equivalent to the order a, b
    (d,) = diff_tables({"k": [[a, b], [b, a]]}, {"k": [[c, a, b]]})
    assert (d.status, d.how) == ("unknown", "depends on creation order")
    (d,) = diff_tables({"k": [[a, b], [b, a]]}, {"k": [[a, b], [b, a]]})
    assert d.status == "equivalent"


def test_text_and_markdown_show_the_witness_and_both_routes() -> None:
    args = [str(FIX / "weights/old"), str(FIX / "weights/new"), "--select", "CNV401"]
    text = CliRunner().invoke(main, ["diff", *args]).output
    old, new = FIX / "weights/old/vs.yaml", FIX / "weights/new/vs.yaml"
    text = re.sub(r"request [A-Z]+ ", "request METHOD ", text)  # any method the solver picks
    assert (
        "  istio: sidecars (mesh), host reviews.shop.svc.cluster.local: changed — solver: sat\n"
        "    request METHOD reviews.shop.svc.cluster.local/\n"
        f"      old: VirtualService shop/reviews http[0] ({old}:9) → reviews.shop.svc.cluster.local subset v1 90%, "
        "reviews.shop.svc.cluster.local subset v2 10%\n"
        f"      new: VirtualService shop/reviews http[0] ({new}:9) → reviews.shop.svc.cluster.local subset v1 50%, "
        "reviews.shop.svc.cluster.local subset v2 50%\n"
    ) in text
    md = CliRunner().invoke(main, ["diff", *args, "--format", "markdown"]).output
    assert "- **istio: sidecars (mesh), host reviews.shop.svc.cluster.local**: changed — solver: sat" in md
    # (route labels are Markdown-escaped: ``http\[0\]`` renders as http[0])
    assert re.search(
        r"  - `[A-Z]+ reviews\.shop\.svc\.cluster\.local/`: old VirtualService shop/reviews http\\\[0\\\]", md
    )


def test_a_removed_virtualservice_is_a_removed_entry_point(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
    res = CliRunner().invoke(
        main, ["diff", str(FIX / "widen/old"), str(tmp_path), "--format", "json", "--select", "CNV401"]
    )
    (r,) = json.loads(res.output)["routing"]
    assert (r["status"], r["presence"]) == ("changed", "removed")
    (x,) = r["differences"]
    assert x["old"]["route"] == "VirtualService shop/api http[0] (v1)" and x["new"] is None
    assert x["witness"]["path"].startswith("/api/v1")


ISTIO_VS = """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http:
    - name: cart
      match: [{uri: {prefix: /cart}}]
      route:
        - destination: {host: cart}
EXTRA
    - name: web
      route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*/*"]}]
"""
HTTPROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: store, namespace: shop}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  hostnames: [store.example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /checkout}}]
      backendRefs:
        - name: checkout
          port: 8080
EXTRA
"""
INGRESS = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
EXTRA
spec:
  rules:
    - host: shop.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""
ENVOY = (FIX / "envoy/old/envoy.yaml").read_text()


@pytest.mark.parametrize(
    "text, extra, effect",
    [
        (ISTIO_VS, "      fault: {abort: {httpStatus: 503, percentage: {value: 100}}}", "fault"),
        (ISTIO_VS, "      rewrite: {uri: /basket}", "rewrite"),
        (ISTIO_VS, "      retries: {attempts: 0}", "retries"),
        (ISTIO_VS, "      timeout: 1ms", "timeout"),
        (ISTIO_VS, "      headers: {request: {set: {x-user: admin}}}", "headers"),
        (ISTIO_VS, "          headers: {request: {remove: [authorization]}}", None),  # per destination
        (ISTIO_VS, "      mirror: {host: spy}", "mirror"),
        (
            HTTPROUTE,
            "      filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, "
            "replacePrefixMatch: /}}}]",
            "filters",
        ),
        (
            HTTPROUTE,
            "          filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: x-a, value: b}]}}]",
            None,
        ),  # per backendRef
        (HTTPROUTE, "      timeouts: {request: 1ms}", "timeouts"),
        (
            INGRESS,
            "  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /x}",
            "annotation nginx.ingress.kubernetes.io/rewrite-target",
        ),
    ],
)
def test_route_effects_are_outcomes(tmp_path: Path, text: str, extra: str, effect: str | None) -> None:
    """Regression: a change adding a 100% fault abort (or a rewrite, retries, a header edit…) was
    'equivalent' because only destinations were compared."""
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "r.yaml").write_text(text.replace("EXTRA\n", ""))
    (tmp_path / "new" / "r.yaml").write_text(text.replace("EXTRA", extra))
    res = CliRunner().invoke(
        main,
        [
            "diff",
            str(tmp_path / "old"),
            str(tmp_path / "new"),
            "--select",
            "CNV401",
            "--format",
            "json",
            "--fail-on",
            "routing-change",
        ],
        catch_exceptions=False,
    )
    (r,) = [r for r in json.loads(res.output)["routing"]]
    assert res.exit_code == 1 and r["status"] == "changed", r
    new = r["differences"][0]["new"]["action"]
    if effect is not None:
        assert effect in new["effects"]
    else:
        assert any(" " in d["destination"] for d in new["destinations"])


def test_envoy_route_and_virtual_host_effects_are_outcomes(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "envoy.yaml").write_text(ENVOY)
    for change, effect in (
        ("route: {cluster: app}", "route.prefix_rewrite"),
        ('domains: ["app.example.com"]', "virtual_host.request_headers_to_add"),
    ):
        new = (
            ENVOY.replace("route: {cluster: app}", "route: {cluster: app, prefix_rewrite: /v2/}")
            if effect.startswith("route.")
            else ENVOY.replace(
                change, change + "\n                      request_headers_to_add: [{header: {key: x-a, value: b}}]"
            )
        )
        (tmp_path / "new" / "envoy.yaml").write_text(new)
        res = CliRunner().invoke(
            main,
            ["diff", str(tmp_path / "old"), str(tmp_path / "new"), "--select", "CNV401", "--format", "json"],
            catch_exceptions=False,
        )
        (r,) = json.loads(res.output)["routing"]
        assert r["status"] == "changed", (effect, r)
        assert any(effect in (d["new"]["action"].get("effects") or {}) for d in r["differences"]), r


def test_entries_that_are_no_route_are_compared(tmp_path: Path) -> None:
    """Regression: a table entry standing for requests another listener claims (no route of the
    table) raised KeyError and a traceback; it is an outcome ("served elsewhere") like any other."""
    gw = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: default}\n"
        "spec:\n  gatewayClassName: x\n  listeners:\n  - {name: any, port: 80, protocol: HTTP}\n"
        "  - {name: foo, port: 80, protocol: HTTP, hostname: foo.example.com}\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r2, namespace: default}\n"
        "spec:\n  parentRefs: [{name: gw, sectionName: foo}]\n  rules:\n"
        "  - matches: [{path: {type: PathPrefix, value: PATH}}]\n    backendRefs: [{name: svc, port: 80}]\n"
    )
    for side, path in (("old", "/only"), ("new", "/other")):
        (tmp_path / side).mkdir()
        (tmp_path / side / "gw.yaml").write_text(gw.replace("PATH", path))
    res = CliRunner().invoke(
        main,
        ["diff", str(tmp_path / "old"), str(tmp_path / "new"), "--select", "CNV401", "--format", "json"],
        catch_exceptions=False,
    )
    routing = json.loads(res.output)["routing"]
    assert any(r["status"] == "changed" for r in routing)
    assert all(r["reason"].find("KeyError") < 0 for r in routing)
