"""Request rewriting before routing: Istio's mesh config (--mesh-config / mesh-config:) and the chain step.

Fixture: tests/properties/route_reachable/istio_rewrite.yaml, whose http[0] only matches paths with a
`..` segment — dead under Istio's default (normalize_path), alive under pathNormalization NONE.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from cnverify.cli import main
from cnverify.engine import Options, prove
from cnverify.proof import Finding

FIXTURE = str(Path(__file__).parent / "route_reachable" / "istio_rewrite.yaml")


def _guard(mesh: str | None) -> Finding:
    report = prove([FIXTURE], Options(select=["CNV101"], mesh_config=mesh))
    [f] = [f for f in report.results if f.subject.get("path") == "spec.http[0]"]
    return f


def test_default_mesh_config_is_said_in_the_chain() -> None:
    f = _guard(None)
    assert f.status == "violated"
    says = [s.claim for s in f.chain]
    assert any("assumed Istio's default pathNormalization DEFAULT" in s for s in says)
    assert [s.location.line if s.location else None for s in f.chain] == [5, None, 7, None]


def test_mesh_config_none_keeps_dot_segments(tmp_path: Path) -> None:
    mesh = tmp_path / "mesh.yaml"
    mesh.write_text("defaultConfig: {}\npathNormalization:\n  normalization: NONE\n")
    f = _guard(str(mesh))
    assert f.status == "proved" and "/../" in f.witness["path"]
    step = [s for s in f.chain if "mesh config" in s.claim]
    assert step and step[0].location.file == str(mesh) and step[0].location.line == 3


def test_istio_configmap_mesh_key(tmp_path: Path) -> None:
    cm = tmp_path / "istio.yaml"
    cm.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n"
        "  mesh: |-\n    pathNormalization:\n      normalization: DECODE_AND_MERGE_SLASHES\n"
    )
    f = _guard(str(cm))
    assert f.status == "violated"
    assert any("DECODE_AND_MERGE_SLASHES" in s.claim and s.location and s.location.line == 5 for s in f.chain)


def test_bad_mesh_config_makes_istio_verdicts_unknown(tmp_path: Path) -> None:
    mesh = tmp_path / "mesh.yaml"
    mesh.write_text("pathNormalization: {normalization: SOMETIMES}\n")
    f = _guard(str(mesh))
    assert f.status == "unknown" and "unknown pathNormalization 'SOMETIMES'" in f.message
    assert _guard(str(tmp_path / "missing.yaml")).status == "unknown"


def test_cli_flag_and_config_key(tmp_path: Path, monkeypatch) -> None:
    mesh = tmp_path / "mesh.yaml"
    mesh.write_text("pathNormalization: {normalization: NONE}\n")
    args = ["prove", FIXTURE, "--select", "CNV101", "--format", "json", "--no-config"]
    res = CliRunner().invoke(main, args + ["--mesh-config", str(mesh)], catch_exceptions=False)
    statuses = [r["status"] for r in json.loads(res.output)["results"] if r["subject"]["path"] == "spec.http[0]"]
    assert statuses == ["proved"]
    (tmp_path / ".cnverify.yaml").write_text("mesh-config: mesh.yaml\n")
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, args[:-1], catch_exceptions=False)
    statuses = [r["status"] for r in json.loads(res.output)["results"] if r["subject"]["path"] == "spec.http[0]"]
    assert statuses == ["proved"]
