"""Emissary-ingress (docs/SEMANTICS.md#emissary-ingress) against its own peer suites, and its service forms.

* ``cmd/entrypoint/testdata/hostsem-*.yaml`` with ``hostsem-*-expected.json``: which Mapping prefixes each
  Listener's virtual host (one per Host) routes (action ``ROUTE``; a Host whose insecure action is ``Redirect``
  gets only redirects on an ``INSECURE`` Listener) — Host attachment, Listener binding and security model.
* ``python/tests/src/tests/unit/testdata/canary_groups/*_in.yaml`` / ``*_out.yaml``: the mapping groups
  (``group_id`` sha1, prefix, member Mappings in their normalized order).
* ``test/e2e/fixtures/{header-routing,http-basic}``: the requests of ``queries.json`` and the backend the
  chainsaw check expects for each.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cnverify.encodings.http import Entry, Match, MatchTable, Request, first_match
from cnverify.engine import Options, prove
from cnverify.loader import load
from cnverify.model.emissary import EmissaryHost
from cnverify.snapshot import build
from cnverify.systems.emissary.ir import Installation, Route, attaches, glob_intersects, installations, served
from cnverify.systems.emissary.tables import _hosts, route_match
from cnverify.systems.emissary.targets import _parse

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "emissary-ingress__emissary"
HOSTSEM = CORPUS / "cmd" / "entrypoint" / "testdata"
CANARY = CORPUS / "python" / "tests" / "src" / "tests" / "unit" / "testdata" / "canary_groups"
INTERNAL = ("/ambassador/v0/", "/.well-known/acme-challenge/")  # Emissary's own diagnostics and ACME routes
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="the peer corpus (../shared/corpus) is not here")


def _installation(path: Path) -> tuple[Installation, int]:
    loaded = load([str(path)])
    snap, errors = build(loaded)
    [inst] = installations(snap)
    return inst, len(loaded.errors) + len(errors)


def _routed(inst: Installation) -> set[tuple[int, str, str]]:
    """(listener port, Host hostname, Mapping prefix) for every Mapping route Emissary puts on a virtual host."""
    return {
        (int(x.spec.port or 0), h.hostname, r.mapping.spec.prefix)
        for h, listeners in served(inst)
        for x in listeners
        for g in inst.groups
        for r in g
        if attaches(h, r)
    }


def _golden(path: Path) -> set[tuple[int, str, str]]:
    out = set()
    for listener in json.loads(path.read_text()):
        for chain in listener["chains"]:
            for vhost in chain["vhosts"]:
                for route in vhost["routes"]:
                    if route["action"] == "ROUTE" and not route["path"].startswith(INTERNAL):
                        out.add((listener["port"], route["host"], route["path"]))
    return out


@needs_corpus
@pytest.mark.parametrize("case", ["basic", "cleartextonly", "disjoint-hosts", "hostsel", "minimal"])
def test_hostsem_goldens(case: str) -> None:
    inst, errors = _installation(HOSTSEM / f"hostsem-{case}.yaml")
    assert errors == 0
    assert _routed(inst) == _golden(HOSTSEM / f"hostsem-{case}-expected.json")


@needs_corpus
@pytest.mark.parametrize(
    "case",
    [
        "mapping_selector",
        "mapping_selector_and_authority",
        "mapping_selector_and_host",
        "mapping_selector_and_hostname",
        "mapping_selector_to_multiple_hosts",
    ],
)
def test_canary_group_goldens(case: str) -> None:
    inst, errors = _installation(CANARY / f"{case}_in.yaml")
    assert errors == 0
    want = yaml.safe_load((CANARY / f"{case}_out.yaml").read_text())["mapping_groups"]
    got = [
        {"group_id": g[0].group, "prefix": g[0].mapping.spec.prefix, "mappings": [r.mapping.name for r in g]}
        for g in inst.groups
    ]
    expected = [{k: w[k] for k in ("group_id", "prefix", "mappings")} for w in want]
    assert sorted(got, key=lambda x: x["group_id"]) == sorted(expected, key=lambda x: x["group_id"])


@needs_corpus
def test_canary_group_with_integer_labels_is_an_input_error() -> None:
    """The irrelevant-labels case writes ``irrelevant-label: 1``: label values must be strings, so the API server
    (and cnverify, with the location) rejects both Mappings; Emissary's unit test feeds them unchecked."""
    _, errors = _installation(CANARY / "mapping_selector_irrelevant_labels_in.yaml")
    assert errors == 2


