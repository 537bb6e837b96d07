"""Deployment units: the parts of a repository that are each applied to a cluster on their own.

A repository is not one cluster. ``--unit auto`` (the default) splits the files under the
arguments into units, each verified as its own cluster view (docs/UNITS.md):

1. a **Helm chart** (a folder with ``Chart.yaml``) is one unit; nothing under it is read as
   manifests (``templates/`` are Go templates, not YAML);
2. a **kustomization root** (a folder with ``kustomization.yaml|yml`` / ``Kustomization``) that no
   other kustomization under the arguments includes is one unit (an overlay; a base nobody includes
   is its own unit); everything under a kustomization folder, and every file a kustomization reads,
   is read only through kustomize, never as loose manifests;
3. of the remaining files, a **manifest folder** is one that directly holds a file with at least one
   object (or a file that could not be read); each topmost manifest folder is one unit with every
   remaining file below it. So sibling folders (provider variants, examples) are separate units,
   an ``install.yaml`` is a unit apart from the kustomize ``base/`` beside it, and a folder's
   subfolders of the same application stay together;
4. files named on the command line (and ``-``) together form one unit, as ``kubectl apply -f a -f b``.

``--unit cluster`` reads everything as one cluster; ``--unit file`` makes each file its own unit.
Units and files are in canonical (sorted) order, so argument order never changes the output.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO

from cnverify import kustomize_units
from cnverify.kustomize import skip_reason
from cnverify.loader import LoadResult, Walk, load_file, path_key, walk

MODES = ("auto", "cluster", "file")
CHART_FILE = "Chart.yaml"
HELM_HINT = "a Helm chart is not read as manifests; render it first: helm template NAME {root} | cnverify prove -"


@dataclass
class Unit:
    """One unit: its name (a path), how it was found, what was read, and its namespace if fixed."""

    name: str
    kind: str  # kustomization | chart | manifests | files | cluster | file
    loaded: LoadResult = field(default_factory=LoadResult)
    namespace: str | None = None  # set by the kustomization (``namespace:``); else --namespace or unnamed
    not_verified: str | None = None  # why the unit was not read (a Helm chart, no kustomize)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "files": len(self.loaded.inputs),
                               "objects": len(self.loaded.objects), "errors": len(self.loaded.errors)}
        if self.namespace:
            out["namespace"] = self.namespace
        if self.not_verified:
            out["not_verified"] = self.not_verified
        return out


@dataclass
class Discovery:
    """The units found under the arguments and what belongs to none of them."""

    units: list[Unit] = field(default_factory=list)
    rest: LoadResult = field(default_factory=LoadResult)  # walk errors, skipped files, files of no unit


def discover(paths: Iterable[str], mode: str = "auto", excluded: Callable[[str], bool] | None = None,
             stdin: TextIO | BinaryIO | None = None) -> Discovery:
    """Split the inputs into units (see the module docstring); every file is read at most once."""
    found = walk(paths, excluded)
    out = Discovery(rest=LoadResult(errors=list(found.errors), inputs=list(found.skipped)))
    if mode == "cluster":
        unit = Unit("(cluster)", "cluster")
        for f in found.files:
            unit.loaded.extend(load_file(f, stdin))
        out.units.append(unit)
        return out
    if mode == "file":
        for f in found.files:
            out.units.append(Unit(f if f != "-" else "<stdin>", "file", load_file(f, stdin)))
        return out
    _auto(found, stdin, out)
    out.units.sort(key=lambda u: path_key(u.name))
    return out


def _auto(found: Walk, stdin: TextIO | BinaryIO | None, out: Discovery) -> None:
    explicit = [f for f in found.files if found.roots[f] == f]
    in_dirs = [f for f in found.files if found.roots[f] != f]
    dirs = _folders(in_dirs, found.roots)
    charts = sorted({d for d in dirs if os.path.isfile(os.path.join(d, CHART_FILE))}
                    | {c for r in {found.roots[f] for f in in_dirs} if (c := _enclosing_chart(r))}, key=path_key)
    kdirs = [d for d in dirs if kustomize_units.kustomization_file(d) and not _under_any(d, charts)]
    trees = {d: kustomize_units.members(d) for d in kdirs}
    included = {os.path.dirname(m) for d, ms in trees.items() for m in ms
                if os.path.basename(m) in kustomize_units.KUSTOMIZATION_FILES and os.path.dirname(m) != os.path.abspath(d)}
    owned = {m for ms in trees.values() for m in ms}
    for c in charts:
        out.units.append(Unit(c, "chart", not_verified=HELM_HINT.format(root=c)))
    for d in kdirs:
        if os.path.abspath(d) not in included:
            out.units.append(kustomize_units.unit(d, Unit))
    owners = charts + kdirs
    read = {os.path.realpath(i["file"]) for u in out.units for i in u.loaded.inputs}
    loose: dict[str, LoadResult] = {}
    for f in in_dirs:
        if _under_any(f, owners) or os.path.abspath(f) in owned:
            if os.path.realpath(f) not in read and os.path.basename(f) not in kustomize_units.KUSTOMIZATION_FILES:
                out.rest.inputs.append({"file": f, "documents": 0, "skipped": _owner_reason(f, charts, kdirs, owned)})
        else:
            loose[f] = load_file(f, stdin)
    manifest_dirs = sorted({os.path.dirname(f) for f, r in loose.items() if r.objects or r.errors}, key=path_key)
    by_root: dict[str, Unit] = {}
    for f, res in loose.items():
        root = next((d for d in manifest_dirs if _under(f, d) and _under(d, found.roots[f])), None)
        if root is None:
            out.rest.extend(res)  # no objects here or above: its documents are listed as unrecognized
            continue
        by_root.setdefault(root, Unit(root, "manifests")).loaded.extend(res)
    out.units += by_root.values()
    if explicit:
        name = explicit[0] if len(explicit) == 1 else "(command line)"
        unit = Unit(name if name != "-" else "<stdin>", "files")
        for f in explicit:
            unit.loaded.extend(load_file(f, stdin))
        out.units.append(unit)


def _enclosing_chart(arg: str) -> str | None:
    """The Helm chart folder above an argument (``cnverify prove chart/templates``), or None."""
    d = os.path.dirname(os.path.abspath(arg))
    while d != os.path.dirname(d):
        if os.path.isfile(os.path.join(d, CHART_FILE)):
            return d if os.path.isabs(arg) else os.path.relpath(d)
        if os.path.exists(os.path.join(d, ".git")):
            return None
        d = os.path.dirname(d)
    return None


def _folders(files: list[str], roots: dict[str, str]) -> list[str]:
    """Every folder from each file's argument down to the file, sorted."""
    out: set[str] = set()
    for f in files:
        d, top = os.path.dirname(f), os.path.normpath(roots[f])
        while True:
            out.add(d)
            if os.path.normpath(d) == top or not d or d == os.path.dirname(d):
                break
            d = os.path.dirname(d)
    return sorted(out, key=path_key)


def _under(path: str, folder: str) -> bool:
    p, f = os.path.normpath(path), os.path.normpath(folder)
    return f == "." and not p.startswith("..") or p == f or p.startswith(f.rstrip(os.sep) + os.sep)


def _under_any(path: str, folders: list[str]) -> bool:
    return any(_under(path, d) for d in folders)


def _owner_reason(f: str, charts: list[str], kdirs: list[str], owned: set[str]) -> str:
    chart = next((c for c in charts if _under(f, c)), None)
    if chart is not None:
        return f"part of the Helm chart {chart} (not read as manifests)"
    patch = skip_reason(f)
    if patch:
        return patch
    if os.path.abspath(f) in owned:
        return "read by a kustomization, not as a manifest"
    kdir = max((d for d in kdirs if _under(f, d)), key=len)
    return f"inside the kustomization folder {kdir}, which does not list it (kustomize never reads it)"


def definition(unit: Unit) -> str:
    """The file that defines a unit (its Chart.yaml or kustomization file), else its name."""
    if unit.kind == "chart":
        return os.path.join(unit.name, CHART_FILE)
    if unit.kind == "kustomization":
        return kustomize_units.kustomization_file(unit.name) or unit.name
    return unit.name
