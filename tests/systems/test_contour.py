"""Contour's condition merging, validation and route order, against contour 31c4bb38's own tests.

The order cases are internal/sorter/sorter_test.go's TestSortRoutesPathMatch, TestSortRoutesMethod,
TestSortRoutesLongestHeaders and TestSortRoutesQueryParams (segment prefixes left out: HTTPProxy prefixes are
string prefixes), shuffled as ``shuffleAndCheckSort`` does; the merge cases follow conditions.go and
conditions_test.go (``TestPathMatchCondition``)."""

from __future__ import annotations

import random

import pytest
from cnverify.model.contour import MatchCondition
from cnverify.systems.contour.conditions import Conditions, Header, Query, header_error, merge, path_error, query_error
from cnverify.systems.contour.tables import order_conditions


def _mc(**kw: object) -> MatchCondition:
    return MatchCondition.model_validate(kw)


def exact(p: str, *h: Header, q: tuple[Query, ...] = ()) -> Conditions:
    return Conditions("exact", p, h, q)


def regex(p: str, *h: Header) -> Conditions:
    return Conditions("regex", p, h)


def prefix(p: str, *h: Header) -> Conditions:
    return Conditions("prefix", p, h)


def hx(name: str, value: str) -> Header:
    return Header(name, "exact", value)


def hp(name: str) -> Header:
    return Header(name, "present")


def qc(kind: str, name: str, value: str = "", ignore_case: bool = False) -> Query:
    return Query(name, kind, value, ignore_case)


ORDERS = {
    "path": [
        exact("/aab/a"),
        exact("/aab"),
        exact("/aaa"),
        regex("/athis/is/the/longest"),
        regex(r"/foo((\/).*)*"),
        regex("/foo.*"),
        regex("/bar.*"),
        regex("/"),
        prefix("/path/prefix/a"),
        prefix("/path/prf222"),
        prefix("/path/prf122"),
        prefix("/path/prfx"),
    ],
    "method": [
        exact("/something", hx("X-Other-Header-1", "foo"), hx(":method", "POST"), hx("X-Other-Header-3", "baz")),
        exact("/something", hx(":method", "POST")),
        exact("/something", hx("X-Other-Header-1", "foo"), hx("X-Other-Header-2", "bar")),
    ],
    "headers": [
        exact(
            "/pathexact",
            hx("header-name", "header-value"),
            hx("header-name-2", "header-value"),
            hx("header-name-3", "header-value"),
        ),
        exact(
            "/pathexact",
            hx("header-name", "header-value"),
            hx("header-name-2", "header-value"),
            hx("header-name-999", "header-value"),
        ),
        exact("/pathexact", hx("header-name", "header-value")),
        exact("/pathexact", hp("header-name")),
        exact("/pathexact", hx("long-header-name", "long-header-value")),
        exact("/pathexact"),
        regex("/pathregex2", hp("header-name")),
        regex("/pathregex1", hx("header-name", "header-value")),
        regex("/pathregex1", hp("header-name")),
        regex("/pathregex1", hx("long-header-name", "long-header-value")),
        regex("/pathregex1"),
        prefix("/path", hx("header-name", "header-value")),
        prefix("/path", hp("header-name")),
        prefix("/path", hx("long-header-name", "long-header-value")),
        prefix("/path"),
    ],
    "query": [
        exact(
            "/",
            q=(
                qc("contains", "query-param-1", "query-value-1"),
                qc("contains", "query-param-2", "query-value-2"),
                qc("contains", "query-param-3", "query-value-3"),
            ),
        ),
        exact("/", q=(qc("exact", "aaa-param", "val"), qc("exact", "query-param-1", "query-value-1"))),
        exact("/", q=(qc("exact", "bbb-param", "val"), qc("exact", "query-param-1", "query-value-1"))),
        exact("/", q=(qc("exact", "query-param-1", "query-value-1"),)),
        exact("/", q=(qc("exact", "query-param-1", "query-value-1-other"),)),
        exact("/", q=(qc("exact", "query-param-1", "query-value-1-other", True),)),
        exact("/", q=(qc("regex", "query-param-1", "query-value-1"),)),
        exact("/", q=(qc("prefix", "query-param-1", "query-value-1"),)),
        exact("/", q=(qc("suffix", "query-param-1", "query-value-1"),)),
        exact("/", q=(qc("contains", "query-param-1", "query-value-1"),)),
        exact("/", q=(qc("present", "query-param-1"),)),
        exact("/", q=(qc("prefix", "query-param-2", "query-value-2"),)),
        exact("/", q=(qc("prefix", "query-param-2", "query-value-2-after"),)),
    ],
}


@pytest.mark.parametrize("case", sorted(ORDERS))
def test_route_order_is_contours(case: str) -> None:
    want = ORDERS[case]
    rng = random.Random(7)
    for _ in range(20):
        shuffled = want[:]
        rng.shuffle(shuffled)
        idx, open_ = order_conditions(shuffled)
        assert [shuffled[i] for i in idx] == want
        assert open_ == []


