"""GitHub workflow-command annotations and the Markdown PR comment, against golden files.

Regenerate after an intended change with ``CNVERIFY_UPDATE_GOLDEN=1 pytest tests/report`` and
review the diff.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from cnverify.errors import Span
from cnverify.proof import Report
from cnverify.report import github, markdown
from report_sample import options

GOLDEN = Path(__file__).parent / "golden"


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CNVERIFY_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("show_suppressed", [False, True], ids=["default", "show-suppressed"])
def test_github_golden(report: Report, show_suppressed: bool) -> None:
    check(f"github{'-suppressed' * show_suppressed}.txt",
          github.render(report, options(show_suppressed=show_suppressed)))


@pytest.mark.parametrize("show_suppressed", [False, True], ids=["default", "show-suppressed"])
def test_markdown_golden(report: Report, show_suppressed: bool) -> None:
    check(f"markdown{'-suppressed' * show_suppressed}.md",
          markdown.render(report, options(show_suppressed=show_suppressed)))


def test_github_escaping() -> None:
    assert github.escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert github.escape_property("a: b, 5%\n") == "a%3A b%2C 5%25%0A"
    line = github.command("error", "x%\ny", Span("/repo/d/a,b:c.yaml", 3, 4, 3, 9), "T: 1, 2", Path("/repo"))
    assert line == "::error file=d/a%2Cb%3Ac.yaml,line=3,col=4,endLine=3,endColumn=9,title=T%3A 1%2C 2::x%25%0Ay"
    assert github.command("warning", "m", Span("<stdin>", 2, 1)) == "::warning::m"


def test_markdown_escaping() -> None:
    assert markdown.md("a|b <stdin> *x* [l](u) `c`") == r"a\|b &lt;stdin&gt; \*x\* \[l\](u) \`c\`"
    assert markdown.code("a`b") == "`` a`b ``"


def test_markdown_clean_run() -> None:
    assert markdown.render(Report(), options()) == (
        "## ✅ cnverify: 0 violated, 0 unknown, 0 proved, 0 suppressed, 0 input errors\n")
