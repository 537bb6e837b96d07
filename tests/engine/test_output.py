"""The output contract (docs/OUTPUT.md): JSON shape at every level, exit codes, code
selection, the property catalog commands and ``python -m cnverify``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from cnverify.cli import main
from cnverify.errors import Span
from cnverify.proof import Finding, Report
from cnverify.registry import load_properties

EVERY_KIND = Path(__file__).parent / "fixtures" / "every_kind.yaml"
LOC = {
    "type": "object",
    "required": ["file", "line", "column"],
    "properties": {
        "file": {"type": "string"},
        "line": {"type": "integer", "minimum": 1},
        "column": {"type": "integer", "minimum": 1},
    },
}
STEP = {
    "type": "object",
    "required": ["claim"],
    "properties": {
        "claim": {"type": "string", "minLength": 1},
        "location": LOC,
        "locations": {"type": "array", "items": LOC},
    },
}
SUBJECT = {
    "type": "object",
    "required": ["apiVersion", "kind", "namespace", "name"],
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string", "minLength": 1},
        "namespace": {"type": ["string", "null"]},
        "name": {"type": "string"},
        "path": {"type": "string", "minLength": 1},
    },
}
RESULT = {
    "type": "object",
    "required": ["property", "name", "status", "severity", "subject", "location", "message", "chain", "witness"],
    "properties": {
        "property": {"type": "string", "pattern": "^CNV[0-9]{3}$"},
        "name": {"type": "string"},
        "status": {"enum": ["proved", "violated", "unknown"]},
        "severity": {"enum": ["error", "warning", "info"]},
        "subject": SUBJECT,
        "location": LOC,
        "message": {"type": "string", "minLength": 1},
        "chain": {"type": "array", "items": STEP, "minItems": 1},
        "witness": {},
        "unit": {"type": "string", "minLength": 1},
        "units": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    },
}
COUNT = {"type": "integer", "minimum": 0}
UNIT = {
    "type": "object",
    "required": ["name", "kind", "files", "objects", "errors"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "kind": {"enum": ["kustomization", "chart", "manifests", "files", "file", "cluster"]},
        "files": COUNT,
        "objects": COUNT,
        "errors": COUNT,
        "namespace": {"type": "string"},
        "not_verified": {"type": "string"},
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "tool", "inputs", "results", "summary", "errors"],
    "properties": {
        "version": {"const": 1},
        "tool": {
            "type": "object",
            "required": ["name", "version"],
            "properties": {"name": {"const": "cnverify"}, "version": {"type": "string"}},
        },
        "inputs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["file", "documents"],
                "properties": {"file": {"type": "string"}, "documents": COUNT},
            },
        },
        "results": {"type": "array", "items": RESULT},
        "summary": {
            "type": "object",
            "required": ["proved", "violated", "unknown", "errors"],
            "properties": {k: COUNT for k in ("proved", "violated", "unknown", "errors")},
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["location", "message"],
                "properties": {"location": LOC, "message": {"type": "string"}},
            },
        },
        "units": {"type": "array", "items": UNIT},
        "inventory": {
            "type": "object",
            "properties": {
                "unrecognized": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["location", "reason"],
                        "properties": {"location": LOC, "reason": {"type": "string"}},
                    },
                }
            },
        },
    },
}

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: {name}, namespace: shop}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  minReplicas: {lo}
{hi}"""


def write_hpa(folder: Path, name: str, lo: int, hi: int | None) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(HPA.format(name=name, lo=lo, hi=f"  maxReplicas: {hi}\n" if hi is not None else ""))
    return path


def cli(*args: str, input: str | None = None) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return res.exit_code, res.output


@pytest.fixture(autouse=True)
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from an empty folder so no discovered configuration file changes the defaults."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


def test_json_shape_on_every_property() -> None:
    files = sorted(EVERY_KIND.parent.glob("every_kind.*"))  # kinds no YAML holds: a Nomad job, a CFN template
    code, out = cli("prove", *map(str, files), "--format", "json")
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert code == 1
    assert sorted(doc["inputs"], key=lambda i: i["file"]) == [
        {"file": str(f), "documents": f.read_text().count("\n---\n") + 1} for f in files
    ]
    assert {r["property"] for r in doc["results"]} == set(load_properties())
    statuses = [r["status"] for r in doc["results"]]
    assert doc["summary"] == {
        "proved": statuses.count("proved"),
        "violated": statuses.count("violated"),
        "unknown": statuses.count("unknown"),
        "errors": 0,
    }
    assert {"proved", "violated"} <= set(statuses)
    for r in doc["results"]:
        assert r["location"]["file"] in map(str, files)
        assert r["chain"][-1].get("claim")