def test_routes_the_sorter_finds_equal_are_an_open_cluster() -> None:
    a = prefix("/api", Header("x-tenant", "exact", "blue", ignore_case=True))
    b = prefix("/api", Header("x-tenant", "exact", "blue"))
    c = prefix("/api", Header("x-zone", "exact", "eu"))
    idx, open_ = order_conditions([c, a, b])
    assert idx == [1, 2, 0] and open_ == [[0, 1]]


@pytest.mark.parametrize(
    ("conds", "want"),
    [
        ([], ("prefix", "/")),
        ([_mc(prefix="/api"), _mc(prefix="/v1")], ("prefix", "/api/v1")),
        ([_mc(prefix="/api/"), _mc(prefix="/v1")], ("prefix", "/api/v1")),  # //+ collapsed
        ([_mc(prefix="/api"), _mc(exact="/v1")], ("exact", "/api/v1")),
        ([_mc(prefix="/api"), _mc(regex="/v[0-9]+")], ("regex", "/api/v[0-9]+")),
        ([_mc(exact="/old"), _mc(header={"name": "x", "present": True})], ("prefix", "/old")),  # last decides
        ([_mc(header={"name": "x", "present": True})], ("prefix", "/")),
    ],
)
def test_merge_follows_merge_path_match_conditions(conds: list[MatchCondition], want: tuple[str, str]) -> None:
    m = merge(conds)
    assert (m.kind, m.path) == want


def test_header_conditions_take_the_first_test_set() -> None:
    m = merge(
        [_mc(header={"name": "X", "notcontains": "a", "ignoreCase": True, "treatMissingAsEmpty": True, "exact": "b"})]
    )
    assert m.headers == (Header("X", "contains", "a", invert=True, ignore_case=True, missing_empty=True),)
    assert merge([_mc(header={"name": "X"})]).headers == ()


@pytest.mark.parametrize(
    ("check", "conds", "error"),
    [
        (path_error, [_mc(prefix="/a"), _mc(prefix="/b")], "more than one prefix, exact or regex"),
        (path_error, [_mc(prefix="a")], "prefix conditions must start with /"),
        (path_error, [_mc(regex="/(")], "supplied regex: /( invalid"),
        (path_error, [_mc(prefix="/a"), _mc(header={"name": "x", "present": True})], ""),
        (
            header_error,
            [_mc(header={"name": "x", "exact": "1"}), _mc(header={"name": "X", "exact": "2"})],
            "duplicate header 'exact match'",
        ),
        (
            header_error,
            [_mc(header={"name": "x", "present": True}), _mc(header={"name": "x", "notpresent": True})],
            "contradictory 'present' and 'notpresent'",
        ),
        (
            header_error,
            [_mc(header={"name": "x", "exact": "1"}), _mc(header={"name": "x", "notexact": "1"})],
            "contradictory 'exact' and 'notexact'",
        ),
        (header_error, [_mc(header={"name": "x", "exact": "1"}), _mc(header={"name": "x", "notexact": "2"})], ""),
        (query_error, [_mc(queryParameter={"name": "q"})], "at least one query parameter condition"),
        (query_error, [_mc(queryParameter={"name": "q", "exact": "a", "prefix": "b"})], "more than one condition"),
        (query_error, [_mc(queryParameter={"name": "q", "present": True})], ""),
    ],
)
def test_validity_checks(check: object, conds: list[MatchCondition], error: str) -> None:
    got = check(conds)  # type: ignore[operator]
    assert (error in got) if error else got == ""


def test_diff_action_states_the_effective_weights(tmp_path: object) -> None:
    from pathlib import Path

    from cnverify.loader import load
    from cnverify.model.contour import HTTPProxy
    from cnverify.snapshot import build
    from cnverify.systems.contour.actions import route_action

    fixture = Path(str(tmp_path)) / "p.yaml"
    fixture.write_text(
        "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\nmetadata: {name: p, namespace: ns}\n"
        "spec:\n  virtualhost: {fqdn: p.example.com}\n  routes:\n"
        "    - services: [{name: a, port: 80}, {name: b, port: 80}]\n"
        "      timeoutPolicy: {response: 1s}\n"
        "    - services: [{name: a, port: 80, weight: 5}, {name: b, port: 80}, {name: m, port: 80, mirror: true}]\n"
    )
    snap, _ = build(load([str(fixture)]))
    [p] = snap.all(HTTPProxy)
    first, second = (route_action(p, r) for r in p.spec.routes)
    assert first is not None and second is not None
    assert first.destinations == (("service a:80 (ns)", 1), ("service b:80 (ns)", 1))  # all unset: equal
    assert first.effects == (("timeoutPolicy", '{"response": "1s"}'),)
    assert second.destinations == (("service a:80 (ns)", 5), ("service b:80 (ns)", 0))  # unset = 0
    assert second.effects == (("mirror", "service m:80 weight 100"),)  # a mirror takes copies, not a share
