"""`cnverify prove --explain CODE`: one property, every result with its whole chain (proved included)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from cnverify.cli import main

QUOTA = str(Path(__file__).parents[1] / "properties" / "quota_holds_under_scaling" / "exact.yaml")


def test_explain_shows_the_headroom_view_of_a_proved_quota() -> None:
    result = CliRunner().invoke(main, ["prove", QUOTA, "--explain", "CNV302", "--no-color"])
    assert result.exit_code == 0, result.output
    heads = [line for line in result.output.splitlines() if ": CNV" in line and "[" in line]
    assert heads and all(": CNV302 [proved" in h for h in heads)  # only that property, proved shown
    assert "replica-range view of namespace shop: worst case" in result.output
    assert "requests.cpu 5 of 5 (headroom 0)" in result.output


def test_explain_rejects_an_unknown_code() -> None:
    result = CliRunner().invoke(main, ["prove", QUOTA, "--explain", "CNV999"])
    assert result.exit_code == 2
    assert "unknown property code or name: CNV999" in result.output
