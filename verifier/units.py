"""Deployment units: the parts of a repository that are each applied to a cluster on their own.

A repository is not one cluster. ``--unit auto`` (the default) splits the files under the
arguments into units, each verified as its own cluster view (docs/UNITS.md):

1. a **Helm chart** (a folder with ``Chart.yaml``) is one unit, rendered with ``helm template``
   (``--helm-values``) or not verified; nothing under it is read as manifests;
2. a **kustomization root** (a folder with ``kustomization.yaml|yml`` / ``Kustomization``) that no
   other kustomization under the arguments includes is one unit (an overlay; a base nobody includes
   is its own unit; a Component never is), rendered with ``kustomize build``; everything under a
   kustomization folder, and every file a kustomization reads, is read only through kustomize,
   never as loose manifests;
3. of the remaining files, a **manifest folder** is one that directly holds a file with at least one
   object (or a file that could not be read); each topmost manifest folder is one unit with every
   remaining file below it, except a manifest folder that redefines an object of the unit above it
   (an alternative bundle), which starts its own unit; likewise a file that defines an object another
   file of its folder defines (``install.yaml`` beside ``namespace-install.yaml``) is a unit of its own
   (kind ``bundle``). So sibling folders (provider variants,
   examples) are separate units, an ``install.yaml`` is a unit apart from the kustomize ``base/``
   beside it, and a folder's subfolders of the same application stay together;
4. files named on the command line (and ``-``) together form one unit, as ``kubectl apply -f a -f b``
   (a named ``kustomization.yaml`` or ``Chart.yaml`` stands for its folder's unit).

``--unit cluster`` reads everything as one cluster; ``--unit file`` makes each file its own unit.
Units and the files of a folder are in canonical (sorted) order; files named on the command line keep
their order (the later definition of an object wins, as with ``kubectl apply -f a -f b``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO

from cnverify import unit_render
from cnverify.loader import LoadResult, RawObject, Walk, load_file, path_key, walk
from cnverify.model.base import group_of

MODES = ("auto", "cluster", "file")
CHART_FILE = "Chart.yaml"
RENDERED_FILES = (CHART_FILE, *unit_render.KUSTOMIZATION_FILES)  # a file argument that names a unit


@dataclass
class Unit:
    """One unit: its name (a path), how it was found, what was read, and its namespace if fixed."""

    name: str
    kind: str  # kustomization | chart | manifests | bundle | files | cluster | file
    loaded: LoadResult = field(default_factory=LoadResult)
    namespace: str | None = None  # set by the kustomization (``namespace:``); else --namespace or unnamed
    not_verified: str | None = None  # why the unit was not read (a Helm chart, no kustomize)
    tool: str = ""  # the renderer that produced it (kustomize, helm template), if any
    why: str = ""  # why it is a unit of its own, when the layout alone does not say (an alternative bundle)
    alternatives: dict[str, list[RawObject]] = field(default_factory=dict)  # files of its folder verified apart

    def __post_init__(self) -> None:
        if not self.name.startswith(("(", "<")):
            self.name = os.path.normpath(self.name)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "files": len(self.loaded.inputs),
            "objects": len(self.loaded.objects),
            "errors": len(self.loaded.errors),
        }
        if self.namespace:
            out["namespace"] = self.namespace
        if self.not_verified:
            out["not_verified"] = self.not_verified
        if self.tool:
            out["tool"] = self.tool
        if self.why:
            out["why"] = self.why
        return out


@dataclass
class Discovery:
    """The units found under the arguments and what belongs to none of them."""

    units: list[Unit] = field(default_factory=list)
    rest: LoadResult = field(default_factory=LoadResult)  # walk errors, skipped files, files of no unit


def discover(
    paths: Iterable[str],
    mode: str = "auto",
    excluded: Callable[[str], bool] | None = None,
    stdin: TextIO | BinaryIO | None = None,
    helm_values: list[str] | None = None,
) -> Discovery:
    """Split the inputs into units (see the module docstring); every file is read at most once."""
    found = walk(paths, excluded)
    out = Discovery(rest=LoadResult(inputs=list(found.skipped)))
    if mode == "cluster":
        unit = Unit("(cluster)", "cluster", LoadResult(errors=list(found.errors)))
        for f in found.files:
            unit.loaded.extend(load_file(f, stdin))
        out.units.append(unit)
        return out
    if mode == "file":
        out.rest.errors += found.errors
        for f in found.files:
            out.units.append(Unit(f if f != "-" else "<stdin>", "file", load_file(f, stdin)))
        return out
    _auto(found, stdin, out, helm_values or [])
    out.units.sort(key=lambda u: path_key(u.name))
    for e in found.errors:  # a file the walk could not read leaves its unit incomplete
        home = [u for u in out.units if u.kind in ("manifests", "kustomization") and _under(e.location.file, u.name)]
        (max(home, key=lambda u: len(u.name)).loaded if home else out.rest).errors.append(e)
    return out


def _auto(found: Walk, stdin: TextIO | BinaryIO | None, out: Discovery, helm_values: list[str]) -> None:
    explicit = [f for f in found.files if found.roots[f] == f]
    in_dirs = [f for f in found.files if found.roots[f] != f]
    dirs = _folders(in_dirs, found.roots)
    named = [os.path.dirname(f) or "." for f in explicit if os.path.basename(f) in RENDERED_FILES]
    explicit = [f for f in explicit if os.path.basename(f) not in RENDERED_FILES]  # a unit named by its file
    charts = sorted(
        {d for d in dirs + named if os.path.isfile(os.path.join(d, CHART_FILE))}
        | {c for r in {found.roots[f] for f in in_dirs} if (c := _enclosing_chart(r))},
        key=path_key,
    )
    kdirs = [d for d in dict.fromkeys(dirs + named) if unit_render.kustomization_file(d) and not _under_any(d, charts)]
    owned = _rendered_units(charts, kdirs, helm_values, out)
    loose: dict[str, LoadResult] = {}
    for f in in_dirs:
        if os.path.abspath(f) in owned or _under_any(f, charts):
            continue  # read by its kustomization or chart (if that unit is not verified, a warning says so)
        if _under_any(f, kdirs):
            if os.path.basename(f) not in unit_render.KUSTOMIZATION_FILES:
                kdir = max((d for d in kdirs if _under(f, d)), key=len)
                out.rest.inputs.append(
                    {
                        "file": f,
                        "documents": 0,
                        "skipped": f"inside the kustomization folder "
                        f"{kdir}, which does not list it (kustomize never reads it)",
                    }
                )
        else:
            loose[f] = load_file(f, stdin)
    _manifest_units(loose, found.roots, out)
    if explicit:
        name = explicit[0] if len(explicit) == 1 else "(command line)"
        unit = Unit(name if name != "-" else "<stdin>", "files")
        for f in explicit:
            unit.loaded.extend(load_file(f, stdin))
        out.units.append(unit)


def _rendered_units(charts: list[str], kdirs: list[str], helm_values: list[str], out: Discovery) -> set[str]:
    """Add the chart units and the kustomization roots (those no other includes); the files they own."""
    trees = {d: unit_render.members(d) for d in kdirs}
    included = {
        os.path.dirname(m)
        for d, ms in trees.items()
        for m in ms
        if os.path.basename(m) in unit_render.KUSTOMIZATION_FILES and os.path.dirname(m) != os.path.abspath(d)
    }
    for c in charts:
        out.units.append(unit_render.chart(c, Unit, helm_values))
    for d in kdirs:
        if os.path.abspath(d) not in included and not unit_render.is_component(d):
            out.units.append(unit_render.unit(d, Unit))
    return {m for ms in trees.values() for m in ms}


def _manifest_units(loose: dict[str, LoadResult], args: dict[str, str], out: Discovery) -> None:
    """Group loose files into manifest-folder units; files under no manifest folder go to ``out.rest``.

    Each unit also records its *alternatives*: what may be applied with it although it is verified apart
    (an example folder) — for a folder's unit, the bundles below it; for a bundle, its folder's unit and
    the bundles of that unit that redefine none of its objects (``cnverify.unit_alternatives``)."""
    by_dir: dict[str, list[str]] = {}
    for f in loose:
        by_dir.setdefault(os.path.dirname(f), []).append(f)
    ids = {f: _identities(loaded) for f, loaded in loose.items()}  # each file's, computed once
    bundles = _bundles(by_dir, ids)
    roots = sorted(_manifest_roots(by_dir, loose, args, bundles, ids), key=lambda r: -len(path_key(r)))  # deepest first
    by_root: dict[str, Unit] = {}
    bundle_units: list[tuple[Unit, str, set[tuple[str, ...]]]] = []  # with the folder (its unit's root, else its
    # own) they belong to and their identities
    for d in sorted(by_dir, key=path_key):
        root = next((r for r in roots if _under(d, r) and _under(r, args[by_dir[d][0]])), None)
        for f in by_dir[d]:
            if f in bundles:
                bundle_units.append((Unit(f, "bundle", loose[f], why=bundles[f]), root or d, ids[f]))
            elif root is None:
                out.rest.extend(loose[f])  # no objects here or above: its documents are listed as unrecognized
            else:
                by_root.setdefault(root, Unit(root, "manifests")).loaded.extend(loose[f])
    for unit, home, mine in bundle_units:
        if home in by_root:
            by_root[home].alternatives[unit.name] = unit.loaded.objects
            unit.alternatives[home] = by_root[home].loaded.objects
        for other, where, theirs in bundle_units:
            if where == home and other is not unit and not mine & theirs:
                unit.alternatives[other.name] = other.loaded.objects
        out.units.append(unit)
    out.units += by_root.values()


def _bundles(by_dir: dict[str, list[str]], ids: dict[str, set[tuple[str, ...]]]) -> dict[str, str]:
    """Alternative bundles: files of a folder that define an object (same API group, kind, namespace,
    name) that another file of the same folder defines too (``install.yaml`` beside
    ``namespace-install.yaml``); each is a unit of its own. By file, why."""
    out: dict[str, str] = {}
    for files in by_dir.values():
        for f in files:
            for g in files:
                shared = sorted(ids[f] & ids[g]) if g != f else []
                if shared:
                    _, kind, ns, name = shared[0]
                    out[f] = (
                        f"an alternative bundle: it defines {kind}/{ns + '/' if ns else ''}{name}, as "
                        f"{os.path.basename(g)} in the same folder does (verified on its own)"
                    )
                    break
    return out


def _manifest_roots(
    by_dir: dict[str, list[str]],
    loose: dict[str, LoadResult],
    args: dict[str, str],
    bundles: dict[str, str],
    ids: dict[str, set[tuple[str, ...]]],
) -> set[str]:
    """Unit roots among manifest folders: the topmost ones, and a folder that redefines an object of the
    unit above it (an alternative, e.g. ``provider/aws/nlb`` inside ``provider/aws``). Alternative
    bundles (files that are units of their own) count for neither."""
    roots: set[str] = set()
    held: dict[str, set[tuple[str, ...]]] = {}  # root → identities of its objects so far
    for d in sorted(by_dir, key=path_key):
        own = [f for f in by_dir[d] if f not in bundles]
        if not any(loose[f].objects or loose[f].errors for f in own):
            continue
        mine = set().union(*(ids[f] for f in own))
        above = max((r for r in roots if _under(d, r) and _under(r, args[by_dir[d][0]])), key=len, default=None)
        if above is None or held[above] & mine:
            roots.add(d)
            held[d] = set(mine)
        else:
            held[above] |= mine
    return roots


def _identities(loaded: LoadResult) -> set[tuple[str, ...]]:
    return _identities_of(loaded.objects)


def _identities_of(objects: Iterable[RawObject]) -> set[tuple[str, ...]]:
    return {i for o in objects if (i := _identity(o.data, o.api_version, o.kind)) is not None}


MAX_ALTERNATIVE_SETS = 8  # combinations tried per unit (each re-runs the violated properties)
MAX_ALTERNATIVES = 48  # a folder of more alternatives is a folder of independent cases (test data): none tried


def alternative_sets(unit: Unit) -> list[list[str]]:
    """Combinations of ``unit.alternatives`` that may be applied with it together, such that each alternative
    is in one (at most ``MAX_ALTERNATIVE_SETS``; none past ``MAX_ALTERNATIVES``): alternatives that redefine each other's objects are never
    in one combination, and each combination takes, in order, every alternative not yet in a combination that
    fits, then every other that fits (so a reference into one alternative finds what that one needs in others)."""
    names = sorted(unit.alternatives, key=path_key)
    if len(names) > MAX_ALTERNATIVES:
        return []
    ids = {n: _identities_of(unit.alternatives[n]) for n in names}
    out: list[list[str]] = []
    uncovered = list(names)
    while uncovered and len(out) < MAX_ALTERNATIVE_SETS:
        chosen: list[str] = []
        used: set[tuple[str, ...]] = set()
        for n in uncovered + [n for n in names if n not in uncovered]:
            if not used & ids[n]:
                chosen.append(n)
                used |= ids[n]
        out.append(chosen)
        uncovered = [n for n in uncovered if n not in chosen]
    return out


def _identity(data: Any, api_version: str, kind: str) -> tuple[str, ...] | None:
    meta = data.get("metadata") if isinstance(data, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        return None
    return (group_of(api_version), kind, str(meta.get("namespace") or ""), meta["name"])


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


_normpath = functools.lru_cache(maxsize=1 << 16)(os.path.normpath)  # a function of the string: asked per pair


def _under(path: str, folder: str) -> bool:
    p, f = _normpath(path), _normpath(folder)
    return f == "." and not p.startswith("..") or p == f or p.startswith(f.rstrip(os.sep) + os.sep)


def _under_any(path: str, folders: list[str]) -> bool:
    return any(_under(path, d) for d in folders)


def definition(unit: Unit) -> str:
    """The file that defines a unit (its Chart.yaml or kustomization file), else its name."""
    if unit.kind == "chart":
        return os.path.join(unit.name, CHART_FILE)
    if unit.kind == "kustomization":
        return unit_render.kustomization_file(unit.name) or unit.name
    return unit.name
