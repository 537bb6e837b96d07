"""The GitHub Action and the pre-commit hooks: structure, the Action's shell step run for real,
and (with CNVERIFY_TEST_PRECOMMIT=1, network to PyPI) the hook installed from a repository path."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_helpers import hpa, write

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def action() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_is_a_composite_that_installs_proves_uploads_and_gates() -> None:
    a = action()
    assert a["runs"]["using"] == "composite"
    steps = {s["name"]: s for s in a["runs"]["steps"]}
    assert (
        '"$GITHUB_ACTION_PATH"' in steps["Install cnverify"]["run"]
        and "pip install" in steps["Install cnverify"]["run"]
    )
    upload = steps["Upload SARIF"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}" and upload["if"].startswith("always()")
    assert steps["Gate on the exit code"]["env"]["CODE"] == "${{ steps.prove.outputs.exit-code }}"
    assert a["outputs"]["exit-code"]["value"] == "${{ steps.prove.outputs.exit-code }}"
    assert set(a["inputs"]) == {
        "paths",
        "args",
        "fail-on",
        "format",
        "sarif-file",
        "upload-sarif",
        "category",
        "python-version",
    }


def test_action_schema() -> None:
    pytest.importorskip("check_jsonschema")
    proc = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ROOT / "action.yml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "fail_on,args,expected",
    [
        ("", "--select CNV401", "1"),
        ("never", "--select CNV401", "0"),
        ("", "--select CNV401 --fail-on-unknown --ignore CNV401", "0"),
    ],
)
def test_action_prove_step_runs(repo: Path, fail_on: str, args: str, expected: str) -> None:
    step = next(s for s in action()["runs"]["steps"] if s.get("id") == "prove")
    write(repo / "k8s" / "a.yaml", hpa("bad", 5, 3))
    out = repo / "gh-output"
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "GITHUB_OUTPUT": str(out),
        "INPUT_PATHS": "k8s",
        "INPUT_ARGS": args,
        "INPUT_FAIL_ON": fail_on,
        "INPUT_FORMAT": "github",
        "SARIF_FILE": "reports/cnverify.sarif",
    }
    proc = subprocess.run(["bash", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == f"exit-code={expected}\n"
    sarif = json.loads((repo / "reports" / "cnverify.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    if "--ignore CNV401" not in args:
        assert proc.stdout.startswith("::error file=k8s/a.yaml,line=8,col=3")
        assert (
            sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "k8s/a.yaml"
        )


def test_pre_commit_hooks_file() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"cnverify", "cnverify-files"}
    whole, files = hooks["cnverify"], hooks["cnverify-files"]
    assert (whole["entry"], whole["args"], whole["pass_filenames"], whole["language"]) == (
        "cnverify prove",
        ["."],
        False,
        "python",
    )
    assert files["entry"] == "cnverify prove" and files.get("pass_filenames", True)
    for h in hooks.values():
        rx = re.compile(h["files"])
        assert [bool(rx.search(f)) for f in ("a.yaml", "b/c.yml", "d.json", "e.yaml.txt", "f.toml")] == [
            True,
            True,
            True,
            False,
            False,
        ]


@pytest.mark.skipif(
    not os.environ.get("CNVERIFY_TEST_PRECOMMIT"),
    reason="set CNVERIFY_TEST_PRECOMMIT=1 "
    "(installs cnverify and its dependencies from PyPI into a fresh environment, ~30 s)",
)
def test_pre_commit_hook_installed_from_a_repository_path(tmp_path: Path) -> None:
    pre_commit = shutil.which("pre-commit", path=str(BIN)) or pytest.skip("pre-commit is not installed")
    src = tmp_path / "cnverify-src"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, src / f)
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=src, check=True)
    subprocess.run(["git", "add", "-A"], cwd=src, check=True)
    subprocess.run([*git, "commit", "-qm", "snapshot"], cwd=src, check=True)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=src, capture_output=True, text=True, check=True).stdout
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {src}\n    rev: {sha.strip()}\n    hooks:\n      - id: cnverify\n"
    )
    (work / ".cnverify.yaml").write_text("select: [CNV401]\n")
    write(work / "hpa.yaml", hpa("web", 5, 3))
    subprocess.run(["git", "add", "-A"], cwd=work, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    bad = subprocess.run(
        [pre_commit, "run", "--all-files"], cwd=work, env=env, capture_output=True, text=True, timeout=900
    )
    assert bad.returncode == 1 and "hpa.yaml:8:3: CNV401 [violated, error]" in bad.stdout, bad.stdout + bad.stderr
    write(work / "hpa.yaml", hpa("web", 2, 3))
    subprocess.run(["git", "add", "-A"], cwd=work, check=True)
    good = subprocess.run(
        [pre_commit, "run", "--all-files"], cwd=work, env=env, capture_output=True, text=True, timeout=900
    )
    assert good.returncode == 0 and "Passed" in good.stdout, good.stdout
