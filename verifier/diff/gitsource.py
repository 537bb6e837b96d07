"""The two sides of a diff: manifest files from a path or from a git revision, with content digests.

A side is a map ``key → SourceFile`` where ``key`` is the file's path relative to the side's root
(so ``old/app/vs.yaml`` and ``new/app/vs.yaml`` pair up, and fingerprints do not depend on the
root), ``display`` is how locations are printed (``old/app/vs.yaml`` or ``origin/main:app/vs.yaml``)
``digest`` identifies the content (the git blob id, for disk files computed from their bytes)
and ``local()`` is a path on disk holding the content (a revision's blobs are written to a
scratch directory on first use), so files load through ``cnverify.loader`` exactly as in ``prove``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from cnverify.errors import UsageError
from cnverify.loader import EXTENSIONS, iter_files


@dataclass(frozen=True)
class SourceFile:
    key: str
    display: str
    digest: str
    local: Callable[[], str] = field(compare=False, repr=False)
    data: bytes = field(compare=False, repr=False, default=b"")


@dataclass
class Side:
    """One side of the diff: a label (``old``, ``new`` or a revision) and its files by key.

    ``tree()`` gives a directory holding the side's whole tree as laid out in the repository (every
    file, not only manifests: kustomize reads generator inputs), and the paths under it to verify;
    units that are rendered (kustomizations, charts) are verified from there.
    """

    label: str
    files: dict[str, SourceFile]
    tree: Callable[[], tuple[str, list[str]]] | None = field(default=None, repr=False)


def _git_blob_id(data: bytes) -> str:
    """The id git gives these bytes, so disk files and blobs of a revision compare by digest."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def shown(path: str) -> str:
    """A file-system path as text that prints anywhere (undecodable bytes as ``\\xNN``)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _disk_file(key: str, path: str) -> SourceFile:
    with open(path, "rb") as fh:
        data = fh.read()
    return SourceFile(key, shown(path), _git_blob_id(data), lambda: path, data)


def path_side(path: str, label: str, file_key: str | None = None) -> Side:
    """A side read from a file or a directory (recursively, as ``cnverify prove`` reads it).

    A single file's key is its base name, or ``file_key`` (so two files compared pair up).
    """
    if not os.path.exists(path):
        raise UsageError(f"no such file or directory: {path}")
    files: dict[str, SourceFile] = {}
    if os.path.isdir(path):
        for f in iter_files([path]):
            key = shown(os.path.relpath(f, path).replace(os.sep, "/"))
            files[key] = _disk_file(key, f)
        return Side(label, files, lambda: (path, [path]))
    key = shown(file_key or os.path.basename(path))
    files[key] = _disk_file(key, path)
    return Side(label, files)


class Git:
    """A git work tree: the top-level directory and the current directory's prefix in it."""

    def __init__(self, cwd: str = ".") -> None:
        self.cwd = os.path.abspath(cwd)
        try:
            self.top = self.run("rev-parse", "--show-toplevel").decode().strip()
        except UsageError as exc:
            raise UsageError(f"--git needs a git work tree: {exc}") from exc

    def run(self, *args: str, top: bool = False) -> bytes:
        proc = subprocess.run(["git", *args], cwd=self.top if top else self.cwd, capture_output=True)
        if proc.returncode != 0:
            raise UsageError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout

    def pathspecs(self, paths: Iterable[str]) -> list[str]:
        """PATHS (relative to the current directory) as paths relative to the top level."""
        out = []
        for p in paths:
            rel = os.path.relpath(os.path.join(self.cwd, p), self.top).replace(os.sep, "/")
            if rel.startswith(".."):
                raise UsageError(f"path outside the repository: {p}")
            out.append(rel)
        return out

    def commit(self, rev: str) -> str:
        return self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()


def _wanted(key: str) -> bool:
    """The files ``cnverify prove`` would read in a directory: YAML/JSON, no hidden folders."""
    parts = key.split("/")
    return key.endswith(EXTENSIONS) and not any(p.startswith(".") for p in parts[:-1])


