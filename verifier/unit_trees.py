"""Discovery split over the ``--jobs`` workers: independent subtrees of one folder, each parsed where it is verified.

``units.discover`` parses every loose file to find the units (an object's identity decides alternative
bundles and unit roots), so with ``--jobs N`` the parse ran in the parent before the workers forked.
When the folder argument's subfolders are provably independent under ``units``' rules, each worker
discovers and verifies whole subfolders instead, and the parent merges the units in the order
``discover`` gives.  The inputs split (:func:`split`) only when all of these hold:

* ``--unit auto``, one argument, a folder, and no ``compose_files`` (merge sets the user names);
* the walk met no problem (its errors are placed by the units found: left to the serial discovery);
* the run's alias budget cannot bind (few enough files with an ``&``: each process counts its own);
* no Helm chart and no kustomization in any folder from the argument down to a file, nor a chart above
  it: no unit is rendered, none owns files elsewhere in the tree;
* the files directly in the argument (in every folder cut open) define no object and have no error, so
  it is no manifest folder and no unit root lies above a subfolder;
* at least two subfolders hold files, none of them more than half of the bytes (a dominant subfolder's units,
  or its one unit's properties, balance better over the workers as ``parallel`` deals them).

A heavy subfolder whose own files define nothing and have no error is cut open in turn (its files are read
here: unit-less), by the same argument one level down.

Then (``units._manifest_units``): a manifest folder's unit root is its topmost manifest folder or one that
redefines an object of the unit above it — both are inside its subfolder; alternative bundles are files
of one folder; a bundle's alternatives are its folder's unit and bundles of that folder.  So discovering
each subfolder's files alone gives the units, alternatives and unit-less files the whole discovery gives
there; every unit name lies under its subfolder, so ordering the subfolders by ``path_key`` and the units
inside each keeps the whole discovery's order, and the unit-less files (the report's inputs and
unrecognized documents) are in folder order the same way, the argument's own files first in their block.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from cnverify import alias_budget, parallel, unit_render, units
from cnverify.loader import LoadResult, Walk, load_file, path_key, walk


@dataclass
class Split:
    """The walk of one folder argument, cut into independent subfolders (``path_key`` order): the files of the
    folders cut open (read here: no object, no error, so unit-less), and each subfolder's files."""

    found: Walk
    top: list[tuple[tuple[str, ...], LoadResult]]  # (a folder cut open, its own files read)
    trees: list[tuple[tuple[str, ...], list[str]]]  # (the subfolder's path_key, its files in walk order)


def split(
    paths: Iterable[str], excluded: Callable[[str], bool] | None, compose_files: Any, jobs: int = 2
) -> Split | None:
    """The inputs as independent subfolders (see the module docstring), or None when they do not split; the
    heaviest subfolder (bytes) is cut open while it weighs more than a ``4 * jobs``-th of the whole."""
    args = list(dict.fromkeys(paths))
    if len(args) != 1 or args[0] == "-" or compose_files or not os.path.isdir(args[0]):
        return None
    arg = args[0]
    found = walk([arg], excluded)
    if found.errors or units._enclosing_chart(arg) is not None:
        return None
    for d in units._folders(found.files, found.roots):
        if os.path.isfile(os.path.join(d, units.CHART_FILE)) or unit_render.kustomization_file(d):
            return None
    if not _alias_budget_unreachable(found.files):
        return None
    spent = alias_budget.run_spent()
    cut = _split(arg, found, jobs)
    if cut is None:  # the files read here are read again by the whole discovery: as if never read
        alias_budget.set_run_spent(spent)
    return cut


def _alias_budget_unreachable(files: list[str]) -> bool:
    """Whether the run's alias budget (``alias_budget.MAX_ALIAS_NODES_PER_RUN``, spent in the order files are read)
    can never bind: every file that may hold an anchor expanding by its whole per-file budget stays within
    what is left — then reading the files in several processes, each with its own count, reads them alike."""
    anchored = 0
    for f in files:
        try:
            with open(f, "rb") as fh:
                anchored += b"&" in fh.read()
        except OSError:
            anchored += 1
    return anchored * alias_budget.MAX_ALIAS_NODES_PER_FILE <= alias_budget.run_left()


def _split(arg: str, found: Walk, jobs: int) -> Split | None:
    size = {f: _size(f) for f in found.files}
    total = max(1, sum(size.values()))
    top: list[tuple[tuple[str, ...], LoadResult]] = []
    pieces: list[tuple[int, str, list[str]]] = [(total, arg, found.files)]  # (weight, folder, files)
    while pieces and pieces[0][0] * 4 * jobs > total and (cut := _cut(*pieces[0][1:], size)) is not None:
        top.append((path_key(pieces[0][1]), cut[0]))
        pieces = sorted(pieces[1:] + cut[1], key=lambda p: -p[0])
    if not top or len(pieces) < 2 or pieces[0][0] * 2 > total:
        return None
    trees = sorted(((path_key(d), fs) for _, d, fs in pieces), key=lambda t: t[0])
    return Split(found, top, trees)


