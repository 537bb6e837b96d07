"""cnverify against `istioctl analyze` on Istio's own analyzer testdata (the corpus's istio__istio copy).

Each VirtualService message of the analyzers that cnverify's routing properties cover must be
reproduced (same object, violated) or listed in ``DIFFERENT`` with the reason and a witness; each
extra violation must be listed in ``EXTRA`` with the reason. Mapping:
IST0101/IST0132 ↔ CNV102 (destinations, subsets, gateway bindings), IST0130 ↔ CNV101,
IST0131 ↔ CNV105 or CNV101, IST0109 ↔ CNV106.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from cnverify.engine import Options, prove
from cnverify.model.base import UNIT_NAMESPACE
from cnverify.proof import Finding

CORPUS = Path(os.environ.get("CNVERIFY_CORPUS", Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"))
ISTIO = CORPUS / "istio__istio"
EXPECTED = ISTIO / "EXPECTED_ANALYZER_MESSAGES.json"

UNIT = "(unit-namespace)"  # UNIT_NAMESPACE without its blank, for the regex below
# analyzer → (cnverify codes, which violations count)
ANALYZERS = {
    "virtualservice.DestinationHostAnalyzer": ("CNV102", "host"),
    "virtualservice.DestinationRuleAnalyzer": ("CNV102", "subset"),
    "virtualservice.GatewayAnalyzer": ("CNV102", "gateway"),
    "schema.ValidationAnalyzer.VirtualService": ("CNV101,CNV105", "reach"),
    "virtualservice.ConflictingMeshGatewayHostsAnalyzer": ("CNV106", "conflict"),
}
DIFFERENT = {  # (case, IST code, resource): why cnverify's verdict differs, with a witness
    (
        "virtualServiceDestinationHosts",
        "IST0112",
        "default/reviews-2port-missing",
    ): "an info message (port selector required): CNV102 proves the host and says the port is not fixed "
    "(Istio then uses the port the request arrived on)",
    (
        "virtualServiceDestinationRules",
        "IST0101",
        "default/reviews-bogussubset",
    ): "the inputs hold no Service reviews: CNV102 reports that host first (violated) and stops there",
    (
        "virtualServiceDestinationRules",
        "IST0101",
        "default/reviews-mirror-bogussubset",
    ): "the inputs hold no Service reviews: CNV102 reports that host first (violated) and stops there",
    (
        "virtualServiceInternalGatewayRef",
        "IST0165",
        "default/httpbin",
    ): "a reference to an internal gateway name (~): CNV102 says unknown, never a pass",
    (
        "Route Rule no effect on Ingress",
        "IST0140",
        "default/testing-service-01-test-01",
    ): "a hint, not a fault: the gateway sends to ratings without a subset while the mesh VirtualService "
    "ratings-01 splits by subset, which sidecars do not apply to gateway traffic; no cnverify property",
    (
        "virtualServiceConflictingMeshGatewayHosts",
        "IST0109",
        "team2/ratings",
    ): "team2/ratings (exportTo .) and bar/ratings (public) share google.com, but sidecars of team2 take "
    "their private one first (VirtualServicesForGateway: private, exported, public): no creation-order race",
    (
        "virtualServiceConflictingMeshGatewayHostsWithExportTo",
        "IST0109",
        "foo/productpage-c",
    ): "exportTo [foo] makes it private to foo, ahead of the public bar/productpage-c there: no race",
    ("virtualServiceConflictingMeshGatewayHostsWithExportTo", "IST0109", "bar/productpage-c"): "see foo/productpage-c",
    (
        "virtualServiceConflictingMeshGatewayHostsWithExportTo",
        "IST0109",
        "foo/productpage-d",
    ): "*.productpage.d and *.d are different virtual-host domains (Envoy takes the longer suffix): "
    "neither VirtualService is dropped",
    ("virtualServiceConflictingMeshGatewayHostsWithExportTo", "IST0109", "bar/productpage-d"): "see foo/productpage-d",
}
EXTRA = {  # (case, resource): why cnverify reports a violation the analyzer does not
    (
        "dupmatches",
        "default/uri-with-prefix-exact",
    ): "match[0] is uri prefix / (IsCatchAllRoute), so pilot stops before match[1] (exact / with GET): "
    "GET / takes match[0]; the analyzer does not check catch-alls inside one route",
}


def _cases() -> list[Any]:
    if not EXPECTED.exists():
        return []
    cases = json.loads(EXPECTED.read_text())["cases"]
    return [pytest.param(c, id=f"{c['case']}-{c['name']}") for c in cases if c["analyzer"] in ANALYZERS]


def _resource(name: str) -> str:
    return name if "/" in name else f"default/{name}"


def _kind(f: Finding) -> str:
    path = f.subject.get("path") or ""
    if f.property == "CNV102":
        return "gateway" if "gateways" in path else "subset" if "subset" in f.message else "host"
    return "conflict" if f.property == "CNV106" else "reach"


def violated(case: dict[str, Any]) -> set[str]:
    codes, kind = ANALYZERS[case["analyzer"]]
    report = prove([str(ISTIO / f) for f in case["input_files"]], Options(select=codes.split(",")))
    assert not report.errors, [str(e) for e in report.errors]
    out: set[str] = set()
    for f in report.results:
        if f.status == "violated" and f.subject["kind"] == "VirtualService" and _kind(f) == kind:
            out.add(f"{f.subject['namespace']}/{f.subject['name']}")
            if kind == "conflict":  # both objects of the conflict
                text = f.message.replace(UNIT_NAMESPACE, UNIT)
                out |= set(re.findall(r"[\w.()-]+/[\w.-]+", text.split(" both ")[0].split(" route ")[0]))
    # the analyzer tests place objects that name no namespace in "default"; cnverify keeps them in the unit's
    return {x.replace(UNIT_NAMESPACE, "default").replace(UNIT, "default") for x in out}


@pytest.mark.skipif(not EXPECTED.exists(), reason="the shared corpus is not present")
@pytest.mark.parametrize("case", _cases())
def test_analyzer_messages_reproduced(case: dict[str, Any]) -> None:
    got = violated(case)
    expected = {
        (m["code"], _resource(m["resource"].split(" ", 1)[1]))
        for m in case["expected"]
        if m["resource"].startswith("VirtualService ")
    }
    missing = {(code, r) for code, r in expected if r not in got and (case["name"], code, r) not in DIFFERENT}
    explained = {(code, r) for code, r in expected if (case["name"], code, r) in DIFFERENT}
    assert not {(c, r) for c, r in explained if r in got}, "a listed difference is now reproduced: drop it"
    extra = {r for r in got if r not in {x for _, x in expected} and (case["name"], r) not in EXTRA}
    assert not missing and not extra, f"missing {sorted(missing)}, extra {sorted(extra)}"


@pytest.mark.skipif(not EXPECTED.exists(), reason="the shared corpus is not present")
def test_analyzer_recall() -> None:
    """Recall per IST code over distinct (case, code, object) messages: reproduced / expected."""
    counts: dict[str, list[int]] = {}
    for param in _cases():
        case = param.values[0]
        got = violated(case)
        for code, r in {
            (m["code"], _resource(m["resource"].split(" ", 1)[1]))
            for m in case["expected"]
            if m["resource"].startswith("VirtualService ")
        }:
            counts.setdefault(code, [0, 0])[1] += 1
            counts[code][0] += r in got
    assert counts == RECALL, counts


RECALL = {
    "IST0101": [7, 9],
    "IST0112": [0, 1],
    "IST0109": [8, 13],
    "IST0165": [0, 1],
    "IST0132": [14, 14],
    "IST0130": [5, 5],
    "IST0131": [10, 10],
    "IST0140": [0, 1],
}