def rev_side(git: Git, rev: str, paths: list[str], scratch: str) -> Side:
    """The manifests of revision ``rev`` under ``paths`` (all of the tree when empty).

    Blobs are read with one ``git cat-file --batch`` and written below ``scratch`` when loaded.
    """
    try:
        git.commit(rev)
    except UsageError as exc:
        raise UsageError(f"unknown revision {rev!r}") from exc
    listing = git.run("ls-tree", "-r", "-z", "--full-tree", rev, "--", *git.pathspecs(paths), top=True)
    entries: list[tuple[str, str]] = []
    for rec in listing.split(b"\0"):
        if not rec:
            continue
        meta, _, name = rec.partition(b"\t")
        mode, kind, blob = meta.decode().split()
        key = tree_key(name)
        if kind == "blob" and mode != "120000" and _wanted(key):
            entries.append((key, blob))
    blobs = _cat_blobs(git, [b for _, b in entries])
    files = {
        key: SourceFile(key, f"{rev}:{key}", blob, _writer(scratch_path(scratch, blob, key), blobs[blob]), blobs[blob])
        for key, blob in entries
    }
    return Side(rev, files, lambda: _materialise(git, rev, paths, scratch))


def safe_relative(key: str) -> bool:
    """A tree path that stays inside the directory it is written to (no absolute, ``..``, NUL or ``\\``)."""
    parts = key.split("/")
    return (
        bool(key)
        and "\0" not in key
        and "\\" not in key
        and not key.startswith("/")
        and all(p not in ("", ".", "..") for p in parts)
    )


def _materialise(git: Git, rev: str, paths: list[str], scratch: str) -> tuple[str, list[str]]:
    """Write revision ``rev``'s regular files under ``paths`` below ``scratch`` at their repository
    paths (only :func:`safe_relative` ones; symlinks and submodules are not written)."""
    root = os.path.join(scratch, "tree-" + hashlib.sha1(rev.encode()).hexdigest()[:16])
    if not os.path.isdir(root):
        listing = git.run("ls-tree", "-r", "-z", "--full-tree", rev, "--", *git.pathspecs(paths), top=True)
        entries = []
        for rec in listing.split(b"\0"):
            meta, _, name = rec.partition(b"\t")
            if not rec or meta.split()[0] not in (b"100644", b"100755") or meta.split()[1] != b"blob":
                continue
            key = tree_key(name)
            if safe_relative(key) and key == name.decode("utf-8", "replace"):
                entries.append((key, meta.split()[2].decode()))
        blobs = _cat_blobs(git, [b for _, b in entries])
        for key, blob in entries:
            dest = os.path.join(root, *key.split("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "xb") as fh:
                fh.write(blobs[blob])
        os.makedirs(root, exist_ok=True)
    specs = git.pathspecs(paths) or ["."]
    return root, [os.path.join(root, *p.split("/")) if p != "." else root for p in specs]


def tree_key(name: bytes) -> str:
    """A tree entry's name as text: undecodable bytes shown as ``\\xNN`` (never an exception)."""
    return name.decode("utf-8", "backslashreplace")


def scratch_path(scratch: str, blob: str, key: str) -> str:
    """Where a blob is materialised: ``scratch/<blob id>/<digest of its name><extension>``.

    A crafted commit can name an entry ``/etc/cron.d/x.yaml`` or ``../../x.yaml``; the name is only
    ever displayed, never used as a path (the loader needs only the extension); one file per
    (blob, name), since spans map each local file back to one name.
    """
    ext = next((e for e in EXTENSIONS if key.endswith(e)), ".yaml")
    return os.path.join(scratch, blob, hashlib.sha1(key.encode()).hexdigest()[:20] + ext)


def _writer(path: str, data: bytes) -> Callable[[], str]:
    def local() -> str:
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(data)
        return path

    return local


def _cat_blobs(git: Git, blobs: list[str]) -> dict[str, bytes]:
    """Every blob's bytes, read with one ``git cat-file --batch``."""
    if not blobs:
        return {}
    unique = list(dict.fromkeys(blobs))
    out = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=git.top,
        input="\n".join(unique).encode() + b"\n",
        capture_output=True,
        check=True,
    ).stdout
    data: dict[str, bytes] = {}
    pos = 0
    for blob in unique:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        size = int(header[2])
        data[blob] = out[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
    return data


def worktree_side(git: Git, paths: list[str]) -> Side:
    """The working tree's manifests under ``paths``: tracked and untracked, not ignored, present."""
    listing = git.run(
        "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *git.pathspecs(paths), top=True
    )
    files: dict[str, SourceFile] = {}
    specs = git.pathspecs(paths)
    tree = (git.top, [os.path.join(git.top, p) for p in specs] or [git.top])
    for name in sorted(set(listing.split(b"\0"))):
        key = tree_key(name)
        full = os.path.join(os.fsencode(git.top), name).decode("utf-8", "surrogateescape")
        if key and _wanted(key) and os.path.isfile(full) and not os.path.islink(full):
            files[key] = _disk_file(key, os.path.relpath(full, git.cwd))
    return Side("working tree", files, lambda: tree)
