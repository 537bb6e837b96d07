"""cnverify diff on sides with kustomizations (verified whole, as prove does), namespace-less files
and objects defined twice."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from cnverify.cli import main

APP = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: nginx, ports: [{containerPort: 80, name: http}]}]
"""
SVC = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"
PATCH = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: wrong}\n"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def diff(*args: str) -> tuple[int, dict[str, Any]]:
    res = CliRunner().invoke(main, ["diff", *args, "--select", "CNV202", "--format", "json"], catch_exceptions=False)
    return res.exit_code, json.loads(res.output)


def changes(j: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    out = []
    for d in j["invariants"]:
        f = d["new"] if d["change"] != "fixed" else d["old"]
        out.append(
            (d["change"], f["subject"]["namespace"], f["location"]["file"].rsplit("/", 1)[-1], f["location"]["line"])
        )
    return out


def test_a_patch_that_breaks_a_selector_is_a_new_violation(tmp_path: Path) -> None:
    """Regression: the per-file diff read the kustomization's files raw: a patch that breaks the
    Service's selector (only visible once kustomize renders the unit) was 'no change'."""
    base = {
        "app.yaml": APP,
        "svc.yaml": SVC,
        "kustomization.yaml": "namespace: prod\nresources: [app.yaml, svc.yaml]\n",
    }
    write(tmp_path / "old", base)
    write(
        tmp_path / "new",
        {
            **base,
            "patch.yaml": PATCH,
            "kustomization.yaml": "namespace: prod\nresources: [app.yaml, svc.yaml]\npatches: [{path: patch.yaml}]\n",
        },
    )
    code, j = diff(str(tmp_path / "old"), str(tmp_path / "new"), "--fail-on", "new-violation")
    assert code == 1
    assert changes(j) == [("new-violation", "prod", "svc.yaml", 5)]  # the Service's selector
    chain = j["invariants"][0]["new"]["chain"]
    assert (chain[0]["location"]["file"].rsplit("/", 1)[-1], chain[0]["location"]["line"]) == ("patch.yaml", 5)
    assert j["notes"] and "not computed" in j["notes"][0]
    code, _ = diff(str(tmp_path / "new"), str(tmp_path / "new"), "--fail-on", "routing-change")
    assert code == 1  # routing not compared: never a silent "equivalent"


def test_git_revisions_with_a_kustomization(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    write(
        tmp_path,
        {
            "app/app.yaml": APP,
            "app/svc.yaml": SVC,
            "app/kustomization.yaml": "namespace: prod\nresources: [app.yaml, svc.yaml]\n",
        },
    )
    git("add", ".")
    git("commit", "-qm", "old")
    write(
        tmp_path,
        {
            "app/patch.yaml": PATCH,
            "app/kustomization.yaml": "namespace: prod\nresources: [app.yaml, svc.yaml]\npatches: [{path: patch.yaml}]\n",
        },
    )
    git("add", ".")
    git("commit", "-qm", "new")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, j = diff("--git", "HEAD~1", "HEAD")
    finally:
        os.chdir(cwd)
    assert changes(j) == [("new-violation", "prod", "svc.yaml", 5)]
    assert j["invariants"][0]["new"]["location"]["file"] == "HEAD:app/svc.yaml"
    assert j["invariants"][0]["new"]["chain"][0]["location"]["file"] == "HEAD:app/patch.yaml"


def test_namespace_less_files_keep_their_findings(tmp_path: Path) -> None:
    """Regression: the slice placed namespace-less files in 'default' while the loader places them
    in the unit's namespace, so every finding of theirs was dropped ('no change', exit 0)."""
    write(tmp_path / "old", {"app.yaml": APP, "svc.yaml": SVC})
    write(tmp_path / "new", {"app.yaml": APP, "svc.yaml": SVC.replace("app: web}", "app: webx}")})
    code, j = diff(str(tmp_path / "old"), str(tmp_path / "new"))
    assert code == 1 and changes(j) == [("new-violation", "(unit namespace)", "svc.yaml", 5)]


def test_an_object_defined_twice_is_one_object(tmp_path: Path) -> None:
    write(tmp_path / "old", {"a.yaml": APP + "---\n" + SVC, "c.yaml": SVC})
    write(tmp_path / "new", {"a.yaml": APP + "---\n" + SVC, "c.yaml": SVC + "# edited\n"})
    code, j = diff(str(tmp_path / "old"), str(tmp_path / "new"))
    assert code == 0 and j["invariants"] == []
