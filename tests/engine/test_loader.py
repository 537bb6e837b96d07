"""Input discovery: directories recursively and sorted, hidden folders and other extensions
skipped, explicit files read whatever their name, a missing path is a usage error (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from cnverify.cli import main
from cnverify.errors import UsageError
from cnverify.loader import iter_files, load


def tree(root: Path, files: list[str]) -> None:
    for rel in files:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")


def test_directories_recursive_sorted_hidden_skipped(tmp_path: Path) -> None:
    tree(tmp_path, ["b.yaml", "a/z.yml", "a/y.json", ".git/x.yaml", "a/.cache/w.yaml", "notes.txt", "c/d/e.YAML"])
    got = [str(Path(p).relative_to(tmp_path)) for p in iter_files([str(tmp_path)])]
    assert got == ["a/y.json", "a/z.yml", "b.yaml"]  # apply order: path components sorted, as kubectl -R walks


def test_explicit_files_and_stdin_are_read_in_argument_order(tmp_path: Path) -> None:
    tree(tmp_path, ["notes.txt", "b.yaml"])
    notes, b = str(tmp_path / "notes.txt"), str(tmp_path / "b.yaml")
    # as kubectl apply -f visits them (the later definition wins); a repeated argument is read once
    assert list(iter_files([notes, "-", b])) == [notes, "-", b]
    assert list(iter_files([b, notes, "-", b])) == [b, notes, "-"]
    loaded = load([str(tmp_path / "notes.txt")])
    assert [o.kind for o in loaded.objects] == ["ConfigMap"] and loaded.inputs[0]["documents"] == 1


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or directory"):
        list(iter_files([str(tmp_path / "nope")]))
    res = CliRunner().invoke(main, ["prove", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such file or directory" in res.output
