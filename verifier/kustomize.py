"""Kustomize patch files: partial objects that must not be verified as if they were manifests.

A strategic-merge or JSON 6902 patch listed in a folder's ``kustomization.yaml`` is a fragment
(``kind: Deployment`` with only the fields it changes, or ``$patch: delete``); verifying it as an
object gives false alarms (no selector, no template). Such files are skipped and reported as
skipped in the run's inputs, never silently dropped. Run ``kustomize build`` and verify its output
to check the patched result.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import yaml

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
        return {os.path.normpath(os.path.join(directory, p)): f"a kustomize patch listed in {kfile}"
                for p in _patch_paths(data)}
    return {}


def skip_reason(path: str) -> str | None:
    """Why ``path`` is not verified as manifests (a listed kustomize patch), or None."""
    if path == "-":
        return None
    return patch_files(os.path.dirname(os.path.abspath(path)) or ".").get(os.path.normpath(os.path.abspath(path)))
