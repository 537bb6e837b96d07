"""Baselines: accept today's violations, fail only on new ones, report the ones that are gone.

A baseline file records every non-proved finding (violated or unknown) by its repository-relative
fingerprint (property, subject kind/namespace/name, subject path, file) and status.  Comparing a
run to it marks each non-proved result ``baseline: "new"`` or ``"unchanged"``; matching counts
occurrences, so a second finding with the same fingerprint is new.  Entries that no longer match
are reported as gone (fixed, or moved so that their identity changed).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from cnverify import safefile
from cnverify.errors import UsageError
from cnverify.proof import Finding, Notice, Report
from cnverify.report.common import relative, stable_fingerprint
from cnverify.source import decode, printable

FORMAT_VERSION = 1
MAX_BASELINE_BYTES = 256 * 2**20


def _entry(f: Finding, root: Path) -> dict[str, Any]:
    s = f.subject
    ns = f"{s['namespace']}/" if s.get("namespace") else ""
    return {
        "fingerprint": stable_fingerprint(f, root),
        "property": f.property,
        "status": f.status,
        "subject": f"{s.get('kind')}/{ns}{s.get('name')}",
        "path": s.get("path"),
        "file": relative(f.location.file, root) or f.location.file,
        "line": f.location.line,
        "message": f.message,
    }


def _key(entry: dict[str, Any]) -> tuple[str, str]:
    return entry["fingerprint"], entry["status"]


def write(report: Report, file: str, root: Path) -> int:
    """Record the report's non-proved findings in ``file`` (never through a symlink); returns how many."""
    entries = sorted(
        (_entry(f, root) for f in report.results if f.status != "proved"),
        key=lambda e: (e["file"], e["line"], e["property"], e["fingerprint"]),
    )
    safefile.write_text(
        file,
        json.dumps({"version": FORMAT_VERSION, "tool": "cnverify", "findings": entries}, indent=2, ensure_ascii=False)
        + "\n",
        "baseline",
    )
    return len(entries)


def read(file: str) -> list[dict[str, Any]]:
    """The entries of a baseline file; a missing or malformed file is a usage error."""
    raw = safefile.read_bytes(file, MAX_BASELINE_BYTES, "baseline")
    name = printable(file)
    text, err = decode(raw, name)
    if err is not None:
        raise UsageError(f"{err.location}: baseline {err.message}")
    try:
        data = json.loads(text or "")
    except json.JSONDecodeError as exc:
        raise UsageError(f"{name}:{exc.lineno}:{exc.colno}: baseline is not valid JSON: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # an integer past the int-from-str limit; nesting too deep
        raise UsageError(f"{name}: baseline is not usable JSON: {str(exc) or 'nested too deeply'}") from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if (
        not isinstance(entries, list)
        or data.get("version") != FORMAT_VERSION
        or not all(
            isinstance(e, dict)
            and isinstance(e.get("fingerprint"), str)
            and isinstance(e.get("status"), str)
            and isinstance(e.get("file", ""), str)
            and isinstance(e.get("property", ""), str)
            for e in entries
        )
    ):
        raise UsageError(f"{name}: not a cnverify baseline (version {FORMAT_VERSION}, 'findings' list)")
    return entries


def compare(
    report: Report, entries: list[dict[str, Any]], file: str, root: Path, codes: set[str] | None = None
) -> None:
    """Mark the report's non-proved results new/unchanged and record the gone entries.

    An entry counts as gone only when this run could have seen it: its file was an input and its
    property ran (``codes``; None = every property), so pre-commit's partial runs report nothing false.
    """
    remaining = Counter(_key(e) for e in entries)
    counts = Counter[str]()
    for f in report.results:
        if f.status == "proved":
            continue
        key = (stable_fingerprint(f, root), f.status)
        if remaining[key] > 0:
            remaining[key] -= 1
            f.baseline = "unchanged"
        else:
            f.baseline = "new"
        counts[f.baseline] += 1
    inputs = {relative(i["file"], root) or i["file"] for i in report.inputs}
    gone = []
    for e in entries:
        if e.get("file") not in inputs or (codes is not None and e.get("property") not in codes):
            continue
        if remaining[_key(e)] > 0:
            remaining[_key(e)] -= 1
            gone.append(e)
    report.baseline = {"file": file, "new": counts["new"], "unchanged": counts["unchanged"], "gone": gone}
    for e in gone:
        report.warnings.append(
            Notice(
                "baseline-gone",
                f"baselined {e.get('property')} {e.get('status')} on {e.get('subject')} "
                f"({e.get('file')}:{e.get('line')}) is gone: fixed, or moved; refresh the baseline "
                f"with --write-baseline",
            )
        )
