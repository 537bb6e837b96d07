"""A crashing property is an internal-error record (CNV000, exit 4), not an input error at
``<cnverify>:1:1``; the other properties' results stand (prove and diff alike)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cnverify.cli import main
from cnverify.diff.gitsource import path_side
from cnverify.diff.render import RENDERERS
from cnverify.diff.run import diff
from cnverify.engine import Options, prove
from cnverify.properties.scaling.hpa_bounds import HpaBounds
from cnverify.report import RenderOptions, writers

FIXTURE = Path(__file__).resolve().parents[1] / "properties" / "hpa_bounds" / "min_gt_max.yaml"


@pytest.fixture
def crashing(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: HpaBounds, snap: object) -> Iterator[object]:
        raise RuntimeError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(HpaBounds, "obligations", boom)


def test_prove_records_internal_error(crashing: None) -> None:
    report = prove([str(FIXTURE)], Options(select=["CNV401", "CNV402"]))
    assert report.errors == []
    [x] = report.internal
    assert (x.property, x.message) == ("CNV401", "RuntimeError: boom")
    assert x.where.startswith("test_internal_error.py:")
    assert report.exit_code() == 4 and report.exit_code(fail_on="never") == 4
    j = report.to_json()
    assert j["internal_errors"] == [
        {"code": "CNV000", "property": "CNV401", "message": "RuntimeError: boom", "where": x.where}
    ]
    assert j["summary"]["errors"] == 0 and {r["property"] for r in j["results"]} == {"CNV402"}


def test_cli_exit_code_and_sarif(crashing: None) -> None:
    res = CliRunner().invoke(main, ["prove", str(FIXTURE), "--select", "CNV401", "--format", "sarif"])
    assert res.exit_code == 4, res.output
    inv = json.loads(res.output)["runs"][0]["invocations"][0]
    assert not inv["executionSuccessful"]
    assert [n["descriptor"]["id"] for n in inv["toolExecutionNotifications"]] == ["CNV000"]
    text = CliRunner().invoke(main, ["prove", str(FIXTURE), "--select", "CNV401"])
    assert text.exit_code == 4 and "internal error in CNV401 (RuntimeError: boom" in text.output
    assert "<cnverify>" not in text.output


def test_diff_records_internal_error(crashing: None) -> None:
    side = str(FIXTURE)
    result = diff(path_side(side, "old"), path_side(side, "new"), Options(select=["CNV401"]))
    assert [x.property for x in result.internal] == ["CNV401", "CNV401"]
    assert result.errors == {"old": [], "new": []}
    assert result.exit_code(("any",)) == 4


@pytest.mark.parametrize("fmt", sorted(writers()))
def test_every_writer_shows_the_internal_error(crashing: None, fmt: str) -> None:
    """Each ``--format`` names the crashed property and the exception; none passes the run as clean."""
    report = prove([str(FIXTURE)], Options(select=["CNV401"]))
    out = writers()[fmt](report, RenderOptions(extra={"root": str(FIXTURE.parent)}))
    assert "CNV401" in out and "RuntimeError: boom" in out, out
    if fmt == "junit":
        suite = ET.fromstring(out).find("testsuite[@name='internal errors']")
        assert suite is not None and suite.get("errors") == "1"
        error = suite.find("testcase/error")
        assert error is not None and error.get("type") == "CNV000"
    if fmt == "markdown":
        assert out.startswith("## ❌") and "### Internal errors (results incomplete)" in out
    if fmt == "github":
        assert out.startswith("::error title=cnverify%3A internal error::internal error in CNV401 (RuntimeError: boom")


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_diff_renderer_shows_the_internal_error(crashing: None, fmt: str) -> None:
    side = str(FIXTURE)
    result = diff(path_side(side, "old"), path_side(side, "new"), Options(select=["CNV401"]))
    out = RENDERERS[fmt](result)
    assert out.count("RuntimeError: boom") == 2, out  # once per side
    if fmt == "markdown":
        assert out.startswith("### ❌") and "#### Internal errors (results incomplete)" in out
    if fmt == "json":
        assert [x["code"] for x in json.loads(out)["internal_errors"]] == ["CNV000", "CNV000"]


def test_cli_diff_exits_4(crashing: None) -> None:
    res = CliRunner().invoke(main, ["diff", str(FIXTURE), str(FIXTURE), "--select", "CNV401"])
    assert res.exit_code == 4 and "cnverify: internal error: internal error in CNV401" in res.output