def test_json_shape_of_errors_and_each_verdict(tmp_path: Path) -> None:
    write_hpa(tmp_path, "bad", 5, 3)
    write_hpa(tmp_path, "good", 1, 3)
    write_hpa(tmp_path, "open", 1, None)
    (tmp_path / "broken.yaml").write_text("a: [1\n")
    code, out = cli("prove", str(tmp_path), "--format", "json", "--select", "CNV401")
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert code == 2
    got = {r["subject"]["name"]: (r["status"], r["location"]["line"], r["witness"]) for r in doc["results"]}
    assert got == {
        "bad": ("violated", 6, {"minReplicas": 5, "maxReplicas": 3}),
        "good": ("proved", 6, None),
        "open": ("unknown", 6, None),
    }
    assert doc["summary"] == {"proved": 1, "violated": 1, "unknown": 1, "errors": 1}
    assert {r["unit"] for r in doc["results"]} == {str(tmp_path)}
    assert doc["units"] == [{"name": str(tmp_path), "kind": "manifests", "files": 4, "objects": 3, "errors": 1}]
    assert doc["errors"] == [
        {
            "location": {"file": str(tmp_path / "broken.yaml"), "line": 2, "column": 1},
            "message": doc["errors"][0]["message"],
        }
    ]
    assert doc["errors"][0]["message"].startswith("YAML syntax error")
    bad = next(r for r in doc["results"] if r["subject"]["name"] == "bad")
    assert bad["subject"] == {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "namespace": "shop",
        "name": "bad",
    }
    assert [s.get("location", {}).get("line") for s in bad["chain"]] == [6, 7, None]


@pytest.mark.parametrize(
    "files,args,expected",
    [
        ({"good": (1, 3)}, [], 0),
        ({"bad": (5, 3)}, [], 1),
        ({"bad": (5, 3)}, ["--fail-on", "warning"], 1),
        ({"bad": (5, 3)}, ["--fail-on", "never"], 0),
        ({"open": (1, None)}, [], 0),
        ({"open": (1, None)}, ["--fail-on-unknown"], 3),
        ({"open": (1, None), "bad": (5, 3)}, ["--fail-on-unknown"], 1),
        ({"good": (1, 3)}, ["--select", "CNV999"], 2),
    ],
    ids=[
        "clean",
        "violated",
        "fail-on-warning",
        "fail-on-never",
        "unknown",
        "fail-on-unknown",
        "violation-beats-unknown",
        "unknown-code",
    ],
)
def test_cli_exit_codes(
    tmp_path: Path, files: dict[str, tuple[int, int | None]], args: list[str], expected: int
) -> None:
    for name, (lo, hi) in files.items():
        write_hpa(tmp_path, name, lo, hi)
    code, out = cli("prove", str(tmp_path), "--select", "CNV401", *args)
    assert code == expected, out


