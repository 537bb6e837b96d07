"""Reading kustomization and Helm chart units: the adapter between unit discovery and rendering.

A kustomization unit is what ``kustomize build`` prints (``cnverify.kustomize_build.render``, spans
mapped to the source files), a chart what ``helm template`` prints (``cnverify.helm.render_chart``);
without the tool the unit is *not verified*, with the tool's install hint, never half-read from its
sources (docs/KUSTOMIZE.md). ``members`` / ``is_component`` parse kustomization files without
running kustomize, for discovery.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from cnverify import helm, kustomize, kustomize_build
from cnverify.kustomize import KUSTOMIZATION_FILES, kustomization_file
from cnverify.loader import LoadResult
from cnverify.rendering import NotVerified, Rendered

U = TypeVar("U")
__all__ = ["KUSTOMIZATION_FILES", "chart", "is_component", "kustomization_file", "members", "unit"]


def members(root: str) -> set[str]:
    """Absolute paths of every file the kustomization in ``root`` reads, nested ones included."""
    return {os.path.abspath(m) for m in kustomize.members(root)}


def is_component(directory: str) -> bool:
    """Whether the kustomization in ``directory`` is a Component (verified only through its users)."""
    return kustomize.is_component(directory)


def _from_rendered(kind: str, result: Rendered | NotVerified, make: Callable[..., U]) -> U:
    """A unit from the rendering layer's result."""
    if isinstance(result, NotVerified):
        return make(result.root, kind, not_verified=f"{result.reason}: {result.hint}")
    loaded = LoadResult(objects=list(result.objects), errors=list(result.errors))
    per_file: dict[str, int] = {}
    for raw in result.objects:
        per_file[raw.doc.file] = per_file.get(raw.doc.file, 0) + 1
    loaded.inputs = [{"file": f, "documents": n} for f, n in sorted(per_file.items())]
    return make(result.root, kind, loaded, namespace=result.namespace, tool=result.tool)


def chart(root: str, make: Callable[..., U], values: list[str]) -> U:
    """The unit of the Helm chart in ``root``: rendered with ``helm template`` or not verified."""
    return _from_rendered("chart", helm.render_chart(root, values), make)


def unit(root: str, make: Callable[..., U]) -> U:
    """The unit of the kustomization in ``root``: what ``kustomize build`` renders, or not verified."""
    return _from_rendered("kustomization", kustomize_build.render(root), make)
