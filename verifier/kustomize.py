"""Kustomize patch files: partial objects that must not be verified as if they were manifests.

A strategic-merge or JSON 6902 patch listed in a folder's ``kustomization.yaml`` is a fragment
(``kind: Deployment`` with only the fields it changes, or ``$patch: delete``); verifying it as an
object gives false alarms (no selector, no template). Such files are skipped and reported as
skipped in the run's inputs, never silently dropped. Run ``kustomize build`` and verify its output
to check the patched result.

:func:`walk` / :func:`members` read a kustomization tree without running kustomize (which files a
unit owns); ``cnverify.kustomize_build`` renders it with the real kustomize.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml
from cnverify.errors import InputError, Span
from cnverify.source import MAX_FILE_BYTES, Document, compose, decode

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def _patch_paths(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return []
    out = [p for p in data.get("patchesStrategicMerge") or [] if isinstance(p, str) and "\n" not in p]
    for key in ("patches", "patchesJson6902"):
        out += [e["path"] for e in data.get(key) or [] if isinstance(e, dict) and isinstance(e.get("path"), str)]
    return out


@lru_cache(maxsize=1024)
def patch_files(directory: str) -> dict[str, str]:
    """``{normalised path: reason}`` for the patch files the kustomization in ``directory`` lists."""
    for name in KUSTOMIZATION_FILES:
        kfile = os.path.join(directory, name)
        if not os.path.isfile(kfile):
            continue
        try:
            with open(kfile, "rb") as fh:
                data = yaml.load(fh.read(1 << 20), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except (OSError, yaml.YAMLError):
            return {}
        return {
            os.path.normpath(os.path.join(directory, p)): f"a kustomize patch listed in {kfile}"
            for p in _patch_paths(data)
        }
    return {}


def skip_reason(path: str) -> str | None:
    """Why ``path`` is not verified as manifests (a listed kustomize patch), or None."""
    if path == "-":
        return None
    return patch_files(os.path.dirname(os.path.abspath(path)) or ".").get(os.path.normpath(os.path.abspath(path)))


# ---- the files a kustomization reads, without running kustomize ----------------------------------

_REMOTE = re.compile(r"^(https?|git|ssh|file|s3|gs)://|^git@|^(github|gitlab|bitbucket)\.(com|org)/|\?ref=|\?version=")
_GENERATOR_KEYS = ("configMapGenerator", "secretGenerator")
_DIR_KEYS = ("resources", "bases", "components", "generators", "transformers", "validators")
_FILE_LIST_KEYS = ("crds", "configurations")


@dataclass
class Tree:
    """A kustomization and everything it reads: the result of :func:`walk`."""

    root: str  # the kustomization directory, normalised (paths below keep its style: relative stays relative)
    kustomizations: dict[str, Document] = field(default_factory=dict)  # kustomization file → composed document
    files: set[str] = field(default_factory=set)  # normalised paths of every file read
    remote: list[InputError] = field(default_factory=list)  # remote references (never fetched)
    errors: list[InputError] = field(default_factory=list)  # unreadable kustomizations, absent files

    def absolute_files(self) -> set[str]:
        """``files`` as absolute paths (how units compare file identities)."""
        return {os.path.abspath(f) for f in self.files}


def kustomization_file(directory: str) -> str | None:
    """The kustomization file of ``directory`` (kustomize's own file names), or None."""
    for name in KUSTOMIZATION_FILES:
        if os.path.isfile(os.path.join(directory, name)):
            return os.path.join(directory, name)
    return None


def is_component(directory: str) -> bool:
    """Whether ``directory`` holds a ``kind: Component`` kustomization (built only through its users)."""
    kfile = kustomization_file(directory)
    doc = read_kustomization(kfile, []) if kfile else None
    return doc is not None and doc.data.get("kind") == "Component"


def is_remote(ref: str) -> bool:
    """Whether a resource/base reference names a remote location (git or URL), as kustomize reads it."""
    return bool(_REMOTE.search(ref))


def walk(root: str) -> Tree:
    """Parse the kustomization in ``root`` and every kustomization it includes (no kustomize run)."""
    tree = Tree(os.path.normpath(root))
    _visit(tree.root, tree, None)
    return tree


def members(root: str) -> set[str]:
    """Absolute, normalised paths of every file the kustomization in ``root`` reads (resources,
    patches, components, generator inputs, nested kustomizations); remote references are not files."""
    return walk(root).absolute_files()


def _visit(directory: str, tree: Tree, at: Span | None) -> None:
    kfile = kustomization_file(directory)
    if kfile is None:
        if at is not None:
            tree.errors.append(InputError(at, f"no kustomization file in {directory}"))
        return
    kfile = os.path.normpath(kfile)
    if kfile in tree.kustomizations:
        return
    tree.files.add(kfile)
    doc = read_kustomization(kfile, tree.errors)
    if doc is None:
        return
    tree.kustomizations[kfile] = doc
    data = doc.data
    for key in _DIR_KEYS:
        for i, ref in _strings(data.get(key)):
            _reference(directory, ref, doc.span((key, i)), tree, key)
    for key in _FILE_LIST_KEYS:
        for i, ref in _strings(data.get(key)):
            _file(directory, ref, doc.span((key, i)), tree)
    for i, ref in _strings(data.get("patchesStrategicMerge")):
        if "\n" not in ref:
            _file(directory, ref, doc.span(("patchesStrategicMerge", i)), tree)
    for key in ("patches", "patchesJson6902", "replacements"):
        for i, entry in _entries(data.get(key)):
            if isinstance(entry.get("path"), str):
                _file(directory, entry["path"], doc.span((key, i, "path")), tree)
    if isinstance(data.get("openapi"), dict) and isinstance(data["openapi"].get("path"), str):
        _file(directory, data["openapi"]["path"], doc.span(("openapi", "path")), tree)
    for key in _GENERATOR_KEYS:
        for i, gen in _entries(data.get(key)):
            for j, ref in _strings(gen.get("files")):
                _file(directory, ref.split("=", 1)[-1], doc.span((key, i, "files", j)), tree)
            for j, ref in _strings(gen.get("envs")):
                _file(directory, ref, doc.span((key, i, "envs", j)), tree)
            if isinstance(gen.get("env"), str):
                _file(directory, gen["env"], doc.span((key, i, "env")), tree)


def _reference(directory: str, ref: str, at: Span, tree: Tree, key: str) -> None:
    """A resources/bases/components/plugin entry: a file, a kustomization directory or remote."""
    if is_remote(ref):
        tree.remote.append(
            InputError(
                at,
                f"remote {key} entry {ref!r} is not fetched (cnverify never "
                "uses the network); vendor it or render the unit yourself",
            )
        )
        return
    path = os.path.normpath(os.path.join(directory, ref))
    if os.path.isdir(path):
        _visit(path, tree, at)
    else:
        _file(directory, ref, at, tree)


def _file(directory: str, ref: str, at: Span, tree: Tree) -> None:
    path = os.path.normpath(os.path.join(directory, ref))
    if os.path.isfile(path):
        tree.files.add(path)
    else:
        tree.errors.append(InputError(at, f"{ref!r}: no such file"))


def read_kustomization(kfile: str, errors: list[InputError]) -> Document | None:
    """The composed kustomization document (spans for every field), or None with a located error."""
    try:
        with open(kfile, "rb") as fh:
            text, err = decode(fh.read(MAX_FILE_BYTES + 1), kfile)
    except OSError as exc:
        text, err = None, InputError(Span(kfile, 1, 1), f"cannot read file: {exc.strerror}")
    docs = [] if text is None else list(compose(text, kfile))
    bad = [d for d in docs if isinstance(d, InputError)]
    if err or bad:
        errors.append(err or bad[0])
        return None
    first = docs[0] if docs else None
    if not isinstance(first, Document) or not isinstance(first.data, dict):
        errors.append(
            InputError(
                Span(kfile, 1, 1),
                "a kustomization must be a YAML mapping"
                if docs
                else "the kustomization is empty (kustomize refuses to build it)",
            )
        )
        return None
    return first


def _strings(value: Any) -> list[tuple[int, str]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str)] if isinstance(value, list) else []


def _entries(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []
