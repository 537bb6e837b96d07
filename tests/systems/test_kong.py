"""Kong: the Kong Ingress Controller's golden files as a peer suite, the path and regex helpers, the loader hook.

Golden suite (the peer corpus, KIC 1fa68f86 ``internal/dataplane/testdata/golden``): each case's
``in.yaml`` holds Kubernetes objects, ``default_golden.yaml`` the decK config KIC generates for the default
``traditional_compatible`` router. Every Kong route of the golden files is compared field by field with
cnverify's translation: the 13 routes KIC generates from Ingresses (`kic.routes`: paths, hosts, strip_path,
preserve_host, regex_priority) and the 7 it generates from HTTPRoutes (`httproutes.translate`: name, Kong
service, paths, hosts, methods, headers, strip_path, preserve_host, regex_priority), each with its id
(`kic.route_id`, which orders routes of equal priority): 20 of 20 agree. The golden
inputs hold no Gateway (KIC's golden test puts the HTTPRoutes into its store directly), so the HTTPRoutes are
translated with their own hostnames, as ``filterHostnames`` leaves them on a listener without a hostname.
Not compared: upstream targets (KIC builds them from EndpointSlices, which cnverify does not model; only
``same-name-services-single-backend`` has any) and plugins (the URLRewrite's request-transformer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from cnverify import loader, snapshot
from cnverify.encodings.http import PathMatch, path_matches
from cnverify.model.gateway import HTTPRoute
from cnverify.systems.kong.httproutes import translate
from cnverify.systems.kong.kic import kong_paths, overrides, route_id, routes
from cnverify.systems.kong.tables import kong_regex, priority

GOLDEN = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "corpus"
    / "Kong__kubernetes-ingress-controller"
    / "internal"
    / "dataplane"
    / "testdata"
    / "golden"
)
FIELDS = ("paths", "hosts", "strip_path", "preserve_host", "regex_priority")
HTTP_FIELDS = ("service", "paths", "hosts", "methods", "headers", "strip_path", "preserve_host", "regex_priority")


def _golden_routes(case: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{route name: (kind of its source object, route with its service's name)}`` of a case's golden file."""
    data = yaml.safe_load((case / "default_golden.yaml").read_text())
    out = {}
    for service in data.get("services") or []:
        for r in service.get("routes") or []:
            kind = next((t.split(":", 1)[1] for t in r.get("tags", []) if t.startswith("k8s-kind:")), "")
            out[r["name"]] = (kind, {**r, "service": service["name"]})
    return out


def _http_routes(snap: snapshot.Snapshot) -> dict[str, dict[str, Any]]:
    """The Kong routes of every HTTPRoute of a golden input, as the golden file writes their fields."""
    out = {}
    for hr in snap.all(HTTPRoute):
        for r in translate(hr, list(hr.spec.hostnames or []) or None):
            over = r.over
            out[r.name] = {
                "service": r.service,
                "paths": [p.kong for p in r.paths] or None,
                "hosts": over.hosts(r.hosts),
                "methods": over.methods or r.methods or None,
                "headers": over.headers or r.headers or None,
                "strip_path": over.strip_path if over.strip_path is not None else False,
                "preserve_host": over.preserve_host if over.preserve_host is not None else True,
                "regex_priority": over.regex_priority,
            }
    return out


@pytest.mark.skipif(not GOLDEN.is_dir(), reason="the peer corpus (../shared/corpus) is not here")
def test_kic_golden_routes_agree() -> None:
    agree: dict[str, int] = {"Ingress": 0, "HTTPRoute": 0}
    differ = []
    for case in sorted(p for p in GOLDEN.iterdir() if (p / "in.yaml").is_file()):
        snap, _ = snapshot.build(loader.load([str(case / "in.yaml")]))
        mine = {r.name: r for r in routes(snap)}
        http = _http_routes(snap)
        gold = _golden_routes(case)
        for name, (kind, g) in gold.items():
            if kind == "HTTPRoute":
                got: dict[str, Any] | None = http.pop(name, None)
                want = {f: g.get(f) for f in HTTP_FIELDS}
            else:
                m = mine.pop(name, None)
                got = (
                    None
                    if m is None
                    else {
                        "paths": [p.kong for p in m.paths],
                        "hosts": m.hosts or None,
                        "strip_path": m.strip_path,
                        "preserve_host": m.preserve_host,
                        "regex_priority": m.regex_priority,
                    }
                )
                want = {f: g.get(f) for f in FIELDS}
            if got is not None:
                got["id"], want["id"] = route_id(name), g.get("id")  # go-kong FillID: UUIDv5 of the name
            if got == want:
                agree[kind] += 1
            else:
                differ.append(f"{case.name}: {name}: cnverify {got} golden {want}")
        differ += [f"{case.name}: {n}: translated by cnverify, absent from the golden file" for n in [*mine, *http]]
    assert differ == []
    assert agree == {"Ingress": 13, "HTTPRoute": 7}  # every route of the 13 cases' golden files


