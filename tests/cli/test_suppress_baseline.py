"""Suppressions (cnverify.io/ignore) and baselines, end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import hpa, run, run_json, verdicts, write
from cnverify.errors import Span
from cnverify.suppress import parse

SEL = ("--select", "CNV401")


def test_parse_codes_names_and_reason() -> None:
    d = parse("cnv204, CNV103 hpa-bounds -- owned by team X -- see OPS-1", Span("f", 1, 1))
    assert d.tokens == ("CNV204", "CNV103", "hpa-bounds") and d.reason == "owned by team X -- see OPS-1"
    assert parse("", Span("f", 1, 1)).tokens == ()


def test_suppressed_finding_passes_and_is_listed(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3, ignore="CNV401 -- legacy, OPS-7"), hpa("good", 1, 3))
    code, doc = run_json("prove", "a.yaml", *SEL)
    assert code == 0
    assert verdicts(doc) == {"CNV401 good": "proved"}
    assert doc["summary"]["violated"] == 0
    [s] = doc["suppressed"]
    assert (s["property"], s["status"], s["subject"]["name"], s["suppressed"]) == ("CNV401", "violated", "bad", True)
    assert s["suppression"] == {"reason": "legacy, OPS-7", "location": {"file": "a.yaml", "line": 7, "column": 5}}
    assert s["location"]["line"] == 10 and "warnings" not in doc
    code, out, _ = run("prove", "a.yaml", *SEL)
    assert out.splitlines()[-1] == "1 finding suppressed by cnverify.io/ignore (--show-suppressed lists them)"
    code, out, _ = run("prove", "a.yaml", *SEL, "--show-suppressed")
    assert (
        "a.yaml:10:3: CNV401 [violated, suppressed] HorizontalPodAutoscaler shop/bad: minReplicas 5 > "
        "maxReplicas 3 (reason: legacy, OPS-7; annotation at a.yaml:7:5)"
    ) in out.splitlines()


def test_suppression_by_name_covers_unknown_but_not_other_resources(repo: Path) -> None:
    write(repo / "a.yaml", hpa("open", 1, None, ignore="hpa-bounds"), hpa("bad", 5, 3))
    code, doc = run_json("prove", "a.yaml", *SEL)
    assert verdicts(doc) == {"CNV401 bad": "violated"} and code == 1
    assert [(s["subject"]["name"], s["status"]) for s in doc["suppressed"]] == [("open", "unknown")]
    assert run("prove", "a.yaml", *SEL, "--fail-on", "never", "--fail-on-unknown")[0] == 0


def test_unused_and_unknown_suppressions_are_warnings(repo: Path) -> None:
    write(repo / "a.yaml", hpa("good", 1, 3, ignore="CNV401, CNV998, CNV402"))
    code, doc = run_json("prove", "a.yaml", *SEL)
    assert code == 0 and verdicts(doc) == {"CNV401 good": "proved"} and "suppressed" not in doc
    assert doc["warnings"] == [
        {
            "kind": "unused-suppression",
            "location": {"file": "a.yaml", "line": 7, "column": 5},
            "message": "cnverify.io/ignore on HorizontalPodAutoscaler/shop/good: CNV401 has no violated or unknown "
            "result on this resource to suppress; remove it",
        },
        {
            "kind": "unknown-suppression",
            "location": {"file": "a.yaml", "line": 7, "column": 5},
            "message": "cnverify.io/ignore on HorizontalPodAutoscaler/shop/good names CNV998, which is no cnverify "
            "property",
        },
    ]  # CNV402 did not run (--select): not judged
    _, out, _ = run("prove", "a.yaml", *SEL)
    assert "a.yaml:7:5: warning[unused-suppression]: cnverify.io/ignore on HorizontalPodAutoscaler/shop/good" in out


def test_baseline_accepts_old_fails_new_and_reports_gone(repo: Path) -> None:
    write(repo / "a.yaml", hpa("old1", 5, 3), hpa("old2", 0, 3), hpa("open", 1, None), hpa("good", 1, 3))
    code, out, err = run("prove", "a.yaml", *SEL, "--write-baseline", "base.json")
    assert code == 0 and err == "cnverify: recorded 3 findings in base.json\n"
    entries = json.loads((repo / "base.json").read_text())["findings"]
    assert [(e["subject"], e["status"], e["line"]) for e in entries] == [
        ("HorizontalPodAutoscaler/shop/old1", "violated", 8),
        ("HorizontalPodAutoscaler/shop/old2", "violated", 18),
        ("HorizontalPodAutoscaler/shop/open", "unknown", 28),
    ]

    assert run("prove", "a.yaml", *SEL, "--baseline", "base.json", "--fail-on-unknown")[0] == 0
    # old2 fixed, a new violation added, old1 moved down two lines
    write(repo / "a.yaml", "# moved\n", hpa("old1", 5, 3), hpa("old2", 1, 3), hpa("open", 1, None), hpa("new", 7, 2))
    code, doc = run_json("prove", "a.yaml", *SEL, "--baseline", "base.json")
    assert code == 1
    marks = {r["subject"]["name"]: r.get("baseline") for r in doc["results"]}
    assert marks == {"old1": "unchanged", "old2": None, "open": "unchanged", "new": "new"}
    assert (doc["baseline"]["new"], doc["baseline"]["unchanged"]) == (1, 2)
    assert [g["subject"] for g in doc["baseline"]["gone"]] == ["HorizontalPodAutoscaler/shop/old2"]
    assert [w["kind"] for w in doc["warnings"]] == ["baseline-gone"]
    _, out, _ = run("prove", "a.yaml", *SEL, "--baseline", "base.json")
    assert "baseline base.json: 1 new, 2 accepted, 1 gone" in out


def test_baseline_unknown_turning_violated_is_new(repo: Path) -> None:
    write(repo / "a.yaml", hpa("x", 1, None))
    run("prove", "a.yaml", *SEL, "--write-baseline", "base.json")
    write(repo / "a.yaml", hpa("x", 5, 3))
    code, doc = run_json("prove", "a.yaml", *SEL, "--baseline", "base.json")
    assert code == 1 and doc["results"][0]["baseline"] == "new" and len(doc["baseline"]["gone"]) == 1


def test_gone_only_for_inputs_and_properties_of_this_run(repo: Path) -> None:
    write(repo / "a.yaml", hpa("a", 5, 3))
    write(repo / "b.yaml", hpa("b", 5, 3))
    run("prove", ".", *SEL, "--write-baseline", "base.json")
    code, doc = run_json("prove", "a.yaml", *SEL, "--baseline", "base.json")  # pre-commit: changed files only
    assert code == 0 and doc["baseline"]["gone"] == []
    code, doc = run_json("prove", ".", "--select", "CNV402", "--baseline", "base.json")
    assert doc["baseline"]["gone"] == []


def test_bad_baseline_files_are_usage_errors(repo: Path) -> None:
    write(repo / "a.yaml", hpa("a", 1, 3))
    (repo / "bad.json").write_text("{\n  nope")
    (repo / "other.json").write_text('{"version": 1, "findings": [{"x": 1}]}')
    for file, message in (
        ("missing.json", "cannot read baseline missing.json"),
        ("bad.json", "bad.json:2:3: baseline is not valid JSON"),
        ("other.json", "other.json: not a cnverify baseline"),
    ):
        code, _, err = run("prove", "a.yaml", *SEL, "--baseline", file)
        assert code == 2 and message in err, err


def test_report_option_writes_extra_formats(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    code, out, _ = run(
        "prove", "a.yaml", *SEL, "--format", "github", "--report", "sarif=out/r.sarif", "--report", "junit=j.xml"
    )
    assert code == 1 and out.startswith("::error file=a.yaml,line=8,col=3,endLine=8,endColumn=14,title=CNV401")
    assert json.loads((repo / "out" / "r.sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "CNV401"
    assert '<testsuite name="CNV401 hpa-bounds" tests="1" failures="1"' in (repo / "j.xml").read_text()
    code, _, err = run("prove", "a.yaml", "--report", "pdf=x.pdf")
    assert code == 2 and "--report takes FORMAT=FILE" in err
    (repo / "blocked").write_text("a file, not a folder")
    code, _, err = run("prove", "a.yaml", *SEL, "--report", "junit=blocked/j.xml")
    assert code == 2 and "cannot write blocked/j.xml" in err
    code, _, err = run("prove", "a.yaml", *SEL, "--write-baseline", "blocked/b.json")
    assert code == 2 and "cannot write baseline blocked/b.json" in err
    write(repo / "b.yaml", hpa("old", 5, 3, ignore="CNV401"))
    run("prove", "a.yaml", "b.yaml", *SEL, "--report", "text=t.txt")
    assert (
        (repo / "t.txt")
        .read_text()
        .endswith("1 finding suppressed by cnverify.io/ignore (--show-suppressed lists them)\n")
    )
