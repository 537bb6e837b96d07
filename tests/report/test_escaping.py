"""Outputs CI shows to people: no forged workflow command, no Markdown/HTML injection, nothing
read-but-unverified left invisible, comments within GitHub's size limit."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from cnverify.cli import main
from cnverify.errors import InputError, Span
from cnverify.proof import Finding, Report, Step
from cnverify.report import writers
from cnverify.report.escape import _COMMAND, _LEGACY, COMMENT_LIMIT, ZWNJ, code, md, no_commands
from hypothesis import given, settings
from hypothesis import strategies as st
from report_sample import ROOT, options

EVIL_FILE = str(ROOT / "x\n::error file=a.yaml::forged\n.yaml")
EVIL_NAME = "web\n::add-mask::hunter2"
EVIL_MESSAGE = (
    "bad\r\n##[error]legacy forged\n  ::warning::forged too <img src=x onerror=alert(1)> @everyone "
    "#12 [link](https://evil.example) **bold**\n# Heading\n<details><summary>fold</summary>"
)
SKIPPED = str(ROOT / "overlays" / "patch.yaml")


def hostile() -> Report:
    f = Finding(
        property="CNV401",
        name="hpa-bounds",
        status="violated",
        severity="error",
        subject={
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "namespace": "shop",
            "name": EVIL_NAME,
        },
        location=Span(EVIL_FILE, 8, 3),
        message=EVIL_MESSAGE,
        chain=[Step(EVIL_MESSAGE, Span(EVIL_FILE, 8, 3)), Step("(solver: sat)")],
        witness={"x": EVIL_MESSAGE},
        help=EVIL_MESSAGE,
    )
    return Report(
        results=[f],
        inputs=[{"file": EVIL_FILE, "documents": 1}, {"file": SKIPPED, "documents": 0, "skipped": "a kustomize patch"}],
        errors=[InputError(Span(EVIL_FILE, 2, 1), EVIL_MESSAGE)],
        objects=1,
    )


def commands(text: str) -> list[str]:
    """Lines the Actions runner would execute (v2 ``::cmd`` after leading whitespace, legacy ``##[``)."""
    return [line for line in text.split("\n") if line.lstrip().startswith("::") or "##[" in line]


@pytest.mark.parametrize("fmt", ["text", "junit", "json", "sarif", "markdown"])
def test_no_forged_workflow_command(fmt: str) -> None:
    out = writers()[fmt](hostile(), options())
    assert commands(out) == []


def test_github_format_emits_only_its_own_commands() -> None:
    out = writers()["github"](hostile(), options())
    lines = out.rstrip("\n").split("\n")
    # input error, the violation, the unverified file, then the summary line
    assert [line.split(" ", 1)[0] for line in lines[:-1]] == ["::error", "::error", "::notice"]
    assert not lines[-1].startswith("::") and "##[" not in out
    assert all("%0A" in line for line in lines[:2])  # the user's line breaks stay inside one command


def test_markdown_is_inert() -> None:
    out = re.sub(r"(`+).*?\1", "", writers()["markdown"](hostile(), options()))  # code spans are literal
    for raw in ("<img", "<details>", "@everyone", "](https://", "**bold**"):
        assert raw not in out
    headings = [line for line in out.split("\n") if line.startswith("#")]
    assert all("Heading" not in h for h in headings)
    assert "&#64;everyone" in out and "&lt;img" in out


def test_unverified_inputs_are_visible_everywhere() -> None:
    rep = hostile()
    assert "overlays/patch.yaml" in writers()["markdown"](rep, options())
    assert 'name="overlays/patch.yaml"' in writers()["junit"](rep, options())
    assert "file=overlays/patch.yaml" in writers()["github"](rep, options())
    notes = json.loads(writers()["sarif"](rep, options()))["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["input-error", "not-verified"]
    assert notes[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "overlays/patch.yaml"


def test_markdown_comment_fits_github() -> None:
    f = hostile().results[0]
    many = Report(
        results=[dataclasses.replace(f, location=Span(f"/repo/f{i}.yaml", 1, 1)) for i in range(3000)], objects=3000
    )
    out = writers()["markdown"](many, options())
    assert len(out) <= COMMENT_LIMIT and "cut at" in out


def test_helpers() -> None:
    assert code("a``b") == "``` a``b ```" and code("x") == "`x`" and "\n" not in code("a\n\nb")
    assert md("a|b\n# c") == "a\\|b\\\\n\\# c" and code("a|b", cell=True) == "`a\\|b`"
    assert no_commands("ok\n  ::stop-commands::x\n") == "ok\n  :\u200c:stop-commands::x\n"


def test_diff_comment_is_inert_and_shows_input_errors(tmp_path: Path) -> None:
    for side, lo in (("old", 1), ("new", 5)):
        d = tmp_path / side
        d.mkdir()
        (d / "hpa `x` <b>@team.yaml").write_text(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop}\n"
            f"spec:\n  scaleTargetRef: {{kind: Deployment, name: web}}\n  minReplicas: {lo}\n  maxReplicas: 3\n"
        )
    (tmp_path / "new" / "broken.yaml").write_text("a: [\n")
    res = CliRunner().invoke(
        main, ["diff", str(tmp_path / "old"), str(tmp_path / "new"), "--select", "CNV401", "--format", "markdown"]
    )
    out = res.output
    inert = re.sub(r"(`+).*?(?<!\\)\1", "", out)  # code spans are literal
    assert "<b>" not in inert and "@team" not in inert
    assert "#### Input errors" in out and re.search(r"- new: `[^`]*broken\.yaml:2`", out)
    assert (
        commands(
            CliRunner()
            .invoke(main, ["diff", str(tmp_path / "old"), str(tmp_path / "new"), "--select", "CNV401"])
            .output
        )
        == []
    )


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from([":", "#", "[", " ", "\t", "\n", "\x1b", "m", "0", ";", "a", "é"]), max_size=30))
def test_no_commands_is_the_two_substitutions(text: str) -> None:
    """``no_commands`` skips a substitution when its text cannot match (no ``::``, no ``##[``): the same text
    as both substitutions applied in turn."""
    expected = _LEGACY.sub("#" + ZWNJ + "#", _COMMAND.sub(lambda m: m.group(1) + ":" + ZWNJ, text))
    assert no_commands(text) == expected
