"""Shared by the CI writers and baselines: repository-relative paths, stable fingerprints, chains."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cnverify.errors import InternalError, Span
from cnverify.proof import Finding, Report
from cnverify.report.escape import md

STDIN = "<stdin>"


def repo_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest directory at or above ``start`` (default: cwd) holding ``.git``; else ``start``."""
    here = Path(start or os.getcwd()).resolve()
    for d in (here, *here.parents):
        if (d / ".git").exists():
            return d
    return here


def relative(file: str, root: Path) -> str | None:
    """``file`` relative to ``root`` in POSIX form, or None when outside it (or not a file: ``<stdin>``).

    Remembered per file, root and the working directory a relative ``file`` is taken against (pathlib
    costs ~60 us a call, and a report names each file many times); the root by identity (a ``Path``'s
    hash and equality are Python code), held in the entry so its id names it."""
    if file.startswith("<"):
        return None
    key = (file, id(root), "" if os.path.isabs(file) else os.getcwd())
    held = _RELATIVE.get(key)
    if held is not None and held[0] is root:
        return held[1]
    try:
        found: str | None = Path(os.path.abspath(file)).relative_to(root).as_posix()
    except ValueError:
        found = None
    if len(_RELATIVE) >= 65_536:
        _RELATIVE.clear()
    _RELATIVE[key] = (root, found)
    return found


_RELATIVE: dict[tuple[str, int, str], tuple[Path, str | None]] = {}


def stable_fingerprint(f: Finding, root: Path) -> str:
    """``f.fingerprint`` with the file taken relative to ``root``: independent of the cwd and of
    line numbers, so a finding keeps its identity while the lines around it move."""
    return f.fingerprint_in(relative(f.location.file, root) or f.location.file)


def subject_ref(f: Finding) -> str:
    """``Kind ns/name`` (``Kind name`` for cluster-scoped subjects), with the subject path if any."""
    s = f.subject
    ns = f"{s['namespace']}/" if s.get("namespace") else ""
    path = f" {s['path']}" if s.get("path") else ""
    return f"{s.get('kind')} {ns}{s.get('name')}{path}"


def where(span: Span, root: Path | None = None) -> str:
    """``file:line:column`` with the file relative to ``root`` when given and inside it."""
    file = (relative(span.file, root) if root else None) or span.file
    return f"{file}:{span.line}:{span.column}"


def chain_lines(f: Finding, root: Path | None = None) -> list[str]:
    """The proof chain as numbered lines: ``1. file:line:col: claim (also file:line:col, ...)``."""
    out = []
    for i, step in enumerate(f.chain, 1):
        at = f"{where(step.location, root)}: " if step.location else ""
        more = f" (also {', '.join(where(s, root) for s in step.locations)})" if step.locations else ""
        out.append(f"{i}. {at}{step.claim}{more}")
    return out


def counts(report: Report) -> dict[str, int]:
    """The summary with the suppressed and baselined counts of this run."""
    out = dict(report.summary())
    out["suppressed"] = len(report.suppressed)
    if report.baseline is not None:
        out["baselined"] = report.baseline["unchanged"]
    return out


def skipped_inputs(report: Report, root: Path | None = None) -> list[tuple[str, str]]:
    """``(file, why)`` for every input that was read but not verified (kustomize patches, …)."""
    return [
        ((relative(i["file"], root) if root else None) or i["file"], str(i["skipped"]))
        for i in report.inputs
        if i.get("skipped")
    ]


def region_end(span: Span) -> tuple[int, int | None] | None:
    """The end of ``span`` as (line, exclusive column), None when unknown.  A block node ends at
    column 1 of the line after it; that becomes the end of its last line (column None = line end)."""
    if span.end_line is None or span.end_column is None:
        return None
    if span.end_column == 1 and span.end_line > span.line:
        return span.end_line - 1, None
    return span.end_line, span.end_column


def internal_markdown(internal: Sequence[InternalError], heading: str) -> list[str]:
    """A Markdown section listing internal errors (a crashed property: results incomplete), for prove and diff."""
    return [f"{heading} Internal errors (results incomplete)", "", *(f"- {md(str(x))}" for x in internal), ""]
