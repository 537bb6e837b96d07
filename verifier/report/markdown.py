"""Markdown for a pull-request comment: a summary table per property, then each violation with its chain."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from cnverify.proof import Finding, Report
from cnverify.report import RenderOptions
from cnverify.report.common import counts, internal_markdown, repo_root, skipped_inputs, subject_ref, where
from cnverify.report.escape import code, cut, md, no_commands

FORMAT = "markdown"
# A GitHub comment holds at most 65,536 characters: findings are detailed while the text is under
# DETAIL_BUDGET, listed one per line after that, and the text is cut (with a note) at LIMIT.
DETAIL_BUDGET = 40_000
LIMIT = 64_000


def _finding(f: Finding, root: Path, note: str = "") -> list[str]:
    out = [
        f"#### {code(f.property)} {md(f.name)}: {md(subject_ref(f))}{note}",
        "",
        f"{code(where(f.location, root))}: {md(f.message)}",
        "",
    ]
    for i, step in enumerate(f.chain, 1):
        at = f"{code(where(step.location, root))} " if step.location else ""
        more = f" (also {', '.join(code(where(s, root)) for s in step.locations)})" if step.locations else ""
        out.append(f"{i}. {at}{md(step.claim)}{more}")
    if f.witness is not None:
        out += ["", f"Witness: {code(json.dumps(f.witness, ensure_ascii=False, sort_keys=True))}"]
    if f.help:
        out += ["", f"**Fix:** {md(f.help)}"]
    return out + [""]


def _line(f: Finding, root: Path) -> str:
    return f"- {code(where(f.location, root))} {code(f.property)} {md(subject_ref(f))}: {md(f.message)}"


def render(report: Report, options: RenderOptions) -> str:
    root = Path(options.extra.get("root") or repo_root())
    c = counts(report)
    head = (
        f"{c['violated']} violated, {c['unknown']} unknown, {c['proved']} proved, "
        f"{c['suppressed']} suppressed, {c['errors']} input error{'s' * (c['errors'] != 1)}"
    )
    icon = "❌" if c["violated"] or c["errors"] or report.internal else ("⚠️" if c["unknown"] else "✅")
    out = [f"## {icon} cnverify: {head}", ""]
    per: dict[str, Counter[str]] = {}
    names: dict[str, str] = {}
    for f in report.results:
        per.setdefault(f.property, Counter())[f.status] += 1
        names[f.property] = f.name
    for s in report.suppressed:
        per.setdefault(s.finding.property, Counter())["suppressed"] += 1
        names[s.finding.property] = s.finding.name
    if per:
        out += ["| property | violated | unknown | proved | suppressed |", "|---|---:|---:|---:|---:|"]
        out += [
            f"| {code(p)} {md(names[p])} | {n['violated']} | {n['unknown']} | {n['proved']} | {n['suppressed']} |"
            for p, n in sorted(per.items())
        ]
        out.append("")
    if report.baseline is not None:
        b = report.baseline
        out += [f"Baseline {code(b['file'])}: {b['new']} new, {b['unchanged']} accepted, {len(b['gone'])} gone.", ""]
    shown = [f for f in report.results if f.status != "proved" and f.baseline != "unchanged"]
    if report.internal:
        out += internal_markdown(report.internal, "###")
    if report.errors:
        out += ["### Input errors", ""]
        out += [f"- {code(where(e.location, root))}: {md(e.message)}" for e in report.errors]
        out.append("")
    skipped = skipped_inputs(report, root)
    if skipped:
        out += [f"### Not verified ({len(skipped)} file{'s' * (len(skipped) != 1)})", ""]
        out += [f"- {code(file)}: {md(reason)}" for file, reason in skipped]
        out.append("")
    for title, status in (("Violations", "violated"), ("Unknown (not proved)", "unknown")):
        group = [f for f in shown if f.status == status]
        if not group:
            continue
        out += [f"### {title}", ""]
        brief: list[str] = []
        for f in group:
            if brief or sum(len(line) + 1 for line in out) > DETAIL_BUDGET:
                brief.append(_line(f, root))
            else:
                out += _finding(f, root)
        out += brief + ([""] if brief else [])
    accepted = [f for f in report.results if f.baseline == "unchanged"]
    if accepted:
        out += [f"<details><summary>Accepted by the baseline ({len(accepted)})</summary>", ""]
        out += [_line(f, root) for f in accepted]
        out += ["", "</details>", ""]
    if report.baseline is not None and report.baseline["gone"]:
        out += ["### Gone since the baseline", ""]
        out += [
            f"- {code(str(e.get('file')) + ':' + str(e.get('line')))} {code(str(e.get('property')))} "
            f"{md(str(e.get('subject')))}: {md(str(e.get('message')))}"
            for e in report.baseline["gone"]
        ]
        out.append("")
    if options.extra.get("show_suppressed") and report.suppressed:
        out += ["### Suppressed", ""]
        out += [
            f"- {code(where(s.finding.location, root))} {code(s.finding.property)} {md(subject_ref(s.finding))}: "
            f"{md(s.finding.message)} (reason: {md(s.reason or 'none given')})"
            for s in report.suppressed
        ]
        out.append("")
    if report.warnings:
        out += ["### Warnings", ""]
        out += [
            f"- {code(where(w.location, root)) + ' ' if w.location else ''}{md(w.message)}" for w in report.warnings
        ]
        out.append("")
    return no_commands(cut("\n".join(out).rstrip("\n") + "\n", LIMIT))
