"""Consul config entries: HCL v1 reading with lines, Consul's decode rules, and the float32 weight rules."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from cnverify.engine import Options, prove
from cnverify.loader import load
from cnverify.model.consul import ServiceRouter, ServiceSplitter
from cnverify.snapshot import build
from cnverify.systems.consul import weights

ROUTER_PASCAL = """\
Kind = "service-router"
Name = "web"
Routes = [
  {
    Match { HTTP { PathPrefix = "/admin" } }
    Destination { Service = "admin", ServiceSubset = "v1" }
  },
]
"""
ROUTER_SNAKE = """\
kind = "service-router"
name = "web"
routes {
  match { http { path_prefix = "/admin" } }
  destination { service = "admin", service_subset = "v1" }
}
"""


def _snap(tmp_path: Path, files: dict[str, str]):  # type: ignore[no-untyped-def]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    loaded = load([str(tmp_path)])
    snap, errors = build(loaded)
    return loaded, snap, errors


def test_pascal_and_snake_case_decode_alike(tmp_path: Path) -> None:
    for text in (ROUTER_PASCAL, ROUTER_SNAKE):
        _, snap, errors = _snap(tmp_path, {"r.hcl": text})
        assert not errors
        (router,) = snap.all(ServiceRouter)
        assert router.raw and router.name == "web"
        (route,) = router.spec.routes or []
        assert route.match and route.match.http and route.match.http.path_prefix == "/admin"
        assert route.destination and (route.destination.service, route.destination.service_subset) == ("admin", "v1")


def test_spans_point_at_the_hcl_lines(tmp_path: Path) -> None:
    _, snap, _ = _snap(tmp_path, {"r.hcl": ROUTER_PASCAL})
    (router,) = snap.all(ServiceRouter)
    route = (router.spec.routes or [])[0]
    assert router.metadata.at("name").line == 2
    assert route.match is not None and route.match.http is not None
    assert route.match.http.at("pathPrefix").line == 5
    assert route.destination is not None and route.destination.at("serviceSubset").line == 6


def test_repeated_blocks_are_a_list_as_in_go_hcl(tmp_path: Path) -> None:
    text = 'Kind = "service-router"\nName = "web"\nRoutes { Destination { Service = "a" } }\nRoutes { Destination { Service = "b" } }\n'
    _, snap, errors = _snap(tmp_path, {"r.hcl": text})
    assert not errors
    (router,) = snap.all(ServiceRouter)
    routes = router.spec.routes or []
    assert [r.destination.service for r in routes if r.destination] == ["a", "b"]
    assert [r.at().line for r in routes] == [3, 4]


def test_weak_typing_and_single_values(tmp_path: Path) -> None:
    text = """{"Kind": "service-splitter", "Name": "api", "Splits": {"Weight": "100", "ServiceSubset": "v1"}}"""
    _, snap, errors = _snap(tmp_path, {"s.json": text})
    assert not errors
    (sp,) = snap.all(ServiceSplitter)
    assert [(s.weight, s.service_subset) for s in sp.spec.splits or []] == [(100.0, "v1")]


@pytest.mark.parametrize(
    "text,line,message",
    [
        (
            'Kind = "service-router"\nName = "web"\nRoutes = [\n  { Destinaton { Service = "a" } },\n]\n',
            4,
            "invalid config key",
        ),
        (
            'Kind = "service-splitter"\nName = "api"\nSplits = [\n  { Weight = "ninety" },\n]\n',
            4,
            "expected type 'float32'",
        ),
        (
            'Kind = "service-router"\nName = "web"\nRoutes = [\n  {\n    Match { HTTP { PathPrefix = "x" } }\n  },\n]\n',
            5,
            "doesn't start with '/'",
        ),
        (
            'Kind = "service-router"\nName = "web"\nRoutes = [\n  { Match { HTTP { PathPrefix = "/x" }\n]\n',
            5,
            "HCL syntax error",
        ),
    ],
)
def test_bad_entries_are_located_errors_and_the_rest_is_verified(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    (tmp_path / "bad.hcl").write_text(text)
    (tmp_path / "good.hcl").write_text(ROUTER_PASCAL)
    report = prove([str(tmp_path)], Options(select=["CNV101"]))
    assert [(e.location.file.endswith("bad.hcl"), e.location.line) for e in report.errors] == [(True, line)]
    assert message in report.errors[0].message
    assert [f.subject["name"] for f in report.results] == ["web"]  # good.hcl still verified


def test_other_hcl_is_left_alone(tmp_path: Path) -> None:
    files = {
        "main.hcl": 'resource "aws_instance" "x" {\n  ami = var.ami\n  tags = { for k, v in var.t : k => v }\n}\n',
        "job.hcl": 'job "web" {\n  group "g" {\n    task "t" { driver = "docker" }\n  }\n}\n',
    }
    loaded, snap, errors = _snap(tmp_path, files)
    assert not errors and not loaded.errors
    # not Consul's: Terraform is read by no system; the Nomad job is Nomad's (its task group), nothing is Consul's
    assert [type(r).__name__ for r in snap.resources] == ["TaskGroup"]
    assert [i["file"].rsplit("/", 1)[-1] for i in loaded.inputs] == ["job.hcl"]


def test_float32_rules_match_go() -> None:
    ws = [10.34, 82.92, 6.74]
    assert [weights.consul_scaled(w) for w in ws] == [1034, 8292, 674]  # Consul: exactly 10000
    assert weights.webhook_sum(ws) == Fraction(99.99999237060547)  # the webhook's float32 sum
    assert weights.webhook_sum([33.33, 33.33, 33.34]) == 100
    assert weights.consul_scaled(50.004) == 5000 and weights.consul_scaled(0.005) == 1  # math.Round: half away
    assert (
        weights.webhook_bad_weight(0.001) and not weights.webhook_bad_weight(0) and not weights.webhook_bad_weight(0.01)
    )


def test_proxy_defaults_is_global(tmp_path: Path) -> None:
    from cnverify.model.consul import ProxyDefaults

    _, snap, errors = _snap(tmp_path, {"pd.hcl": 'Kind = "proxy-defaults"\nConfig { protocol = "HTTP" }\n'})
    assert not errors
    (pd,) = snap.all(ProxyDefaults)
    assert (pd.name, pd.protocol) == ("global", "http")  # Normalize names it global; protocols compare lower-case
    _, _, errors = _snap(tmp_path, {"pd.hcl": 'Kind = "proxy-defaults"\nName = "x"\n'})
    assert [e.location.line for e in errors] == [1] and 'only "global"' in errors[0].message


def test_diff_action_is_the_destination_and_its_other_fields(tmp_path: Path) -> None:
    from cnverify.systems.consul.actions import consul_action

    text = ROUTER_PASCAL.replace('ServiceSubset = "v1"', 'ServiceSubset = "v1", PrefixRewrite = "/", NumRetries = 3')
    _, snap, errors = _snap(tmp_path, {"r.hcl": text})
    assert not errors
    (router,) = snap.all(ServiceRouter)
    action = consul_action(router, (router.spec.routes or [])[0])
    assert action is not None
    assert action.destinations == ((f"service {router.namespace}/admin subset v1", 1),)
    assert dict(action.effects) == {"numRetries": "3", "prefixRewrite": '"/"'}


def test_two_decimal_weights_round_trip_and_two_splits_always_agree() -> None:
    # Consul's rounding keeps every two-decimal weight; the webhook's float32 sum of two such weights that total
    # 100.00 is exactly 100 (exhaustive), so the two rules disagree only from three splits on
    assert all(weights.consul_scaled(a / 100) == a for a in range(10001))
    assert all(weights.webhook_sum([a / 100, (10000 - a) / 100]) == 100 for a in range(10001))


HCL_SAMPLES = [
    ROUTER_PASCAL,
    ROUTER_SNAKE,
    'Kind = "service-resolver"\nName = "r"\nSubsets "v1" { Filter = "a" }\nFailover "*" { Targets = [{Peer = "p"}] }\n',
    'kind = "service-resolver"\nname = "r"\nsubsets = { v1 = { filter = "a", only_passing = true } }\n',
    '"Kind" = "service-splitter"\n"Name" = "s"\nSplits = [{Weight = -1.5}, {Weight = 101, Service = "x"},]\n',
    'Kind = "proxy-defaults"\nConfig {\n  protocol = <<EOF\nhttp\nEOF\n}\n# c\n/* d */ Meta = { a = "b" }\n',
]


@pytest.mark.parametrize("text", HCL_SAMPLES)
def test_the_span_walk_builds_the_value_pyhcl_parses(text: str) -> None:
    import hcl as pyhcl  # type: ignore[import-untyped]
    from cnverify.systems.consul.hcl import read

    (doc,) = read(text, "x.hcl")
    assert doc.data == pyhcl.loads(text)  # type: ignore[union-attr]