def finding(severity: str, status: str = "violated") -> Finding:
    return Finding(
        property="CNV204",
        name="selectors-disjoint",
        status=status,
        severity=severity,  # type: ignore[arg-type]
        subject={"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "a", "name": "b"},
        location=Span("f.yaml", 1, 1),
        message="m",
    )


@pytest.mark.parametrize(
    "severity,fail_on,unknown_flag,expected",
    [
        ("warning", "error", False, 0),
        ("warning", "warning", False, 1),
        ("info", "warning", False, 0),
        ("info", "info", False, 1),
        ("error", "warning", False, 1),
        ("warning", "never", True, 0),
    ],
)
def test_report_exit_code_by_severity(severity: str, fail_on: str, unknown_flag: bool, expected: int) -> None:
    assert Report(results=[finding(severity)]).exit_code(fail_on, unknown_flag) == expected


def test_report_exit_code_unknown_only_with_flag() -> None:
    r = Report(results=[finding("error", "unknown"), finding("error", "proved")])
    assert (r.exit_code("error", False), r.exit_code("error", True)) == (0, 3)


def test_select_and_ignore(tmp_path: Path) -> None:
    write_hpa(tmp_path, "bad", 5, 3)

    def codes(*args: str) -> set[str]:
        return {r["property"] for r in json.loads(cli("prove", str(tmp_path), "--format", "json", *args)[1])["results"]}

    assert codes("--select", "CNV401") == {"CNV401"}
    assert codes("--select", "hpa-bounds") == {"CNV401"}
    assert codes("--select", "CNV40", "--ignore", "CNV401,CNV403") == {"CNV402"}
    assert "CNV401" not in codes("--ignore", "CNV4")
    assert codes("--select", "CNV401", "--ignore", "CNV401") == set()


def test_properties_list_formats() -> None:
    props = load_properties()
    code, md = cli("properties", "list", "--format", "markdown")
    assert code == 0
    lines = md.strip().splitlines()
    assert lines[:2] == ["| code | name | severity | systems | what it proves |", "|---|---|---|---|---|"]
    assert [line.split(" | ")[0].removeprefix("| ") for line in lines[2:]] == list(props)
    code, js = cli("properties", "list", "--format", "json")
    rows = json.loads(js)
    assert code == 0 and [r["code"] for r in rows] == list(props)
    assert set(rows[0]) >= {"code", "name", "title", "severity", "reads", "summary", "remediation"}
    hpa = next(r for r in rows if r["code"] == "CNV401")
    assert (hpa["name"], hpa["severity"]) == ("hpa-bounds", "error")
    assert hpa["reads"] == ["Function", "HorizontalPodAutoscaler", "StackFunction", "TaskGroup"]
    assert hpa["systems"] == ["kubernetes", "openfaas", "nomad"]
    # a property reading kinds of several systems names each owner, in adapter order
    route = next(r for r in rows if r["code"] == "CNV101")
    assert {"istio", "envoy", "gateway", "ingress"} <= set(route["systems"]) and route["systems"][0] == "istio"
    assert "knative" in next(r for r in rows if r["code"] == "CNV405")["systems"]
    code, text = cli("properties", "list")
    assert code == 0 and len(text.strip().splitlines()) == len(props)
    assert "hpa-bounds" in text and text.splitlines()[list(props).index("CNV401")].endswith(
        "[kubernetes, openfaas, nomad]"
    )


def test_systems_list_formats() -> None:
    code, js = cli("systems", "--format", "json")
    rows = {r["system"]: r for r in json.loads(js)}
    assert code == 0 and {"kubernetes", "istio", "envoy", "gateway", "knative", "smi", "argo"} <= set(rows)
    assert "HorizontalPodAutoscaler" in rows["kubernetes"]["kinds"] and "CNV401" in rows["kubernetes"]["properties"]
    assert rows["knative"]["properties"][-1] == "CNV405" and "CNV401" not in rows["knative"]["properties"]
    assert rows["ecosystem"]["kinds"] == [] and rows["ecosystem"]["properties"] == []
    code, md = cli("systems", "--format", "markdown")
    assert code == 0 and md.splitlines()[0] == "| system | what it covers | kinds modelled | properties |"
    assert len(md.strip().splitlines()) == len(rows) + 2
    code, text = cli("systems")
    assert code == 0 and text.startswith(f"{next(iter(rows)):<12} ")


def test_properties_explain() -> None:
    code, out = cli("properties", "explain", "CNV401")
    assert code == 0
    assert out.startswith("# CNV401 hpa-bounds: Autoscaler replica bounds are ordered")
    assert "## What it proves" in out and "reads: Function, HorizontalPodAutoscaler, StackFunction, TaskGroup" in out
    assert "systems: kubernetes, openfaas, nomad    reads:" in out
    assert cli("properties", "explain", "hpa-bounds")[1] == out
    assert cli("properties", "explain", "CNV998")[0] == 2


def test_python_dash_m(tmp_path: Path) -> None:
    path = write_hpa(tmp_path, "bad", 5, 3)
    done = subprocess.run(
        [sys.executable, "-m", "cnverify", "prove", str(path), "--select", "CNV401", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert [r["status"] for r in json.loads(done.stdout)["results"]] == ["violated"]
    version = subprocess.run([sys.executable, "-m", "cnverify", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("cnverify, version ")
