"""JUnit XML (GitLab, Jenkins, Azure): one testsuite per property, one testcase per obligation.

proved → passed; violated → ``<failure>`` with the message and the proof chain; unknown →
``<skipped>``, or ``<error>`` when ``--fail-on-unknown``; a baselined (unchanged) finding and a
suppressed one → ``<skipped>`` saying why.  Input errors and internal errors (CNV000) form suites of their own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from cnverify.errors import INTERNAL_CODE
from cnverify.proof import Finding, Report
from cnverify.report import RenderOptions
from cnverify.report.common import chain_lines, relative, repo_root, skipped_inputs, subject_ref, where
from cnverify.report.escape import log_text, no_commands

FORMAT = "junit"


def _body(f: Finding, root: Path) -> str:
    lines = [
        f"{where(f.location, root)}: {subject_ref(f)}: {f.message}",
        "proof:",
        *("  " + line for line in chain_lines(f, root)),
    ]
    if f.witness is not None:
        lines.append(f"witness: {f.witness}")
    if f.help:
        lines.append(f"help: {f.help}")
    return "\n".join(log_text(line) for line in lines)


def _case(suite: ET.Element, f: Finding, root: Path, fail_on_unknown: bool, reason: str | None) -> str:
    """Append one testcase; returns its outcome (passed, failure, error, skipped)."""
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": f"cnverify.{f.property}",
            "name": log_text(f"{subject_ref(f)} @ {where(f.location, root)}"),
            "file": relative(f.location.file, root) or f.location.file,
            "line": str(f.location.line),
        },
    )
    if reason is not None:
        ET.SubElement(case, "skipped", {"message": log_text(reason)}).text = _body(f, root)
        return "skipped"
    if f.status == "proved":
        return "passed"
    if f.status == "violated":
        ET.SubElement(case, "failure", {"message": log_text(f.message), "type": f.severity}).text = _body(f, root)
        return "failure"
    tag = "error" if fail_on_unknown else "skipped"
    attrs = {"message": log_text(f.message), "type": "unknown"} if tag == "error" else {"message": log_text(f.message)}
    ET.SubElement(case, tag, attrs).text = _body(f, root)
    return tag


def render(report: Report, options: RenderOptions) -> str:
    root = Path(options.extra.get("root") or repo_root())
    fail_on_unknown = bool(options.extra.get("fail_on_unknown"))
    groups: dict[str, list[tuple[Finding, str | None]]] = defaultdict(list)
    names: dict[str, str] = {}
    for f in report.results:
        reason = "accepted by the baseline" if f.baseline == "unchanged" else None
        groups[f.property].append((f, reason))
        names[f.property] = f.name
    for s in report.suppressed:
        groups[s.finding.property].append((s.finding, f"suppressed by cnverify.io/ignore: {s.reason or 'no reason'}"))
        names[s.finding.property] = s.finding.name
    top = ET.Element("testsuites", {"name": "cnverify"})
    totals: defaultdict[str, int] = defaultdict(int)
    for code in sorted(groups):
        suite = ET.SubElement(top, "testsuite", {"name": f"{code} {names[code]}"})
        counts: defaultdict[str, int] = defaultdict(int)
        for f, reason in groups[code]:
            counts[_case(suite, f, root, fail_on_unknown, reason)] += 1
        _count(suite, len(groups[code]), counts)
        for k, v in counts.items():
            totals[k] += v
        totals["tests"] += len(groups[code])
    if report.errors:
        suite = ET.SubElement(top, "testsuite", {"name": "input errors"})
        for e in report.errors:
            case = ET.SubElement(
                suite,
                "testcase",
                {
                    "classname": "cnverify.input",
                    "name": log_text(e.location),
                    "file": relative(e.location.file, root) or e.location.file,
                    "line": str(e.location.line),
                },
            )
            ET.SubElement(case, "error", {"message": log_text(e.message), "type": "input-error"}).text = log_text(e)
        _count(suite, len(report.errors), {"error": len(report.errors)})
        totals["error"] += len(report.errors)
        totals["tests"] += len(report.errors)
    if report.internal:  # a property crashed: its results are incomplete (exit 4)
        suite = ET.SubElement(top, "testsuite", {"name": "internal errors"})
        for x in report.internal:
            case = ET.SubElement(suite, "testcase", {"classname": "cnverify.internal", "name": x.property})
            ET.SubElement(case, "error", {"message": log_text(x.message), "type": INTERNAL_CODE}).text = log_text(x)
        _count(suite, len(report.internal), {"error": len(report.internal)})
        totals["error"] += len(report.internal)
        totals["tests"] += len(report.internal)
    skipped = skipped_inputs(report, root)
    if skipped:  # read but not verified: visible as skipped tests, never silently absent
        suite = ET.SubElement(top, "testsuite", {"name": "not verified"})
        for file, why in skipped:
            case = ET.SubElement(
                suite, "testcase", {"classname": "cnverify.input", "name": log_text(file), "file": file}
            )
            ET.SubElement(case, "skipped", {"message": log_text(why)})
        _count(suite, len(skipped), {"skipped": len(skipped)})
        totals["skipped"] += len(skipped)
        totals["tests"] += len(skipped)
    _count(top, totals["tests"], totals)
    top.set("time", f"{sum(report.timings.values()):.3f}")
    ET.indent(top)
    text = ET.tostring(top, encoding="unicode")
    # characters XML 1.0 cannot carry (a manifest may hold them in a string) become U+FFFD
    text = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", text)
    return no_commands('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n")


def _count(el: ET.Element, tests: int, counts: dict[str, int]) -> None:
    el.set("tests", str(tests))
    el.set("failures", str(counts.get("failure", 0)))
    el.set("errors", str(counts.get("error", 0)))
    el.set("skipped", str(counts.get("skipped", 0)))
