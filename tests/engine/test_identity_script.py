"""benchmarks/identity.py: a generated cluster against itself is identical; planted differences are
reported at the right level (a verdict, other content, layout only) with the right exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import identity  # noqa: E402

RESULT = {
    "property": "CNV401",
    "status": "proved",
    "subject": {"kind": "HorizontalPodAutoscaler", "name": "web"},
    "location": {"file": "a.yaml", "line": 3, "column": 1},
    "message": "ok",
    "fingerprint": "abc",
}


def output(*results: dict) -> str:
    return json.dumps({"version": 1, "results": list(results)})


def test_generated_cluster_against_itself(capsys: pytest.CaptureFixture[str]) -> None:
    assert identity.main(["--base", "current", "--head", "current", "--objects", "60"]) == 0
    out = capsys.readouterr().out
    assert "cluster-60: whole JSON identical bytes; verdicts: identical (" in out
    assert int(out.split("(")[1].split(" ")[0]) > 0


def test_layout_only_is_identical_value() -> None:
    base = output(RESULT)
    result = identity.compare(json.dumps(json.loads(base), indent=2), base)
    assert (result.same_bytes, result.same_value, result.verdicts, result.exit_code) == (False, True, [], 0)


def test_fingerprint_change_is_content_not_verdict() -> None:
    result = identity.compare(output(RESULT), output({**RESULT, "fingerprint": "abd"}))
    assert result.exit_code == 2 and result.verdicts == []
    assert result.content == ["$.results[0].fingerprint: 'abc' vs 'abd'"]


def test_every_verdict_difference_is_listed() -> None:
    moved = {**RESULT, "location": {"file": "a.yaml", "line": 4, "column": 1}}
    result = identity.compare(
        output(RESULT, {**RESULT, "property": "CNV402"}), output({**RESULT, "status": "violated"}, moved)
    )
    assert result.exit_code == 1
    subject = json.dumps(RESULT["subject"], sort_keys=True)
    assert result.verdicts == [
        f"CNV401 {subject} @ a.yaml:3:1: proved -> violated",
        f"CNV401 {subject} @ a.yaml:4:1: absent -> proved",
        f"CNV402 {subject} @ a.yaml:3:1: proved -> absent",
    ]


def test_saved_output_needs_one_target(tmp_path: Path) -> None:
    saved = tmp_path / "ref.json"
    saved.write_text(output(RESULT))
    with pytest.raises(SystemExit):
        identity.main(["--base", str(saved), "a", "b"])
