"""Routing tables: one analysis per snapshot, precedence keys, match translation edge cases."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from cnverify import loader, snapshot
from cnverify.encodings.http import HeaderMatch, PathMatch, StrMatch
from cnverify.engine import Options, check
from cnverify.model.envoy import HeaderMatcher, RouteMatch
from cnverify.model.gateway import HTTPRouteMatch
from cnverify.model.istio import HTTPMatchRequest
from cnverify.systems.envoy.tables import envoy_match, header_matcher
from cnverify.systems.gateway.tables import gateway_match
from cnverify.systems.istio.tables import is_catch_all, istio_match
from cnverify.systems.routing import tables

GRIDS = Path(__file__).parent


def _snap(name: str) -> snapshot.Snapshot:
    snap, errors = snapshot.build(loader.load([str(GRIDS / name)]))
    assert not errors
    return snap


def test_tables_are_solved_once_per_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = tables.analyze

    def counting(table, **kw):  # type: ignore[no-untyped-def]
        calls.append(len(table.entries))
        return real(table, **kw)

    monkeypatch.setattr(tables, "analyze", counting)
    snap = _snap("match_reachable/istio.yaml")
    findings, errors = check(snap, Options(select=["CNV101", "CNV105"]))
    assert not errors and {f.property for f in findings} == {"CNV101", "CNV105"}
    assert calls == [4]  # one table (mesh, host reviews), four flattened clauses, analysed once
    assert tables.results(snap) is tables.results(snap)


def test_gateway_precedence_keys() -> None:
    exact = gateway_match(HTTPRouteMatch.model_validate({"path": {"type": "Exact", "value": "/a"}}))[1]
    long_prefix = gateway_match(HTTPRouteMatch.model_validate({"path": {"type": "PathPrefix", "value": "/abc"}}))[1]
    prefix_method = gateway_match(HTTPRouteMatch.model_validate({"path": {"value": "/ab"}, "method": "GET"}))[1]
    prefix_headers = gateway_match(
        HTTPRouteMatch.model_validate(
            {"path": {"value": "/ab"}, "headers": [{"name": "a", "value": "1"}, {"name": "A", "value": "2"}]}
        )
    )
    default = gateway_match(None)
    assert exact < long_prefix < prefix_method < prefix_headers[1] < default[1]
    assert len(prefix_headers[0].headers) == 1  # header names are case-insensitive; the first entry counts
    assert default[0].path == PathMatch("segment_prefix", "/")


def test_istio_match_translation() -> None:
    m = istio_match(
        HTTPMatchRequest.model_validate(
            {
                "uri": {"prefix": "/API"},
                "ignoreUriCase": True,
                "headers": {"x-a": {}, "x-b": {"regex": "*"}},
                "withoutHeaders": {"x-c": {"exact": "1"}, "x-d": {}},
            }
        )
    )
    assert m.path == PathMatch("prefix", "/API", True)
    assert m.headers == (
        HeaderMatch("x-a", present=True),
        HeaderMatch("x-b", present=True),
        HeaderMatch("x-c", match=StrMatch("exact", "1"), invert=True, treat_missing_as_empty=True),
        HeaderMatch("x-d", present=True, invert=True),
    )
    assert istio_match(
        HTTPMatchRequest.model_validate({"uri": {"regex": "/a.*"}, "ignoreUriCase": True})
    ).path == PathMatch("regex", "/a.*", False)  # ignoreUriCase has no effect on regex
    assert istio_match(HTTPMatchRequest.model_validate({"sourceLabels": {"app": "a"}})).unsupported
    assert is_catch_all(None) and is_catch_all(HTTPMatchRequest.model_validate({"uri": {"prefix": "/"}}))
    assert not is_catch_all(HTTPMatchRequest.model_validate({"uri": {"prefix": "/"}, "headers": {"a": {}}}))


def test_envoy_match_translation() -> None:
    assert header_matcher(HeaderMatcher.model_validate({"name": "x"})) == HeaderMatch("x", present=True)
    h = header_matcher(HeaderMatcher.model_validate({"name": "x", "present_match": True, "invert_match": True}))
    assert h == HeaderMatch("x", present=True, invert=True)
    rng = header_matcher(HeaderMatcher.model_validate({"name": "x", "range_match": {"start": 1, "end": "20"}}))
    assert rng == HeaderMatch("x", StrMatch("range", "1,20"))  # range_match is encoded (was unsupported)
    assert isinstance(header_matcher(HeaderMatcher.model_validate({"name": "x", "range_match": {"end": "1.5"}})), str)
    m = envoy_match(RouteMatch.model_validate({"prefix": "/A", "case_sensitive": False}))
    assert m.path == PathMatch("prefix", "/A", True) and m.unsupported is None
    assert envoy_match(RouteMatch.model_validate({"prefix": "/", "runtime_fraction": {"x": 1}})).unsupported
    assert envoy_match(RouteMatch.model_validate({"connect_matcher": {}})).unsupported


def test_istio_catch_all_is_pilots() -> None:
    """``IsCatchAllRoute`` on the translated block (istio/istio route.go): prefix / or regex .*, no header/query."""

    def m(d: dict[str, object]) -> HTTPMatchRequest:
        return HTTPMatchRequest.model_validate(d)

    assert is_catch_all(m({})) and is_catch_all(m({"port": 80})) and is_catch_all(m({"gateways": ["gw"]}))
    assert is_catch_all(m({"uri": {"regex": ".*"}})) and is_catch_all(
        m({"uri": {"prefix": "/"}, "ignoreUriCase": True})
    )
    for extra in (
        {"method": {"exact": "GET"}},
        {"authority": {"exact": "a"}},
        {"scheme": {"exact": "http"}},
        {"withoutHeaders": {"x": {}}},
        {"queryParams": {"q": {}}},
    ):
        assert not is_catch_all(m({"uri": {"prefix": "/"}, **extra}))
    assert not is_catch_all(m({"uri": {"regex": "*"}})) and not is_catch_all(m({"uri": {"prefix": "/a"}}))


def test_istio_host_intersection() -> None:
    from cnverify.systems.istio.scope import intersection

    assert intersection(["shop.example.com"], ["*.example.com"]) == ["shop.example.com"]
    assert intersection(["*.example.com"], ["a.example.com", "example.com"]) == ["a.example.com"]
    assert intersection(["*"], ["*.a.com"]) == ["*.a.com"] and intersection(["*.b.com"], ["*.a.com"]) == []


def test_istio_delegate_conflicts_are_pilots() -> None:
    """``stringMatchConflict`` / ``hasConflict`` (istio/istio pilot/pkg/model/virtualservice.go)."""
    from cnverify.model.istio import StringMatch
    from cnverify.systems.istio.delegate import conflict, merge, string_conflict

    def s(**kw: str) -> StringMatch:
        return StringMatch.model_validate(kw)

    assert not string_conflict(s(prefix="/a"), s(prefix="/a/b")) and string_conflict(s(prefix="/a/b"), s(prefix="/a"))
    assert not string_conflict(s(prefix="/a"), s(exact="/a/x")) and string_conflict(s(exact="/a"), s(prefix="/a"))
    assert string_conflict(s(regex=".*"), s(prefix="/")) and string_conflict(s(prefix="/"), s(regex=".*"))
    assert not string_conflict(None, s(regex="x")) and not string_conflict(s(exact="/a"), s(exact="/a"))
    root = HTTPMatchRequest.model_validate({"uri": {"prefix": "/api"}, "headers": {"x": {"exact": "1"}}})
    leaf = HTTPMatchRequest.model_validate({"uri": {"prefix": "/api/v1"}, "headers": {"y": {"exact": "2"}}})
    assert not conflict(root, leaf) and conflict(root, HTTPMatchRequest.model_validate({"ignoreUriCase": True}))
    m = merge(root, leaf)
    assert m.uri.prefix == "/api/v1" and set(m.headers) == {"x", "y"}  # type: ignore[union-attr, arg-type]


@pytest.mark.parametrize(
    "stamp, utc",
    [
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00+00:00"),
        ("2024-01-01T01:00:00+02:00", "2023-12-31T23:00:00+00:00"),
        ("2024-01-01t00:00:00z", "2024-01-01T00:00:00+00:00"),
        (__import__("datetime").datetime(2024, 1, 1), "2024-01-01T00:00:00+00:00"),  # unquoted YAML, no offset
        ("yesterday", None),
        ("", None),
        (None, None),
        (17, None),
    ],
)
def test_creation_instant(stamp: object, utc: str | None) -> None:

    got = tables.creation_instant(stamp)
    assert (got.astimezone(UTC).isoformat() if got else None) == utc


def test_creation_order_ties_and_gaps() -> None:
    from cnverify.model.gateway import HTTPRoute

    def route(ns: str, name: str, stamp: str | None, null: bool = False) -> HTTPRoute:
        meta = {"name": name, "namespace": ns} | ({"creationTimestamp": stamp} if stamp or null else {})
        return HTTPRoute.model_validate({"metadata": meta})

    same = "2024-01-01T00:00:00Z"
    a, b = route("a", "z", same), route("a-b", "c", same)
    order, fixed = tables.creation_order([a, b], lambda r: f"{r.namespace}/{r.name}")
    assert fixed and order == [b, a]  # "a-b/c" < "a/z" as strings; not (namespace, name) tuples
    order, fixed = tables.creation_order([a, b], lambda r: (r.name, r.namespace))
    assert fixed and order == [b, a]  # Istio: name "c" < "z"
    late = route("a", "late", "2024-01-01T01:00:00+02:00")
    assert tables.creation_order([a, late], lambda r: r.name) == ([late, a], True)
    assert tables.creation_order([a, route("a", "x", None)], lambda r: r.name)[1] is False  # a stamp missing
    # `creationTimestamp: null` (kubectl create --dry-run) and "" leave the order open, as an absent stamp does
    assert (
        tables.creation_order([route("a", "x", None, null=True), route("a", "y", None, null=True)], lambda r: r.name)[1]
        is False
    )
    assert tables.creation_order([a, route("a", "x", "", null=True)], lambda r: r.name)[1] is False
