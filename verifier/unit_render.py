"""Reading kustomization and Helm chart units: the adapter between unit discovery and rendering.

When the rendering layer is installed (``cnverify.kustomize_build.render``, ``cnverify.helm``), a
kustomization unit is what ``kustomize build`` prints (spans mapped to the source files) and a chart
what ``helm template`` prints; without the tool the unit is *not verified*, with the tool's install
hint, never half-read. Without the rendering layer, a kustomization unit is read from its
``resources`` files through nested bases (patches and transformers not applied) with the root's
``namespace:`` as the unit namespace, and a chart is not verified.

``members(root)`` lists every file a kustomization reads (its kustomization files, resources,
components, patches, generator inputs), so that none is read again as a loose manifest.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from cnverify import kustomize
from cnverify.errors import InputError, Span
from cnverify.kustomize import KUSTOMIZATION_FILES
from cnverify.loader import LoadResult, load_file

try:  # the rendering layer (kustomize build / helm template), when present
    from cnverify import helm, kustomize_build
    from cnverify.rendering import NotVerified
except ImportError:  # pragma: no cover - depends on the installed version
    helm = kustomize_build = None  # type: ignore[assignment]

U = TypeVar("U")
FILE_KEYS = ("patchesStrategicMerge", "crds", "configurations", "transformers", "generators", "validators")
ENTRY_KEYS = ("patches", "patchesJson6902", "replacements")
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


def is_component(directory: str) -> bool:
    """Whether the kustomization in ``directory`` is a Component (verified only through its users)."""
    return _read(kustomization_file(directory) or "").get("kind") == "Component"


def members(root: str) -> set[str]:
    """Absolute paths of every file the kustomization in ``root`` reads, nested ones included."""
    if hasattr(kustomize, "members"):
        return {os.path.abspath(m) for m in kustomize.members(root)}
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


def _from_rendered(kind: str, result: Any, make: Callable[..., U]) -> U:
    """A unit from the rendering layer's result (``Rendered`` or ``NotVerified``)."""
    if isinstance(result, NotVerified):
        return make(result.root, kind, not_verified=f"{result.reason}: {result.hint}")
    loaded = LoadResult(objects=list(result.objects), errors=list(result.errors))
    per_file: dict[str, int] = {}
    for raw in result.objects:
        per_file[raw.doc.file] = per_file.get(raw.doc.file, 0) + 1
    loaded.inputs = [{"file": f, "documents": n} for f, n in sorted(per_file.items())]
    return make(result.root, kind, loaded, namespace=result.namespace, tool=result.tool)


def chart(root: str, make: Callable[..., U], values: list[str], hint: str) -> U:
    """The unit of the Helm chart in ``root``: rendered with ``helm template`` or not verified."""
    if helm is None:
        return make(root, "chart", not_verified=hint)
    return _from_rendered("chart", helm.render_chart(root, values), make)


def unit(root: str, make: Callable[..., U]) -> U:
    """The unit of the kustomization in ``root``: its resources' objects and its namespace."""
    if kustomize_build is not None:
        return _from_rendered("kustomization", kustomize_build.render(root), make)
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
