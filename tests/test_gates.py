"""The code gates: ruff (lint and format) and mypy, configured in pyproject.toml.

mypy cannot follow setuptools' ``package-dir`` mapping (``cnverify`` is ``verifier/``, ``cnverify.encodings``
is ``encodings/``, ``cnverify.properties`` is ``properties/``), so the test checks the source tree through a
link tree laid out as the installed package: the same files, in the layout imports name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["verifier", "encodings", "properties", "tests", "benchmarks"]


def _tool(name: str) -> str:
    path = shutil.which(name, path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]' installs it")
    return path


def _run(cmd: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_ruff_lint_is_clean() -> None:
    out = _run([_tool("ruff"), "check", "--no-cache", *SOURCES])
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_format_is_applied() -> None:
    out = _run([_tool("ruff"), "format", "--no-cache", "--check", *SOURCES])
    assert out.returncode == 0, out.stdout + out.stderr


def link_tree(dest: Path) -> Path:
    """``dest/cnverify`` laid out as the installed package, its files linked to the source tree."""
    pkg = dest / "cnverify"
    shutil.copytree(ROOT / "verifier", pkg, copy_function=os.symlink, ignore=shutil.ignore_patterns("__pycache__"))
    for folder, name in (("encodings", "encodings"), ("properties", "properties")):
        shutil.copytree(
            ROOT / folder, pkg / name, copy_function=os.symlink, ignore=shutil.ignore_patterns("__pycache__")
        )
    return dest


def test_mypy_is_clean(tmp_path: Path) -> None:
    tree = link_tree(tmp_path / "src")
    out = _run(
        [
            _tool("mypy"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "-p",
            "cnverify",
        ],
        cwd=tree,
    )
    assert out.returncode == 0, out.stdout + out.stderr
