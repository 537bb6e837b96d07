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
    check(
        f"github{'-suppressed' * show_suppressed}.txt", github.render(report, options(show_suppressed=show_suppressed))
    )


@pytest.mark.parametrize("show_suppressed", [False, True], ids=["default", "show-suppressed"])
def test_markdown_golden(report: Report, show_suppressed: bool) -> None:
    check(
        f"markdown{'-suppressed' * show_suppressed}.md",
        markdown.render(report, options(show_suppressed=show_suppressed)),
    )


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
        "## ✅ cnverify: 0 violated, 0 unknown, 0 proved, 0 suppressed, 0 input errors\n"
    )


def test_github_multiline_region() -> None:
    assert github.command("error", "m", Span("/repo/a.yaml", 3, 1, 9, 1), None, Path("/repo")) == (
        "::error file=a.yaml,line=3,col=1,endLine=8::m"
    )


def test_markdown_fits_a_github_comment() -> None:
    from cnverify.proof import Step
    from report_sample import hpa

    many = [
        hpa(
            f"w{i}",
            "violated",
            i + 1,
            "minReplicas 5 > maxReplicas 3 " + "x" * 300,
            chain=[Step("claim " + "y" * 200, Span("/repo/a.yaml", i + 1, 3))] * 3,
        )
        for i in range(400)
    ]
    text = markdown.render(Report(results=many), options())
    assert len(text) <= markdown.LIMIT + 200
    assert text.count("#### `CNV401`") >= 10  # the first ones in detail
    assert "\n- `deploy/hpa.yaml:" in text  # then one line each
    assert text.rstrip().endswith("have everything.")
    small = markdown.render(Report(results=many[:3]), options())
    assert small.count("#### `CNV401`") == 3 and "cut at" not in small