@pytest.mark.parametrize(
    ("service", "parsed"),
    [
        ("api", ("api", None, 80)),
        ("api:8080", ("api", None, 8080)),
        ("api.shop", ("api", "shop", 80)),
        ("http://api.shop:81", ("api", "shop", 81)),
        ("https://api.shop", ("api", "shop", 443)),
        ("HTTPS://api.shop.svc.cluster.local:8443", ("api", "shop", 8443)),
        ("grpc://api.shop", ("api", "shop", 80)),  # "unknown scheme grpc, assuming http"
        ("api.shop.svc:9000", ("api", "shop", 9000)),
    ],
)
def test_service_forms(service: str, parsed: tuple[str, str | None, int]) -> None:
    assert _parse(service) == parsed


@pytest.mark.parametrize("service", ["httpbin.example.com", "127.0.0.1:8500", "localhost:8500", "api:99999"])
def test_service_outside_the_inputs(service: str) -> None:
    assert isinstance(_parse(service), str)


@pytest.mark.parametrize(
    ("g1", "g2", "meets"),
    [
        ("*", "a.example.com", True),
        ("*.example.com", "a.example.com", True),
        ("*.example.com", "example.com", False),  # a leading * never matches the empty string
        ("*example.com", "example.com", False),
        ("*.example.com", "*.com", True),
        ("a.*", "*.com", True),
        ("a.example.*", "a.example.com", True),
        ("b.example.*", "a.example.com", False),
        ("a.example.com", "b.example.com", False),
        ("*.a.*", "x.a.y", False),  # a * at both ends is no valid glob: only equal strings meet
        (".example.com", "*", True),
    ],
)
def test_hostglob_matches(g1: str, g2: str, meets: bool) -> None:
    assert glob_intersects(g1, g2) is meets
    assert glob_intersects(g2, g1) is meets


E2E = CORPUS / "test" / "e2e" / "fixtures"


@needs_corpus
@pytest.mark.parametrize(
    ("case", "backends"),
    [("header-routing", ["hr-target1", "hr-target2"]), ("http-basic", ["http-echo"])],  # chainsaw-test.yaml's jq
)
def test_e2e_queries_reach_the_backend_the_suite_asserts(case: str, backends: list[str]) -> None:
    """Each request of ``queries.json`` goes, through Emissary's route order, to the Mapping whose service is the
    backend the suite's jq check expects (``.[N].result.json.backend``)."""
    loaded = load([str(E2E / case / "manifests.yaml")])
    snap, _ = build(loaded)
    [inst] = installations(snap)
    [(host, _)] = _hosts(inst)  # no Host in the manifests: the synthesized default-host
    table = MatchTable(tuple(Entry(r.mapping.name, r.mapping.name, m) for r, m in _routes(inst, host)))
    queries = json.loads((E2E / case / "queries.json").read_text())
    for q, backend in zip(queries, backends, strict=True):
        headers = {k.lower(): v for k, v in (q.get("headers") or {}).items()}
        hit = first_match(table, Request(host="example.com", method=q["method"], path=q["url"], headers=headers))
        assert hit is not None
        [r] = [r for g in inst.groups for r in g if r.mapping.name == hit.route_id]
        assert r.mapping.spec.service.split(":")[0] == backend


def _routes(inst: Installation, host: EmissaryHost) -> list[tuple[Route, Match]]:
    return [(r, route_match(r, g)) for g in inst.groups for r in g if attaches(host, r)]


def test_route_unambiguous_reads_only_tables_with_tied_groups() -> None:
    """CNV106 checks an Emissary table only when groups of equal weight make its order open; the table of
    Mappings no Host takes has two variants too (a Host outside the inputs may take them) and is no subject."""
    grids = Path(__file__).resolve().parents[1] / "properties"
    nohost = prove([str(grids / "route_reachable" / "emissary_nohost.yaml")], Options(select=["CNV106"]))
    assert nohost.internal == [] and nohost.results == []
    tied = prove([str(grids / "route_unambiguous" / "emissary.yaml")], Options(select=["CNV106"]))
    assert tied.internal == [] and [(f.subject["name"], f.status) for f in tied.results] == [("b", "violated")]
