"""Helm charts: rendered with ``helm template`` (a fake helm here: none can be installed), never parsed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cnverify.helm import TEMPLATE_LINES_NOTE, render_chart
from cnverify.rendering import NotVerified, Rendered

CHART = Path(__file__).parent / "fixtures" / "kustomize" / "chart"
STREAM = """---
# Source: web/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  selector: {app: shop}
  ports: [{port: 80}]
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 5
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers: [{name: web, image: nginx}]
---
# Source: web/templates/NOTES.txt
"""


def fake_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """A ``helm`` on PATH that records its arguments and runs ``body``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helm = bin_dir / "helm"
    helm.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/args"\n{body}\n')
    helm.chmod(helm.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")  # first: a real helm is shadowed
    return tmp_path / "args"


def test_no_helm_is_not_verified_with_the_pipe_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    out = render_chart(str(CHART))
    assert isinstance(out, NotVerified)
    assert (out.location.file, out.location.line) == (str(CHART / "Chart.yaml"), 1)
    assert out.hint.endswith(f"helm template chart {CHART} | cnverify prove -")
    assert str(CHART / "templates/deployment.yaml") in out.members  # templates are owned, never read as YAML


def test_rendered_objects_point_at_their_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "stream.yaml").write_text(STREAM)
    args = fake_helm(tmp_path, monkeypatch, f'cat "{tmp_path}/stream.yaml"')
    values = tmp_path / "prod.yaml"
    values.write_text("replicas: 5\n")
    out = render_chart(str(CHART), [str(values)], release="shop", namespace="store")
    assert isinstance(out, Rendered) and out.errors == []
    assert args.read_text().split() == ["template", "shop", str(CHART), "--values", str(values), "--namespace", "store"]
    assert [(o.kind, o.data["metadata"]["name"]) for o in out.objects] == [("Service", "shop"), ("Deployment", "shop")]
    dep = out.objects[1]
    span = dep.doc.span(("spec", "replicas"))
    assert (span.file, span.line) == (str(CHART / "templates/deployment.yaml"), 1)
    assert out.notes == [TEMPLATE_LINES_NOTE] and out.namespace == "store"
    assert str(values) in out.members


def test_helm_failure_is_a_located_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_helm(tmp_path, monkeypatch, 'echo "Error: parse error at (web/templates/x.yaml:3): bad" >&2; exit 1')
    out = render_chart(str(CHART))
    assert isinstance(out, Rendered) and out.objects == []
    assert [(os.path.basename(e.location.file), e.location.line, e.message) for e in out.errors] == [
        ("Chart.yaml", 1, "helm template failed: parse error at (web/templates/x.yaml:3): bad")
    ]
