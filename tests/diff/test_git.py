"""`cnverify diff --git` in a scratch repository: revisions, the working tree, paths after `--`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cnverify.cli import main

FIX = Path(__file__).parent / "fixtures"


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "other").mkdir()
    shutil.copy(FIX / "fix/old/hpa.yaml", tmp_path / "deploy/hpa.yaml")
    # the same HPAs under other names (a copy with the same names would be one object, defined twice)
    (tmp_path / "other/hpa.yaml").write_text(
        re.sub(r"^  name: (\w+)", r"  name: other-\1", (FIX / "fix/old/hpa.yaml").read_text(), flags=re.M)
    )
    (tmp_path / "README.md").write_text("not a manifest\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "old")
    shutil.copy(FIX / "fix/new/hpa.yaml", tmp_path / "deploy/hpa.yaml")
    git(tmp_path, "commit", "-q", "-am", "new")
    return tmp_path


def diff_json(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        res = CliRunner().invoke(
            main, ["diff", "--git", "--select", "CNV401", "--format", "json", *args], catch_exceptions=False
        )
    finally:
        os.chdir(cwd)
    return res.exit_code, json.loads(res.output) if res.output.startswith("{") else {"output": res.output}


def where(d: dict[str, Any]) -> tuple[str, str, int]:
    f = d["new"] if d["change"] != "fixed" else d["old"]
    return d["change"], f["location"]["file"], f["location"]["line"]


def test_two_revisions(repo: Path) -> None:
    code, j = diff_json(repo, "HEAD~1", "HEAD")
    assert code == 1
    assert j["changed_files"] == ["deploy/hpa.yaml"]
    assert [where(d) for d in j["invariants"]] == [
        ("new-violation", "HEAD:deploy/hpa.yaml", 28),
        ("fixed", "HEAD~1:deploy/hpa.yaml", 8),
        ("still-violated", "HEAD:deploy/hpa.yaml", 18),
        # unchanged file, same namespace: re-checked, shown under the new side's name
        ("still-violated", "HEAD:other/hpa.yaml", 8),
        ("still-violated", "HEAD:other/hpa.yaml", 18),
    ]
    assert j["old"]["label"] == "HEAD~1" and j["new"]["label"] == "HEAD"


def test_working_tree_and_paths(repo: Path) -> None:
    shutil.copy(FIX / "fix/new/hpa.yaml", repo / "other/hpa.yaml")  # uncommitted edit
    (repo / "other/extra.yaml").write_text(
        re.sub(
            r"^  name: (\w+)",
            r"  name: extra-\1",  # untracked file
            (FIX / "fix/new/hpa.yaml").read_text(),
            flags=re.M,
        )
    )
    code, j = diff_json(repo, "HEAD", "--", "other")
    assert code == 1
    assert j["changed_files"] == ["other/extra.yaml", "other/hpa.yaml"]
    assert j["new"]["label"] == "working tree"
    locs = [where(d) for d in j["invariants"]]
    assert ("fixed", "HEAD:other/hpa.yaml", 8) in locs
    assert ("new-violation", "other/hpa.yaml", 28) in locs
    assert ("new-violation", "other/extra.yaml", 28) in locs
    # the committed change under deploy/ is outside the paths
    assert not any("deploy/" in loc[1] for loc in locs)
    # HEAD against the clean part of the working tree: nothing changed
    code, j = diff_json(repo, "HEAD", "--", "deploy")
    assert code == 0 and j["changed_files"] == [] and j["invariants"] == []


def test_bad_revision_is_a_usage_error(repo: Path) -> None:
    code, j = diff_json(repo, "no-such-rev")
    assert code == 2 and "unknown revision 'no-such-rev'" in j["output"]


def test_not_a_repository(tmp_path: Path) -> None:
    code, j = diff_json(tmp_path, "HEAD")
    assert code == 2 and "git work tree" in j["output"]


def _literal_tree(repo: Path, entries: list[tuple[bytes, bytes, str]]) -> str:
    """A tree object written as given (``--literally``: git's own name checks skipped, as an attacker would)."""
    data = b"".join(mode + b" " + name + b"\0" + bytes.fromhex(sha) for mode, name, sha in entries)
    return (
        subprocess.run(
            ["git", "hash-object", "-t", "tree", "-w", "--literally", "--stdin"],
            cwd=repo,
            input=data,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )


def test_crafted_tree_names_are_never_paths(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Regression: an entry named ``/abs/x.yaml`` or ``../x.yaml`` was written outside the scratch
    directory, and a non-UTF-8 name raised UnicodeDecodeError."""
    outside = tmp_path_factory.mktemp("outside")
    blob = git(repo, "hash-object", "-w", "deploy/hpa.yaml").strip()
    inner = _literal_tree(repo, [(b"100644", b"escape.yaml", blob)])
    evil = str(outside / "planted.yaml").encode()
    top = _literal_tree(repo, [(b"100644", evil, blob), (b"40000", b"..", inner), (b"100644", b"caf\xe9.yaml", blob)])
    commit = git(repo, "commit-tree", top, "-p", "HEAD", "-m", "crafted").strip()
    code, j = diff_json(repo, "HEAD", commit)
    assert code in (0, 1), j
    assert not (outside / "planted.yaml").exists()
    assert not (repo.parent / "escape.yaml").exists()
    assert "caf\\xe9.yaml" in j["changed_files"]
