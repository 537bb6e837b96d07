"""Compose merge sets named by the user: ``--compose-files`` and ``compose-files`` in the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run, run_json, verdicts


def _files(repo: Path) -> None:
    (repo / "app").mkdir()
    (repo / "app" / "base.yml").write_text("services:\n  db:\n    image: p\n    mem_limit: 1g\n")
    (repo / "app" / "prod.yml").write_text("services:\n  db:\n    mem_reservation: 2g\n")


def test_cli_option_merges_the_named_files(repo: Path) -> None:
    _files(repo)
    code, doc = run_json("prove", "app", "--select", "CNV301", "--compose-files", "app/base.yml,app/prod.yml")
    assert verdicts(doc) == {"CNV301 db": "violated"} and code == 1
    [r] = doc["results"]
    assert [s["location"]["file"] for s in r["chain"] if "location" in s] == ["app/prod.yml", "app/base.yml"]


def test_config_key_is_relative_to_the_file(repo: Path) -> None:
    _files(repo)
    (repo / ".cnverify.yaml").write_text("compose-files:\n  - [app/base.yml, app/prod.yml]\n")
    code, doc = run_json("prove", "app", "--select", "CNV301")
    assert verdicts(doc) == {"CNV301 db": "violated"}


@pytest.mark.parametrize("value", ["[a.yml]", "a.yml", "[[a.yml]]"])
def test_config_key_must_name_sets_of_two_or_more(repo: Path, value: str) -> None:
    (repo / ".cnverify.yaml").write_text(f"compose-files: {value}\n")
    code, _, err = run("prove", ".")
    assert code == 2 and ".cnverify.yaml:1" in err and "'compose-files' must be a list of merge sets" in err
