"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One rule per registered property; one result per violated or unknown finding (proved ones with
``--show-proved``, kind ``pass``; suppressed ones with an ``inSource`` suppression).  Each result
has the exact region of its subject node, the proof chain as a code flow, the witness in its
property bag and a cwd-independent partial fingerprint.  URIs are relative to the repository root
(``%SRCROOT%``).  Columns count Unicode code points, as the YAML parser does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cnverify.errors import INTERNAL_CODE, InputError, InternalError, Span
from cnverify.proof import VERSION, Finding, Notice, Report
from cnverify.registry import Property, load_properties
from cnverify.report import RenderOptions
from cnverify.report.common import region_end, relative, repo_root, skipped_inputs, stable_fingerprint, subject_ref
from cnverify.report.escape import json_text

FORMAT = "sarif"
SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
ROOT_ID = "%SRCROOT%"
FINGERPRINT_KEY = "cnverify/v1"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
KIND = {"violated": "fail", "unknown": "open", "proved": "pass"}  # SARIF §3.27.9: "open" is a prover's unknown


def artifact(file: str, root: Path) -> dict[str, Any]:
    """An artifactLocation: repository-relative with ``%SRCROOT%``, else an absolute file URI."""
    rel = relative(file, root)
    if rel is not None:
        return {"uri": quote(rel, errors="surrogateescape"), "uriBaseId": ROOT_ID}  # undecodable names: %XX bytes
    if file.startswith("<"):
        return {"uri": quote(file, safe="")}
    return {"uri": Path(file).resolve().as_uri()}


def location(span: Span, root: Path, message: str | None = None) -> dict[str, Any]:
    """A SARIF location with the span's region (end only where the span knows it)."""
    region: dict[str, Any] = {"startLine": span.line, "startColumn": span.column}
    end = region_end(span)
    if end is not None:
        region["endLine"] = end[0]
        if end[1] is not None:
            region["endColumn"] = end[1]
    out: dict[str, Any] = {"physicalLocation": {"artifactLocation": artifact(span.file, root), "region": region}}
    if message is not None:
        out["message"] = {"text": message}
    return out


def rule(cls: type[Property]) -> dict[str, Any]:
    """The reportingDescriptor of one property, from the registry."""
    domain = cls.__module__.split(".")[2] if cls.__module__.count(".") >= 2 else "cnverify"
    help_text = cls.doc() + (f"\n\nRemediation: {cls.remediation}" if cls.remediation else "")
    return {
        "id": cls.code,
        "name": cls.name,
        "shortDescription": {"text": cls.title},
        "fullDescription": {"text": cls.summary()},
        "help": {"text": help_text, "markdown": f"# {cls.code} {cls.name}: {cls.title}\n\n{help_text}"},
        "defaultConfiguration": {"level": LEVEL[cls.severity]},
        "properties": {"tags": ["cnverify", domain], "precision": "very-high"},
    }


def code_flows(f: Finding, root: Path) -> list[dict[str, Any]]:
    """The proof chain as one thread flow: one location per located step (claim as message)."""
    steps = [(step.claim, span) for step in f.chain for span in step.spans()]
    if not steps:
        return []
    conclusion = " ".join(step.claim for step in f.chain if not step.spans()) or f.message
    return [
        {
            "message": {"text": conclusion},
            "threadFlows": [
                {
                    "locations": [
                        {"location": location(span, root, claim), "executionOrder": i}
                        for i, (claim, span) in enumerate(steps, 1)
                    ]
                }
            ],
        }
    ]


def result(f: Finding, index: dict[str, int], root: Path) -> dict[str, Any]:
    """One SARIF result for a finding."""
    out: dict[str, Any] = {
        "ruleId": f.property,
        "kind": KIND[f.status],
        "level": LEVEL[f.severity] if f.status == "violated" else "none",
        "message": {"text": f"{subject_ref(f)}: {f.message}"},
        "locations": [location(f.location, root)],
        "partialFingerprints": {FINGERPRINT_KEY: stable_fingerprint(f, root)},
        "properties": {
            "status": f.status,
            "severity": f.severity,
            "subject": f.subject,
            "witness": f.witness,
            "fingerprint": f.fingerprint,
            **({"units": f.units} if f.units else {}),
        },
    }
    if f.property in index:
        out["ruleIndex"] = index[f.property]
    flows = code_flows(f, root)
    if flows:
        out["codeFlows"] = flows
    if f.baseline:
        out["baselineState"] = f.baseline
    return out


def notification(item: InputError | InternalError | Notice, root: Path) -> dict[str, Any]:
    """An input or internal error (level error) or a warning (level warning) as a tool execution notification."""
    if isinstance(item, InternalError):
        return {"level": "error", "message": {"text": str(item)}, "descriptor": {"id": INTERNAL_CODE}}
    if isinstance(item, InputError):
        return {
            "level": "error",
            "message": {"text": item.message},
            "locations": [location(item.location, root)],
            "descriptor": {"id": "input-error"},
        }
    out: dict[str, Any] = {"level": "warning", "message": {"text": item.message}, "descriptor": {"id": item.kind}}
    if item.location is not None:
        out["locations"] = [location(item.location, root)]
    return out


def skipped(file: str, why: str, root: Path) -> dict[str, Any]:
    """An input read but not verified, as a notification (level note) at its file."""
    return {
        "level": "note",
        "message": {"text": f"not verified: {why}"},
        "locations": [location(Span(file, 1, 1), root)],
        "descriptor": {"id": "not-verified"},
    }


def sarif(report: Report, options: RenderOptions) -> dict[str, Any]:
    """The SARIF log as a dict."""
    root = Path(options.extra.get("root") or repo_root())
    props = load_properties()
    index = {code: i for i, code in enumerate(props)}
    results = [result(f, index, root) for f in report.results if f.status != "proved" or options.show_proved]
    for s in report.suppressed:
        r = result(s.finding, index, root)
        r["suppressions"] = [
            {
                "kind": "inSource",
                "status": "accepted",
                "justification": s.reason,
                "location": location(s.location, root),
            }
        ]
        results.append(r)
    notices: list[InputError | InternalError | Notice] = [*report.internal, *report.errors, *report.warnings]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cnverify",
                        "version": VERSION,
                        "semanticVersion": VERSION,
                        "rules": [rule(cls) for cls in props.values()],
                    }
                },
                "originalUriBaseIds": {ROOT_ID: {"uri": root.as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [
                    {
                        "executionSuccessful": not report.errors and not report.internal,
                        "toolExecutionNotifications": [
                            *(notification(x, root) for x in notices),
                            *(skipped(file, why, root) for file, why in skipped_inputs(report)),
                        ],
                    }
                ],
                "results": results,
            }
        ],
    }


def render(report: Report, options: RenderOptions) -> str:
    return json_text(json.dumps(sarif(report, options), indent=2, ensure_ascii=False)) + "\n"
