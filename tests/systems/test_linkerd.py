"""Linkerd: the first-match order equals the proxy's best-score selection (an oracle written from
linkerd2-proxy ``linkerd/http/route/src/lib.rs``, ``http/match.rs``, ``http/match/path.rs``), the regexes whose
leftmost-first match is a full match, and ServiceProfile's textual anchoring."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from cnverify.encodings.http import MatchTable, Request, first_match
from cnverify.engine import Options, prove
from cnverify.model.gateway import HTTPRouteMatch
from cnverify.model.linkerd import LinkerdHTTPRoute
from cnverify.systems.linkerd.match import EQ, FLAVORS, Flavor, Row, leftmost_first_exact, row
from cnverify.systems.linkerd.tables import ordered_entries, profile_regex
from hypothesis import given, settings
from hypothesis import strategies as st

PATHS = ["/", "/a", "/a/", "/a/b", "/a/bc", "/ab", "/a/b/c", "/b", "/b/a"]
PATH_MATCHES = [
    ("PathPrefix", "/"),
    ("PathPrefix", "/a"),
    ("PathPrefix", "/a/"),
    ("PathPrefix", "/a/b"),
    ("Exact", "/a"),
    ("Exact", "/a/b"),
    ("RegularExpression", "/a/.*"),
    ("RegularExpression", "/[ab]+"),
    ("RegularExpression", "/a/b.*"),
]


def _path_score(ptype: str, value: str, path: str) -> int | None:
    """linkerd2-proxy ``MatchPath::match_length``."""
    if ptype == "Exact":
        return len(value) if value == path else None
    if ptype == "RegularExpression":
        m = re.search(value, path)
        return len(path) if m and m.start() == 0 and m.end() == len(path) else None
    if value == "/":
        return 1
    prefix = value.rstrip("/")
    rest = path.rstrip("/")
    if not rest.startswith(prefix):
        return None
    suffix = rest[len(prefix) :]
    return len(prefix) if suffix == "" or suffix.startswith("/") else None


def _host_score(hostnames: list[str], host: str) -> tuple[int, int] | None:
    """linkerd2-proxy ``MatchHost::summarize_match`` (best over the route's hostnames; ``Exact > Suffix``)."""
    host = re.sub(r":[0-9]+$", "", host).lower().removesuffix(".")  # uri.host(): no port
    best = None
    for h in hostnames:
        if h.startswith("*."):
            score = (1, len(h) - 1) if host.endswith(h[1:]) and len(host) > len(h) - 1 else None
        else:
            score = (2, len(h)) if host == h else None
        if score is not None and (best is None or score > best):
            best = score
    return best


def _best(
    routes: list[list[list[dict]]], hosts: list[list[str]], req: Request, flavor: Flavor
) -> tuple[int, int, int] | None:
    """``find``: the (route, rule, match) the proxy picks: ``best`` keeps the first route and rule on ties; within
    a rule ``Iterator::max`` keeps the last tied match (29637b64), ``first_max`` the first (3865944)."""
    best: tuple[tuple[object, ...], tuple[int, int, int]] | None = None
    for r, rules in enumerate(routes):
        host = _host_score(hosts[r], req.host) if hosts[r] else (0, 0)  # None < Some
        if host is None:
            continue
        for i, matches in enumerate(rules):
            for j, m in enumerate(matches):
                score = _path_score(m["type"], m["value"], req.path)
                if score is None or (m.get("method") and m["method"] != req.method):
                    continue
                if any(req.headers.get(h) != "1" for h in m.get("headers", [])):
                    continue
                method, headers = 1 if m.get("method") else 0, len(m.get("headers", []))
                rank = (method, headers) if flavor.method_first else (headers, method)
                exact = 1 if flavor.exact_first and m["type"] == "Exact" else 0
                key = (host, score, exact, *rank)
                same_rule = best is not None and best[1][:2] == (r, i)
                if best is None or key > best[0] or (same_rule and key == best[0] and not flavor.first_match_wins):
                    best = (key, (r, i, j))
    return best[1] if best else None


MATCH = st.builds(
    lambda pm, method, headers: {"type": pm[0], "value": pm[1], "method": method, "headers": headers},
    st.sampled_from(PATH_MATCHES),
    st.sampled_from([None, "GET"]),
    st.sampled_from([[], ["x"]]),
)
ROUTES = st.lists(st.lists(st.lists(MATCH, min_size=1, max_size=2), min_size=1, max_size=3), min_size=1, max_size=2)


HOSTNAMES = st.sampled_from([[], [], ["a.com"], ["*.com"], ["*.a.com"], ["a.com", "*.b.com"], ["x.a.com"]])
HOSTS = ["a.com", "A.com.", "x.a.com", "b.com", "x.b.com", "y.x.a.com:8080"]


def _route(n: int, hostnames: list[str]) -> LinkerdHTTPRoute:
    meta = {"name": f"r{n}", "namespace": "ns"}
    return LinkerdHTTPRoute.model_validate({"metadata": meta, "spec": {"hostnames": hostnames or None}})


@settings(max_examples=300, deadline=None)
@given(ROUTES, st.lists(HOSTNAMES, min_size=2, max_size=2))
def test_first_match_order_is_the_best_score(routes: list[list[list[dict]]], hostnames: list[list[str]]) -> None:
    objs = [_route(n, hostnames[n]) for n in range(len(routes))]
    rows: dict[str, list[Row]] = {o.ref: [] for o in objs}
    for r, rules in enumerate(routes):
        for i, matches in enumerate(rules):
            for j, m in enumerate(matches):
                spec = {"path": {"type": m["type"], "value": m["value"]}, "method": m["method"]}
                spec["headers"] = [{"name": h, "value": "1"} for h in m["headers"]]
                rows[objs[r].ref].append(row(objs[r], f"{r}|{i}|{j}", HTTPRouteMatch.model_validate(spec), i, j))
    for flavor in FLAVORS:
        table = MatchTable(tuple(ordered_entries(objs, rows, flavor)))
        for path in PATHS:
            for host in HOSTS:
                for method, headers in (("GET", {}), ("GET", {"x": "1"}), ("POST", {"x": "1"})):
                    req = Request(host=host, path=path, method=method, headers=headers)
                    hit = first_match(table, req)
                    got = None if hit is None else tuple(int(x) for x in hit.clause_id.removesuffix(EQ).split("|"))
                    assert got == _best(routes, hostnames, req, flavor), (flavor.name, host, path, method, headers)


@pytest.mark.parametrize(
    "pattern,exact",
    [
        ("/foo/[0-9]+", True),
        ("/api/.*", True),
        ("/a/[a-z]{3}", True),
        ("/a|/ab", False),  # Regex::find takes /a on /ab
        ("/a.*?", False),  # lazy: the first match is /a
        ("/a*b?", False),  # inner variable repetition
        ("(?U)/a.*", False),
    ],
)
def test_leftmost_first_exact(pattern: str, exact: bool) -> None:
    assert leftmost_first_exact(pattern) is exact


@pytest.mark.parametrize(
    "written,path,matches",
    [
        ("/a|/b", "/ax", True),  # ^/a|/b$: starts with /a
        ("/a|/b", "/x/b", True),  # ... or ends with /b
        ("/a|/b", "/xbx", False),
        ("^/api/.*$", "/api/v1", True),
        ("/api/v1", "/api/v1/x", False),
        ("/x|/y|/z", "/q/yq", True),  # a middle branch is unanchored
        ("[|]|/q", "|", True),  # "|" inside a class is no alternation
    ],
)
def test_profile_regex_is_textual_anchoring(written: str, path: str, matches: bool) -> None:
    anchored = ("" if written.startswith("^") else "^") + written + ("" if written.endswith("$") else "$")
    assert (re.search(anchored, path) is not None) is matches  # Rust Regex::is_match on the anchored text
    assert (re.fullmatch(profile_regex(written), path) is not None) is matches


CORPUS = Path(os.environ.get("CNVERIFY_CORPUS", Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"))
LINKERD = CORPUS / "linkerd__linkerd2"
# Linkerd's own integration manifests configure working meshes (their e2e tests send traffic through them):
# every Linkerd verdict on them, with why it is what it is.
EXPECTED_CORPUS = {
    # smoke_test.yaml: Servers select the Deployments of the file and are authorized (the test's traffic flows)
    ("CNV205", "proved", "Server", "smoke-test-terminus", None): "its podSelector selects the terminus pods",
    ("CNV205", "proved", "Server", "smoke-test-proxy-admin", None): "matchExpressions In selects both Deployments",
    ("CNV205", "proved", "Server", "smoke-test-proxy-admin", "spec.port"): "linkerd-admin: the injected proxy's port",
    ("CNV106", "proved", "Server", "smoke-test-terminus", "spec.port"): "9090 vs the proxy-admin Server's 4191",
    ("CNV107", "proved", "Server", "smoke-test-terminus", "spec.port"): "a ServerAuthorization names it",
    ("CNV107", "proved", "Server", "smoke-test-proxy-admin", "spec.port"): "a ServerAuthorization names it",
    ("CNV102", "proved", "ServerAuthorization", "smoke-test-terminus", "spec.server"): "the Server is in the file",
    ("CNV102", "proved", "ServerAuthorization", "smoke-test-proxy-admin", "spec.server"): "the Server is in the file",
    # emoji-policy.yaml: policy only; the emojivoto Deployments are applied from another manifest, so the
    # unit holds no pods (the same verdict as a NetworkPolicy recipe without its pods)
    ("CNV205", "violated", "Server", "emoji-grpc", None): "no pod in the unit (emojivoto is applied separately)",
    ("CNV205", "violated", "Server", "voting-grpc", None): "no pod in the unit (emojivoto is applied separately)",
    ("CNV205", "violated", "Server", "web-http", None): "no pod in the unit (emojivoto is applied separately)",
    ("CNV107", "proved", "Server", "emoji-grpc", "spec.port"): "a ServerAuthorization names it",
    ("CNV107", "proved", "Server", "voting-grpc", "spec.port"): "a ServerAuthorization names it",
    ("CNV107", "proved", "Server", "web-http", "spec.port"): "ServerAuthorization web-public names it",
    ("CNV102", "proved", "ServerAuthorization", "emoji-grpc", "spec.server"): "the Server is in the file",
    ("CNV102", "proved", "ServerAuthorization", "voting-grpc", "spec.server"): "the Server is in the file",
    ("CNV102", "proved", "ServerAuthorization", "web-public", "spec.server"): "the Server is in the file",
    # grafana/authzpolicy-grafana.yaml: the Server prometheus-admin is created by the linkerd-viz chart
    ("CNV102", "violated", "AuthorizationPolicy", "grafana", "spec.targetRef"): "the target Server is not in the unit",
    # ipfamilies-policy.yml: one document holds the test placeholder {IPv6} and cannot be read, so verdicts
    # that need the whole unit are unknown
    ("CNV205", "unknown", "Server", "ipfamilies", None): "a document of the unit cannot be read",
    ("CNV107", "unknown", "Server", "ipfamilies", "spec.port"): "a document of the unit cannot be read",
    ("CNV102", "proved", "AuthorizationPolicy", "ipfamilies", "spec.targetRef"): "the Server is in the file",
    ("CNV102", "unknown", "AuthorizationPolicy", "ipfamilies", "spec.requiredAuthenticationRefs[0]"): (
        "the NetworkAuthentication is the unreadable document"
    ),
}


@pytest.mark.skipif(not LINKERD.exists(), reason=f"{LINKERD} not found")
def test_linkerd_corpus_verdicts() -> None:
    report = prove([str(LINKERD)], Options())
    kinds = {"Server", "ServerAuthorization", "AuthorizationPolicy", "HTTPRoute", "ServiceProfile"}
    found = [
        (f.property, f.status, f.subject["kind"], f.subject["name"], f.subject.get("path"))
        for f in report.results
        if f.subject["kind"] in kinds and f.subject["apiVersion"].split("/")[0].endswith("linkerd.io")
    ]
    assert sorted(found, key=str) == sorted(EXPECTED_CORPUS, key=str)