def _cut(
    folder: str, files: list[str], size: dict[str, int]
) -> tuple[LoadResult, list[tuple[int, str, list[str]]]] | None:  # noqa: E501
    """``folder``'s own files read (None when one defines an object or has an error: a manifest folder) and
    its subfolders with their weights and files."""
    own = LoadResult()
    children: dict[str, list[str]] = {}
    for f in files:
        first = os.path.relpath(f, folder).split(os.sep)
        if len(first) > 1:
            children.setdefault(os.path.join(folder, first[0]), []).append(f)
            continue
        read = load_file(f)
        if read.objects or read.errors:
            return None
        own.extend(read)
    return own, [(sum(size[f] for f in fs), d, fs) for d, fs in children.items()]


@dataclass
class TreePart:
    """One subfolder discovered and verified: its units (as the parent merges them) with their parts, and
    its unit-less files."""

    units: list[tuple[units.Unit, Any]]
    rest: LoadResult
    parse_s: float = 0.0  # the subfolder's discovery (parse) time, in its worker


def light(unit: units.Unit) -> units.Unit:
    """``unit`` as the parent merges it: no parsed objects (placeholders keep their count) nor alternatives."""
    loaded = dataclasses.replace(unit.loaded, objects=[None] * len(unit.loaded.objects))  # type: ignore[list-item]
    return dataclasses.replace(unit, loaded=loaded, alternatives={})


def discover_tree(s: Split, k: int, helm_values: list[str]) -> units.Discovery:
    """Subfolder ``k``'s units (``units.discover``'s order) and unit-less files."""
    files = s.trees[k][1]
    out = units.Discovery()
    units._auto(Walk(files=files, roots={f: s.found.roots[f] for f in files}), None, out, helm_values)
    out.units.sort(key=lambda u: path_key(u.name))
    return out


def verified(
    s: Split,
    helm_values: list[str],
    verify: Callable[[units.Unit], Any],
    fallback: Callable[[list[units.Unit]], Iterator[tuple[units.Unit, Any]]],
    reading: Callable[[], Any],
    jobs: int,
) -> tuple[LoadResult, list[tuple[units.Unit, Any]], float]:
    """Every subfolder discovered and verified in ``jobs`` forked workers: the unit-less files (the skipped
    ones first, as ``discover`` gives them), each unit with its part, in ``discover``'s order, and the seconds
    the subfolders' discovery took (summed over the workers, as the units' model and solve times are).
    ``reading()`` is the context of reading inputs (``systems.run_options``); a subfolder whose worker
    failed twice is discovered here and its units go to ``fallback`` (each in a worker of its own, retried)."""

    def one(k: int) -> TreePart:
        t0 = time.perf_counter()
        with reading():
            d = discover_tree(s, k, helm_values)
        parse_s = time.perf_counter() - t0
        out = []
        for n, unit in enumerate(d.units):
            if n:  # the cycles the previous unit left (after the last one: the task's collection)
                parallel.collect_young()
            out.append((light(unit), None if unit.not_verified else verify(unit)))
        return TreePart(out, d.rest, parse_s)

    weight = {k: sum(_size(f) for f in fs) for k, (_, fs) in enumerate(s.trees)}
    blocks: list[tuple[tuple[str, ...], LoadResult, list[tuple[units.Unit, Any]]]] = [
        (key, own, []) for key, own in s.top
    ]  # the folders cut open: their own files, unit-less
    failed, parse_s = [], 0.0
    for k, got in parallel.fanned(one, list(weight), jobs, weight):
        if isinstance(got, BaseException):
            failed.append(k)
        else:
            blocks.append((s.trees[k][0], got.rest, got.units))
            parse_s += got.parse_s
    for k in failed:  # once the pool is gone (no pool forked beside another)
        t0 = time.perf_counter()
        with reading():
            d = discover_tree(s, k, helm_values)
        parse_s += time.perf_counter() - t0
        blocks.append((s.trees[k][0], d.rest, list(fallback(d.units))))
    rest = LoadResult(inputs=list(s.found.skipped))
    pairs: list[tuple[units.Unit, Any]] = []
    for _, r, ps in sorted(blocks, key=lambda b: b[0]):
        rest.extend(r)
        pairs += ps
    return rest, pairs, parse_s


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
