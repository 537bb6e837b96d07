"""Helpers for the CLI tests: HPA manifests with known CNV401 verdicts and an in-process runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from cnverify.cli import main

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: shop
{annotations}spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  minReplicas: {lo}
{hi}"""


def hpa(name: str, lo: int, hi: int | None, ignore: str | None = None) -> str:
    """One HPA document: violated when lo > hi or lo < 1, unknown when hi is None, else proved."""
    ann = f'  annotations:\n    cnverify.io/ignore: "{ignore}"\n' if ignore is not None else ""
    return HPA.format(name=name, lo=lo, hi=f"  maxReplicas: {hi}\n" if hi is not None else "", annotations=ann)


def write(path: Path, *docs: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n".join(docs))
    return path


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``cnverify ARGS`` run in-process."""
    res = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def run_json(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(*args, "--format", "json")
    assert out, err
    return code, json.loads(out)


def verdicts(doc: dict[str, Any]) -> dict[str, str]:
    return {f"{r['property']} {r['subject']['name']}": r["status"] for r in doc["results"]}
