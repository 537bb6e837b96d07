"""Kustomize patch files are skipped (and reported), not verified as objects."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from cnverify.cli import main
from cnverify.engine import Options, prove

BASE = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
"""
PATCH = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
"""
DELETE = """$patch: delete
apiVersion: v1
kind: Service
metadata: {name: old}
"""


def tree(tmp_path: Path) -> Path:
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [base.yaml]\npatchesStrategicMerge: [replicas.yaml]\npatches:\n- path: drop.yaml\n"
    )
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "replicas.yaml").write_text(PATCH)
    (tmp_path / "drop.yaml").write_text(DELETE)
    return tmp_path


def test_listed_patches_are_skipped_and_reported(tmp_path: Path) -> None:
    # read as plain files (--unit cluster): with units, a kustomization is rendered by kustomize instead
    report = prove([str(tree(tmp_path))], Options(select=["CNV201"], unit="cluster"))
    assert not report.errors
    skipped = {Path(i["file"]).name: i["skipped"] for i in report.inputs if i.get("skipped")}
    assert set(skipped) == {"replicas.yaml", "drop.yaml"}
    assert all("kustomization.yaml" in why for why in skipped.values())
    # only the base Deployment is verified: the patch (no selector, no template) is no false alarm
    assert [(f.subject["name"], f.status) for f in report.results] == [("web", "proved")]
    text = (
        CliRunner()
        .invoke(main, ["prove", str(tmp_path), "--select", "CNV201", "--no-color", "--unit", "cluster"])
        .output
    )
    assert "2 files skipped as kustomize patches" in text


def test_patch_directive_document_is_not_an_object(tmp_path: Path) -> None:
    (tmp_path / "only.yaml").write_text(DELETE + "---\n" + BASE)
    report = prove([str(tmp_path / "only.yaml")], Options(select=["CNV201"]))
    assert report.unrecognized_documents == 1
    assert [f.subject["name"] for f in report.results] == ["web"]
