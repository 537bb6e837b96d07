"""Fixture grids: every ``tests/properties/<name>/cases.yaml`` lists fixtures and exact expected findings.

Each expected finding is ``{status, subject: Kind/namespace/name, line, chain: [lines...]}`` with
optional ``path`` and ``witness``; findings are compared as a multiset, never by message text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from cnverify.engine import Options, prove
from cnverify.proof import Finding

ROOT = Path(__file__).parent


def _cases() -> list[Any]:
    out = []
    for cases_file in sorted(ROOT.glob("*/cases.yaml")):
        spec = yaml.safe_load(cases_file.read_text())
        for case in spec["cases"]:
            out.append(
                pytest.param(
                    spec["property"], cases_file.parent, case, id=f"{cases_file.parent.name}/{case['fixture']}"
                )
            )
    return out


def matches(f: Finding, e: dict[str, Any]) -> bool:
    """Does finding ``f`` meet expectation ``e`` (path and witness only when ``e`` states them)?"""
    s = f.subject
    ns = f"{s['namespace']}/" if s.get("namespace") else ""
    chain = [step.location.line if step.location else None for step in f.chain]
    return (
        f.status == e["status"]
        and f"{s['kind']}/{ns}{s['name']}" == e["subject"]
        and f.location.line == e["line"]
        and chain == list(e.get("chain", []))
        and ("path" not in e or s.get("path") == e["path"])
        and ("witness" not in e or f.witness == e["witness"])
    )


def describe(f: Finding) -> str:
    s = f.subject
    chain = [step.location.line if step.location else None for step in f.chain]
    return (
        f"{f.status} {s['kind']}/{s.get('namespace')}/{s['name']} path={s.get('path')} "
        f"line={f.location.line} chain={chain} witness={f.witness} :: {f.message}"
    )


@pytest.mark.parametrize("code,folder,case", _cases())
def test_grid(code: str, folder: Path, case: dict[str, Any]) -> None:
    report = prove([str(folder / case["fixture"])], Options(select=[code]))
    assert len(report.errors) == case.get("errors", 0), [str(e) for e in report.errors]
    remaining = [f for f in report.results if f.property == code]
    unmatched = []
    for e in case["expect"]:
        hit = next((f for f in remaining if matches(f, e)), None)
        if hit is None:
            unmatched.append(e)
        else:
            remaining.remove(hit)
    assert not unmatched and not remaining, (
        "expected but not found:\n"
        + "\n".join(map(str, unmatched))
        + "\nfound but not expected:\n"
        + "\n".join(map(describe, remaining))
    )
