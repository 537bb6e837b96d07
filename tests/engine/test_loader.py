"""Input discovery: directories recursively and sorted, hidden folders and other extensions
skipped, explicit files read whatever their name, a missing path is a usage error (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from cnverify.cli import main
from cnverify.errors import UsageError
from cnverify.loader import iter_files, load
from hypothesis import given, settings
from hypothesis import strategies as st


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


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40), st.integers(1, 50), st.integers(-1, 60))
def test_read_upto_is_a_bounded_read_whatever_size_is_reported(content: bytes, limit: int, size: int) -> None:
    """``loader.read_upto`` gives what ``open(f, "rb").read(limit)`` gives, also when the reported size is
    wrong (a file that grew or shrank since ``fstat``)."""
    import tempfile

    from cnverify.loader import read_upto

    with tempfile.TemporaryFile() as fh:
        fh.write(content)
        fh.flush()
        fh.seek(0)
        assert read_upto(fh.fileno(), limit, size) == content[:limit]


def test_real_paths_are_those_of_realpath(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file's real path (its folder's, then its name; symlinks resolved as ``os.path.realpath`` does) decides
    which paths are one file: a file reached through a linked folder argument and directly is read once."""
    import os

    from cnverify.loader import _regular, walk

    tree(tmp_path, ["real/a.yaml", "real/sub/b.yaml"])
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real" / "c.yaml").symlink_to(tmp_path / "real" / "sub" / "b.yaml")
    monkeypatch.chdir(tmp_path)
    for path in ["real/a.yaml", "./real//sub/b.yaml", "link/a.yaml", "link/sub/../a.yaml", "real/c.yaml", "a.yaml"]:
        if os.path.lexists(path):
            found = walk([])
            assert _regular(path, None, found, {}) == os.path.realpath(path), path
    found = walk(["link", "real/sub", "real"])
    assert found.files == ["link/a.yaml", "link/sub/b.yaml"]  # the symlinked c.yaml and the second paths: skipped
    skipped = ["link/c.yaml", "real/a.yaml", "real/c.yaml", "real/sub/b.yaml", "real/sub/b.yaml"]  # main 49c69dc's
    assert [s["file"] for s in found.skipped] == skipped
