"""Human-readable text in the style of ruff: location, code, message, snippet, proof chain, help."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import click
from cnverify.errors import Span
from cnverify.proof import Finding, Report
from cnverify.report import RenderOptions
from cnverify.report.escape import log_text, no_commands

FORMAT = "text"
STATUS_COLOUR = {"violated": "red", "unknown": "yellow", "proved": "green"}


@lru_cache(maxsize=64)
def _lines(file: str) -> tuple[str, ...]:
    if file.startswith("<") or not os.path.isfile(file):
        return ()
    try:
        with open(file, encoding="utf-8-sig", errors="replace") as fh:
            return tuple(fh.read().splitlines())
    except OSError:
        return ()


def snippet(span: Span, context: int = 1) -> list[str]:
    """Source lines around ``span`` with a gutter and a caret under the column."""
    lines = _lines(span.file)
    if not lines or span.line > len(lines):
        return []
    lo, hi = max(1, span.line - context), min(len(lines), span.line + context)
    width = len(str(hi))
    out = [f"{' ' * width} |"]
    for n in range(lo, hi + 1):
        out.append(f"{n:>{width}} | {lines[n - 1]}")
        if n == span.line:
            out.append(f"{' ' * width} | {' ' * (span.column - 1)}^")
    out.append(f"{' ' * width} |")
    return out


def _subject(f: Finding) -> str:
    s = f.subject
    ns = f"{s['namespace']}/" if s.get("namespace") else ""
    return log_text(f"{s['kind']} {ns}{s['name']}")


def render_finding(f: Finding, style: Callable[..., str], show_units: bool = False) -> list[str]:
    head = (
        f"{style(log_text(f.location), bold=True)}: {style(f.property, fg=STATUS_COLOUR[f.status], bold=True)} "
        f"[{f.status}, {f.severity}] {_subject(f)}: {log_text(f.message)}"
    )
    out = [head, *("  " + line for line in snippet(f.location))]
    if show_units and f.units:
        out.append(f"  unit{'s' * (len(f.units) > 1)}: {log_text(', '.join(f.units))}")
    if f.chain:
        out.append("  proof:")
        for i, step in enumerate(f.chain, 1):
            where = f"{log_text(step.location)}: " if step.location else ""
            more = f" (also {', '.join(log_text(s) for s in step.locations)})" if step.locations else ""
            out.append(f"    {i}. {where}{log_text(step.claim)}{more}")
    if f.witness is not None and f.status != "proved":
        out.append(f"  witness: {json.dumps(f.witness, ensure_ascii=False, sort_keys=False)}")
    if f.help and f.status != "proved":
        out.append(f"  {style('help', fg='cyan', bold=True)}: {log_text(f.help)}")
    return out


def render(report: Report, options: RenderOptions) -> str:
    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if options.color else text

    out: list[str] = []
    for e in report.errors:
        out.append(
            f"{style(log_text(e.location), bold=True)}: {style('error', fg='red', bold=True)}: {log_text(e.message)}"
        )
    for x in report.internal:
        out.append(
            f"{style('cnverify', bold=True)}: {style('internal error', fg='red', bold=True)}: {log_text(str(x))}"
        )
    if report.errors or report.internal:
        out.append("")
    for f in report.results:
        if f.status == "proved" and not options.show_proved:
            continue
        out.extend(render_finding(f, style, show_units=len(report.units) > 1))
        out.append("")
    s = report.summary()
    files = len(report.inputs)
    skipped_units = sum(1 for u in report.units if u.get("not_verified"))
    n = len(report.units)
    units = (
        f"{n} unit{'s' * (n != 1)}" + (f" ({skipped_units} not verified)" if skipped_units else "") + ", "
        if n > 1 or skipped_units
        else ""
    )
    out.append(
        f"{units}{files} file{'s' * (files != 1)}, {report.objects} objects: "
        f"{style(str(s['violated']) + ' violated', fg='red' if s['violated'] else None)}, "
        f"{style(str(s['unknown']) + ' unknown', fg='yellow' if s['unknown'] else None)}, "
        f"{s['proved']} proved, {s['errors']} input error{'s' * (s['errors'] != 1)}"
    )
    skipped = [i for i in report.inputs if str(i.get("skipped", "")).startswith("a kustomize patch")]
    others = [i for i in report.inputs if i.get("skipped") and i not in skipped]
    if others:
        out.append(
            f"{len(others)} file{'s' * (len(others) != 1)} not read (symlinked copies of files read, or "
            f"inside a kustomization folder that does not list them; see 'inputs' in --format json)"
        )
    if skipped:
        out.append(
            f"{len(skipped)} file{'s' * (len(skipped) != 1)} skipped as kustomize patches (verify the "
            f"output of 'kustomize build' instead): {', '.join(log_text(i['file']) for i in skipped[:5])}"
            + (" …" if len(skipped) > 5 else "")
        )
    if report.unknown_kinds:
        n = sum(report.unknown_kinds.values())
        out.append(
            f"{n} object{'s' * (n != 1)} of kinds cnverify does not model were kept but not verified "
            f"({len(report.unknown_kinds)} kinds; see 'inventory' in --format json)"
        )
    return no_commands("\n".join(out) + "\n")
