"""compose-spec schema errors are located input errors (compose-go validates the merged model after each file)."""

from __future__ import annotations

from pathlib import Path

from cnverify.engine import Options, prove


def test_misspelled_key_is_a_located_error_and_other_projects_are_verified(tmp_path: Path) -> None:
    bad, good = tmp_path / "bad", tmp_path / "good"
    bad.mkdir()
    good.mkdir()
    (bad / "compose.yaml").write_text(
        "services:\n  web:\n    image: a\n    deploy:\n      resoures: {limits: {memory: 1g}}\n"
    )
    (good / "compose.yaml").write_text("services:\n  ok: {image: a, mem_limit: 1g, mem_reservation: 2g}\n")
    report = prove([str(tmp_path)], Options(select=["CNV301"]))
    [error] = [str(e) for e in report.errors]
    assert "bad/compose.yaml:5:7" in error
    assert "services.web.deploy: additional property 'resoures' is not allowed" in error
    assert [(r.subject["name"], r.status) for r in report.results] == [("ok", "violated")]


def test_override_error_is_located_in_the_override(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: a\n")
    (tmp_path / "compose.override.yaml").write_text("services:\n  web:\n    cpus: [1]\n")
    report = prove([str(tmp_path)], Options(select=["CNV301"]))
    [error] = [str(e) for e in report.errors]
    assert "compose.override.yaml:3:5" in error and "services.web.cpus" in error
    assert report.results == []


def test_values_the_environment_or_yaml_reading_decides_are_not_errors(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: a\n    restart: no\n    scale: ${N:-2}\n    mem_limit: 1g\n"
    )
    report = prove([str(tmp_path)], Options(select=["CNV301"]))
    assert report.errors == [] and [r.status for r in report.results] == ["proved"]


def test_missing_variable_with_colon_question_is_unknown_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: a\n    mem_limit: ${MEM:?set MEM}\n    mem_reservation: 1g\n"
    )
    report = prove([str(tmp_path)], Options(select=["CNV301"]))
    [r] = report.results
    assert report.errors == [] and r.status == "unknown" and "MEM" in r.message
