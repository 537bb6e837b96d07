"""JUnit XML: one suite per property, one case per obligation, outcomes per verdict."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cnverify.errors import Span
from cnverify.proof import Report, Step
from cnverify.report.junit import render
from report_sample import build, hpa, options


def parse(report: Report, **extra: object) -> ET.Element:
    return ET.fromstring(render(report, options(**extra)))


def outcome(case: ET.Element) -> str:
    return next((child.tag for child in case), "passed")


def test_suites_cases_and_counts(report: Report) -> None:
    top = parse(report)
    assert top.tag == "testsuites"
    assert {k: top.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "6",
        "failures": "1",
        "errors": "1",
        "skipped": "3",
    }
    suites = {s.get("name"): s for s in top}
    assert list(suites) == ["CNV401 hpa-bounds", "input errors"]
    hpa_suite = suites["CNV401 hpa-bounds"]
    got = {c.get("name"): outcome(c) for c in hpa_suite}
    assert got == {
        "HorizontalPodAutoscaler shop/web @ deploy/hpa.yaml:8:3": "failure",
        "HorizontalPodAutoscaler shop/open @ deploy/hpa.yaml:18:3": "skipped",
        "HorizontalPodAutoscaler shop/api @ deploy/hpa.yaml:28:3": "passed",
        "HorizontalPodAutoscaler shop/legacy @ deploy/hpa.yaml:38:3": "skipped",
        "HorizontalPodAutoscaler shop/quiet @ deploy/hpa.yaml:48:3": "skipped",
    }
    assert {k: hpa_suite.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "5",
        "failures": "1",
        "errors": "0",
        "skipped": "3",
    }
    web = hpa_suite[0]
    assert (web.get("classname"), web.get("file"), web.get("line")) == ("cnverify.CNV401", "deploy/hpa.yaml", "8")
    failure = web[0]
    assert failure.get("message") == "minReplicas 5 > maxReplicas 3" and failure.get("type") == "error"
    assert failure.text.splitlines() == [
        "deploy/hpa.yaml:8:3: HorizontalPodAutoscaler shop/web: minReplicas 5 > maxReplicas 3",
        "proof:",
        "  1. deploy/hpa.yaml:8:3: minReplicas is 5",
        "  2. deploy/hpa.yaml:9:3: maxReplicas is 3 (also deploy/vs, odd: name%.yaml:4:1)",
        "  3. minReplicas < 1 or minReplicas > maxReplicas (solver: sat)",
        "witness: {'minReplicas': 5, 'maxReplicas': 3}",
        "help: Set 1 ≤ minReplicas ≤ maxReplicas (omit minReplicas for the default 1).",
    ]
    skipped = {
        c.get("name").split(" @ ")[0].split("/")[-1]: c[0].get("message") for c in hpa_suite if outcome(c) == "skipped"
    }
    assert skipped == {
        "open": "cannot decide: maxReplicas is not set",
        "legacy": "accepted by the baseline",
        "quiet": "suppressed by cnverify.io/ignore: tracked in OPS-12",
    }
    err = suites["input errors"][0]
    assert outcome(err) == "error" and err[0].get("message") == "YAML syntax error: flow sequence not closed"


def test_unknown_is_an_error_with_fail_on_unknown(report: Report) -> None:
    top = parse(report, fail_on_unknown=True)
    case = next(c for c in top[0] if "shop/open" in c.get("name"))
    assert outcome(case) == "error" and case[0].get("type") == "unknown"
    assert (top.get("errors"), top.get("skipped")) == ("2", "2")


def test_one_suite_per_property_and_xml_safe_text() -> None:
    other = hpa("x", "violated", 1, "bad \x01 byte", chain=[Step("claim", Span("/repo/a.yaml", 1, 1))])
    other.property, other.name = "CNV999", "made-up"
    r = Report(results=[*build().results, other])
    top = parse(r)
    assert [s.get("name") for s in top] == ["CNV401 hpa-bounds", "CNV999 made-up"]
    assert top[1][0][0].get("message") == "bad \\x01 byte"  # control characters shown as escapes
