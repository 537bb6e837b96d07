"""GitHub Actions workflow commands: one annotation per finding, at its exact region.

``::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`` (error / warning / notice
from the finding's severity; unknown results are warnings, baselined and suppressed ones notices).
Data is escaped as the Actions toolkit does (``%``, CR, LF); property values also escape ``:``
and ``,``.  Paths are relative to the repository root so the annotations land on the diff.
"""

from __future__ import annotations

from pathlib import Path

from cnverify.errors import Span
from cnverify.proof import Finding, Report
from cnverify.report import RenderOptions
from cnverify.report.common import chain_lines, counts, region_end, relative, repo_root, skipped_inputs, subject_ref
from cnverify.report.escape import no_commands

FORMAT = "github"
COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return no_commands(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(
    kind: str, message: str, span: Span | None = None, title: str | None = None, root: Path | None = None
) -> str:
    """One workflow command line."""
    props: list[tuple[str, str]] = []
    if span is not None and not span.file.startswith("<"):
        props += [
            ("file", (relative(span.file, root) if root else None) or span.file),
            ("line", str(span.line)),
            ("col", str(span.column)),
        ]
        end = region_end(span)
        if end is not None:
            props.append(("endLine", str(end[0])))
            if end[1] is not None and end[0] == span.line:  # GitHub uses columns only on one-line annotations
                props.append(("endColumn", str(end[1])))
    if title:
        props.append(("title", title))
    head = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{kind}{' ' + head if head else ''}::{escape_data(message)}"


def _message(f: Finding, root: Path, note: str = "") -> str:
    lines = [f"{subject_ref(f)}: {f.message}{note}", *chain_lines(f, root)]
    if f.witness is not None and f.status != "proved":
        lines.append(f"witness: {f.witness}")
    if f.help and f.status != "proved":
        lines.append(f"help: {f.help}")
    return "\n".join(lines)


def render(report: Report, options: RenderOptions) -> str:
    root = Path(options.extra.get("root") or repo_root())
    out = [command("error", str(x), title="cnverify: internal error") for x in report.internal]
    out += [command("error", e.message, e.location, "cnverify: input error", root) for e in report.errors]
    for f in report.results:
        if f.status == "proved":
            continue
        title = f"{f.property} {f.name}" + (" (unknown)" if f.status == "unknown" else "")
        if f.baseline == "unchanged":
            out.append(command("notice", _message(f, root, " [accepted by the baseline]"), f.location, title, root))
        else:
            kind = COMMAND[f.severity] if f.status == "violated" else "warning"
            out.append(command(kind, _message(f, root), f.location, title, root))
    if options.extra.get("show_suppressed"):
        for s in report.suppressed:
            f = s.finding
            out.append(
                command(
                    "notice",
                    _message(f, root, f" [suppressed: {s.reason or 'no reason'}]"),
                    f.location,
                    f"{f.property} {f.name} (suppressed)",
                    root,
                )
            )
    out += [command("warning", w.message, w.location, f"cnverify: {w.kind}", root) for w in report.warnings]
    out += [
        command("notice", f"not verified: {why}", Span(file, 1, 1), "cnverify: not verified", root)
        for file, why in skipped_inputs(report)
    ]
    c = counts(report)
    out.append(
        f"cnverify: {c['violated']} violated, {c['unknown']} unknown, {c['proved']} proved, "
        f"{c['suppressed']} suppressed, {c['errors']} input error{'s' * (c['errors'] != 1)}"
    )
    return "\n".join(out) + "\n"
