"""A diff of sides that hold rendered units (kustomizations, Helm charts): each side verified whole.

The per-file diff parses each changed file alone, which is exact for plain manifests but not for a
kustomization: a patch, a ``namePrefix`` or a generator changes objects defined in other files, and
the rendered objects exist only once kustomize has built the unit.  So when either side holds a
``kustomization.yaml`` or ``Chart.yaml``, each side is verified exactly as ``cnverify prove``
verifies it (units, rendering, duplicates, unit namespaces) from its tree (:attr:`Side.tree`), and
the findings are compared by fingerprint.  Routing and capacity deltas are not computed in this
mode: the result says so, and ``--fail-on routing-change``/``capacity-change`` treat them as changed
(never a silent "equivalent").
"""

from __future__ import annotations

import os
import time

from cnverify.diff import invariants
from cnverify.diff.gitsource import Side, shown
from cnverify.diff.load import Names
from cnverify.engine import Options, prove
from cnverify.proof import Report
from cnverify.units import RENDERED_FILES

NOT_COMPARED = (
    "routing and capacity deltas are not computed when a side holds kustomizations or Helm charts "
    "(each side was verified whole, as cnverify prove does): they count as changed for --fail-on"
)


def needs_units(side: Side) -> bool:
    """Does the side hold a file that makes its folder a rendered unit?"""
    return side.tree is not None and any(k.rsplit("/", 1)[-1] in RENDERED_FILES for k in side.files)


def _register(names: Names, root: str, side: str, label: str, git: bool) -> None:
    """Every file under ``root`` under its side-neutral key (its path below the root)."""
    for folder, _, files in os.walk(root):
        for f in files:
            local = os.path.join(folder, f)
            key = shown(os.path.relpath(local, root).replace(os.sep, "/"))
            display = f"{label}:{key}" if git else shown(local)
            old_new = names.entries.get(local, (key, display, display))
            names.entries[local] = (
                key,
                display if side == "old" else old_new[1],
                display if side == "new" else old_new[2],
            )


def run(old: Side, new: Side, options: Options, git: bool) -> tuple[Names, dict[str, Report], dict[str, float]]:
    """Both sides verified whole: ``(names, {side: report}, timings)``."""
    names = Names()
    reports: dict[str, Report] = {}
    t0 = time.perf_counter()
    for name, side in (("old", old), ("new", new)):
        assert side.tree is not None
        root, paths = side.tree()
        _register(names, root, name, side.label, git and side.label != "working tree")
        reports[name] = prove(paths, options)
    return names, reports, {"units": time.perf_counter() - t0}


def deltas(reports: dict[str, Report], names: Names) -> list[invariants.InvariantDelta]:
    return invariants.deltas(
        reports["old"].results, reports["new"].results, names, [s.finding for s in reports["new"].suppressed]
    )
