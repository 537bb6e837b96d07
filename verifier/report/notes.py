"""Plain-text lines for what the text writer does not show: warnings, suppressions, baseline."""

from __future__ import annotations

from pathlib import Path

from cnverify.proof import Report
from cnverify.report.common import subject_ref, where
from cnverify.report.escape import log_text, no_commands


def text_notes(report: Report, show_suppressed: bool, root: Path | None = None) -> str:
    """Lines to print after the text report (empty when there is nothing to add)."""
    out = [
        f"{where(w.location, root) + ': ' if w.location else ''}warning[{w.kind}]: {w.message}" for w in report.warnings
    ]
    if report.suppressed:
        if show_suppressed:
            out += [
                f"{where(s.finding.location, root)}: {s.finding.property} [{s.finding.status}, suppressed] "
                f"{subject_ref(s.finding)}: {s.finding.message} (reason: {s.reason or 'none given'}; "
                f"annotation at {where(s.location, root)})"
                for s in report.suppressed
            ]
        n = len(report.suppressed)
        out.append(
            f"{n} finding{'s' * (n != 1)} suppressed by cnverify.io/ignore"
            + ("" if show_suppressed else " (--show-suppressed lists them)")
        )
    if report.baseline is not None:
        b = report.baseline
        out.append(f"baseline {b['file']}: {b['new']} new, {b['unchanged']} accepted, {len(b['gone'])} gone")
    return no_commands("".join(log_text(line) + "\n" for line in out))
