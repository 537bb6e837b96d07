"""Kustomization units: the adapter between unit discovery and kustomize rendering.

``members(root)`` lists every file a kustomization reads (its kustomization files, resources,
components, patches, generator inputs), so that none is read again as a loose manifest.
``unit(root)`` reads the unit's objects: the ``resources`` files through nested bases and
components, with the root's ``namespace:`` as the unit namespace. Patches and transformers are
not applied here (kustomize rendering does that: ``cnverify.kustomize``); remote resources are
an input error (never fetched).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from cnverify.errors import InputError, Span
from cnverify.kustomize import KUSTOMIZATION_FILES
from cnverify.loader import LoadResult, load_file

U = TypeVar("U")
FILE_KEYS = ("patchesStrategicMerge", "crds", "configurations", "openapi")
ENTRY_KEYS = ("patches", "patchesJson6902")
GENERATOR_KEYS = ("configMapGenerator", "secretGenerator")


def kustomization_file(directory: str) -> str | None:
    """The kustomization file of ``directory``, or None."""
    for name in KUSTOMIZATION_FILES:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def _read(kfile: str) -> dict[str, Any]:
    try:
        with open(kfile, "rb") as fh:
            data = yaml.load(fh.read(1 << 20), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _remote(ref: str) -> bool:
    return "://" in ref or ref.startswith(("github.com/", "git@", "gitlab.com/", "bitbucket.org/"))


def _walk(directory: str, visit: Callable[[str, str, dict[str, Any]], None], seen: set[str]) -> None:
    """Call ``visit(directory, kfile, data)`` for this kustomization and each it includes (once each)."""
    d = os.path.abspath(directory)
    kfile = kustomization_file(d)
    if d in seen or kfile is None:
        return
    seen.add(d)
    data = _read(kfile)
    visit(d, kfile, data)
    for ref in _strings(data.get("resources")) + _strings(data.get("bases")) + _strings(data.get("components")):
        target = os.path.normpath(os.path.join(d, ref))
        if not _remote(ref) and os.path.isdir(target):
            _walk(target, visit, seen)


def members(root: str) -> set[str]:
    """Absolute paths of every file the kustomization in ``root`` reads, nested ones included."""
    out: set[str] = set()

    def visit(d: str, kfile: str, data: dict[str, Any]) -> None:
        out.add(kfile)
        refs = _strings(data.get("resources")) + [p for k in FILE_KEYS for p in _strings(data.get(k))]
        refs += [e["path"] for k in ENTRY_KEYS for e in data.get(k) or [] if isinstance(e, dict)
                 and isinstance(e.get("path"), str)]
        for g in (e for k in GENERATOR_KEYS for e in data.get(k) or [] if isinstance(e, dict)):
            refs += [f.split("=", 1)[-1] for f in _strings(g.get("files")) + _strings(g.get("envs"))]
        out.update(os.path.normpath(os.path.join(d, r)) for r in refs if not _remote(r)
                   and os.path.isfile(os.path.join(d, r)))

    _walk(root, visit, set())
    return out


def unit(root: str, make: Callable[..., U]) -> U:
    """The unit of the kustomization in ``root``: its resources' objects and its namespace."""
    loaded = LoadResult()
    top = _read(kustomization_file(root) or "")
    read: set[str] = set()

    def visit(d: str, kfile: str, data: dict[str, Any]) -> None:
        for ref in _strings(data.get("resources")) + _strings(data.get("bases")):
            path = os.path.normpath(os.path.join(d, ref))
            if _remote(ref):
                loaded.errors.append(InputError(Span(kfile, 1, 1), f"remote resource {ref!r} is not fetched; "
                                                "the unit is incomplete"))
            elif os.path.isfile(path) and os.path.realpath(path) not in read:
                read.add(os.path.realpath(path))
                loaded.extend(load_file(os.path.relpath(path) if not os.path.isabs(root) else path,
                                        skip_patches=False))
            elif not os.path.exists(path):
                loaded.errors.append(InputError(Span(kfile, 1, 1), f"resource {ref!r} does not exist"))

    _walk(root, visit, set())
    ns = top.get("namespace")
    return make(root, "kustomization", loaded, namespace=ns if isinstance(ns, str) and ns else None)