@pytest.mark.parametrize(
    "path_type,value,kong",
    [
        ("Prefix", "/foo", ["/foo/", "~/foo$"]),
        ("Prefix", "/", ["/"]),
        ("Prefix", "/foo/", ["/foo/", "~/foo$"]),
        ("Exact", "/foo", ["~/foo$"]),
        ("Exact", "/a.b", ["~/a.b$"]),
        ("ImplementationSpecific", "", ["/"]),
        ("ImplementationSpecific", "/~/api/v[0-9]+", ["~/api/v[0-9]+"]),
        ("Exact", "//double//slash", ["~/double/slash$"]),
    ],
)
def test_ingress_paths_as_kic_writes_them(path_type: str, value: str, kong: list[str]) -> None:
    from cnverify.model.ingress import HTTPIngressPath

    p = HTTPIngressPath.model_validate({"path": value, "pathType": path_type})
    assert [k for k, _ in kong_paths(p, "/~")] == kong


@pytest.mark.parametrize(
    "rest,matches,misses",
    [
        ("/foo$", ["/foo"], ["/foo/", "/foox"]),
        ("/foo", ["/foo", "/foobar"], ["/fo", "/x/foo"]),
        ("/a|/b", ["/a", "/abc", "/x/b", "/x/b/y"], ["/x", "/c"]),  # only the first branch is anchored
        ("/a|^/b$", ["/ab", "/b"], ["/x/b", "/bb"]),
        ("/c[|]d", ["/c|d"], ["/cd"]),
        ("/(?<id>[0-9]+)$", ["/12"], ["/a"]),
    ],
)
def test_kong_regex_is_anchored_at_the_start_only(rest: str, matches: list[str], misses: list[str]) -> None:
    m = PathMatch("regex", kong_regex(rest))
    assert all(path_matches(m, p) for p in matches)
    assert not any(path_matches(m, p) for p in misses)


def test_priority_packing_follows_transform_lua() -> None:
    from cnverify.model.kong import KongRoute

    def prio(**kw: Any) -> int:
        r = KongRoute.model_validate(kw)
        return priority(r, list(kw.get("paths", []))) or 0

    assert prio(paths=["~/a"]) > prio(paths=["/a/very/long/prefix"])  # regex over any prefix
    assert prio(paths=["/a"], methods=["GET"]) > prio(paths=["~/a"])  # more fields first
    assert prio(paths=["/a"], hosts=["a.com"]) > prio(paths=["/a"], hosts=["*.a.com"])  # plain hosts first
    assert prio(paths=["~/a"], regex_priority=2) > prio(paths=["~/a"], regex_priority=1)
    assert prio(paths=["/ab"], regex_priority=9) == prio(paths=["/ab"])  # regex_priority counts for regexes only
    assert prio(paths=["/a"], headers={"x": ["1"], "y": ["2"]}) > prio(paths=["/a"], headers={"x": ["1"]})
    assert priority(KongRoute.model_validate({"paths": ["~/a"], "regex_priority": -1}), ["~/a"]) is None


def test_loader_recognises_kong_yml_and_locates_its_errors(tmp_path: Path) -> None:
    f = tmp_path / "kong.yml"
    f.write_text(
        '_format_version: "3.0"\n'
        "services:\n"
        "- name: s\n"
        "  host: up\n"
        "  routes: [{name: r, paths: [/a/./b]}]\n"
        "---\n"
        "static_resources: {}\n"
        "---\n"
        "kind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\n"
    )
    loaded = loader.load([str(f)])
    assert [str(e.location.line) for e in loaded.errors] == ["5"]
    assert "not a normalized" in loaded.errors[0].message
    assert sorted(o.kind for o in loaded.objects) == ["ConfigMap"]  # the bootstrap has no listeners/clusters
    f.write_text('_format_version: "1.1"\nservices:\n- name: s\n  host: up\n  routes: [{name: r, paths: [/a/(.*)]}]\n')
    snap, errors = snapshot.build(loader.load([str(f)]))
    assert errors == []
    from cnverify.model.kong import KongConfig

    [cfg] = snap.all(KongConfig)
    assert cfg.name == "kong.yml"
    assert cfg.route_paths(cfg.services[0].routes[0]) == ["~/a/(.*)"]  # type: ignore[index]  # 1.1 migration


def _hr(spec: dict[str, Any], annotations: dict[str, str] | None = None) -> Any:
    from cnverify.model.gateway import HTTPRoute

    meta = {"name": "r", "namespace": "ns", "annotations": annotations or {}}
    return HTTPRoute.model_validate(
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta, "spec": spec}
    )


def _kong(
    spec: dict[str, Any], annotations: dict[str, str] | None = None
) -> list[tuple[str, list[str], list[str], str]]:
    """``(name, paths, methods, dropped)`` of every Kong route KIC generates from an HTTPRoute ``spec``."""
    return [(r.name, [p.kong for p in r.paths], r.methods, r.dropped) for r in translate(_hr(spec, annotations), None)]


BACKEND = [{"name": "a", "port": 80}]


def test_httproute_rules_sharing_backends_share_a_route_when_their_matches_agree() -> None:
    spec = {
        "rules": [
            {"matches": [{"path": {"type": "PathPrefix", "value": "/a"}}], "backendRefs": BACKEND},
            {"matches": [{"path": {"type": "Exact", "value": "/b"}, "method": "GET"}], "backendRefs": BACKEND},
            {"matches": [{"path": {"type": "PathPrefix", "value": "/c/"}}], "backendRefs": BACKEND},
            {
                "matches": [{"path": {"type": "RegularExpression", "value": "/d[0-9]"}}],
                "backendRefs": [{"name": "b", "port": 80}],
            },
        ]
    }
    assert _kong(spec) == [
        ("httproute.ns.r.0.0", ["~/a$", "/a/", "~/c/$", "/c/"], [], ""),
        ("httproute.ns.r.1.0", ["~/b$"], ["GET"], ""),
        ("httproute.ns.r.3.0", ["~/d[0-9]"], [], ""),
    ]
    assert {r.service for r in translate(_hr(spec), None)} == {"httproute.ns.r.0", "httproute.ns.r.3"}


def test_httproute_defaults_empty_matches_rewrites_and_failures() -> None:
    assert _kong({"rules": [{"backendRefs": BACKEND}]}) == [("httproute.ns.r.0.0", ["~/$", "/"], [], "")]
    assert _kong({"rules": [{"matches": [], "backendRefs": BACKEND}]}) == [("httproute.ns.r.0.0", [], [], "")]
    rewrite = {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/x"}}}
    for value, paths in (("/p/", ["~/p$", "~/p(/.*)"]), ("/", ["~/$", "~/(.*)"])):
        rule = {
            "matches": [{"path": {"type": "PathPrefix", "value": value}}],
            "filters": [rewrite],
            "backendRefs": BACKEND,
        }
        assert _kong({"rules": [rule]})[0][1] == paths
    query = {
        "matches": [{"path": {"value": "/q"}, "queryParams": [{"name": "a", "value": "1"}]}],
        "backendRefs": BACKEND,
    }
    assert "queryParams" in _kong({"rules": [{"backendRefs": [{"name": "z", "port": 1}]}, query]})[0][3]  # all of it
    mirror = {"matches": [{"path": {"value": "/m"}}], "filters": [{"type": "RequestMirror"}], "backendRefs": BACKEND}
    assert "RequestMirror" in _kong({"rules": [mirror]})[0][3]
    twice = {
        "matches": [{"headers": [{"name": "x", "value": "1"}, {"name": "x", "value": "2"}]}],
        "backendRefs": BACKEND,
    }
    assert "matched twice" in _kong({"rules": [twice]})[0][3]
    redirect = {
        "matches": [{"path": {"value": "/a"}}, {"path": {"value": "/b"}}],
        "filters": [{"type": "RequestRedirect"}],
    }
    [r] = translate(_hr({"rules": [redirect]}), None)
    assert r.unsupported and not r.dropped


def test_httproute_headers_and_annotations() -> None:
    spec = {
        "rules": [
            {
                "matches": [
                    {
                        "headers": [
                            {"name": "X-A", "value": "v"},
                            {"name": "x-b", "type": "RegularExpression", "value": "^b"},
                        ]
                    }
                ],
                "backendRefs": BACKEND,
            }
        ]
    }
    [r] = translate(_hr(spec), ["a.example.com"])
    assert r.headers == {"X-A": ["v"], "x-b": ["~*^b"]} and r.hosts == ["a.example.com"]
    notes = {
        "konghq.com/methods": "get,post",
        "konghq.com/host-aliases": "b.example.com",
        "konghq.com/headers.x-c": "1|2",
        "konghq.com/headers-separator": "|",
        "konghq.com/regex-priority": "7",
    }
    [r] = translate(_hr(spec, notes), ["a.example.com"])
    assert (r.over.methods, r.over.hosts(r.hosts), r.over.headers, r.over.regex_priority) == (
        ["GET", "POST"],
        ["a.example.com", "b.example.com"],
        {"x-c": ["1", "2"]},
        7,
    )
    assert overrides({"konghq.com/methods": "GET,get-x"}).methods is None  # one invalid method discards all


@pytest.mark.parametrize(
    "mask,host,matches",
    [
        ("*.a.com", "x.a.com", True),
        ("*.a.com", "x.y.a.com", True),
        ("*.a.com", "a.com", False),
        ("a.com", "a.com", True),
        ("a.com", "*.a.com", False),
        ("*.a.com", "*.a.com", True),
    ],
)
def test_kic_hostnames_match(mask: str, host: str, matches: bool) -> None:
    from cnverify.systems.kong.httproutes import _covers

    assert _covers(mask, host) is matches


def test_filter_hostnames_as_kic() -> None:
    from cnverify.model.gateway import Gateway
    from cnverify.systems.kong.httproutes import filter_hostnames

    gw = Gateway.model_validate(
        {
            "kind": "Gateway",
            "metadata": {"name": "g"},
            "spec": {
                "listeners": [
                    {"name": "a", "port": 80, "protocol": "HTTP", "hostname": "*.example.com"},
                    {"name": "b", "port": 81, "protocol": "HTTP", "hostname": "shop.test"},
                ]
            },
        }
    )
    assert filter_hostnames([(gw, "a")], ["x.example.com", "other.org"]) == ["x.example.com"]
    assert filter_hostnames([(gw, "a")], ["*.x.example.com"]) == ["*.x.example.com"]
    assert filter_hostnames([(gw, "")], []) == ["*.example.com", "shop.test"]  # the union of the listeners'
    assert filter_hostnames([(gw, "b")], ["a.example.com"]) == []  # not programmed
    open_gw = Gateway.model_validate(
        {
            "kind": "Gateway",
            "metadata": {"name": "o"},
            "spec": {"listeners": [{"name": "a", "port": 80, "protocol": "HTTP"}]},
        }
    )
    assert filter_hostnames([(open_gw, "")], []) is None  # any host


def test_kongingress_proxy_and_route_sections_are_rejected_at_the_field(tmp_path: Path) -> None:
    """The KongIngress CRD's CEL rules (``!has(self.proxy)``, ``!has(self.route)``) refuse those sections;
    ``upstream`` is accepted (and routes nothing)."""
    f = tmp_path / "ki.yaml"
    f.write_text(
        "apiVersion: configuration.konghq.com/v1\nkind: KongIngress\nmetadata: {name: old}\n"
        "proxy: {path: /x}\nroute:\n  methods: [GET]\n---\n"
        "apiVersion: configuration.konghq.com/v1\nkind: KongIngress\nmetadata: {name: ok}\nupstream: {slots: 100}\n"
    )
    snap, errors = snapshot.build(loader.load([str(f)]))
    assert sorted((e.location.line, e.message.split(": ", 1)[1]) for e in errors) == [
        (4, "proxy: 'proxy' field is no longer supported, use Service's annotations instead"),
        (5, "route: 'route' field is no longer supported, use Ingress' annotations instead"),
    ]
    from cnverify.model.kong import KongIngress

    assert [k.name for k in snap.all(KongIngress)] == ["ok"]
