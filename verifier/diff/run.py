"""The diff of two sides: invariants, routing and capacity deltas (the library API)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cnverify import smt
from cnverify.diff import capacity, invariants, tables, unit_mode
from cnverify.diff.check import Stats, check
from cnverify.diff.gitsource import Side
from cnverify.diff.load import Loaded, Names, load
from cnverify.diff.slicing import Plan
from cnverify.engine import Options
from cnverify.errors import INTERNAL_EXIT, InputError, InternalError
from cnverify.proof import Finding

if TYPE_CHECKING:
    from cnverify.diff.routing import RoutingDelta

FAIL_ON = ("new-violation", "routing-change", "capacity-change", "any", "never")


@dataclass
class CapacityDelta:
    """One workload's or quota's capacity before and after (None: absent on that side)."""

    ref: str
    old: Any
    new: Any


@dataclass
class DiffResult:
    old_label: str
    new_label: str
    names: Names
    changed: list[str]
    invariants: list[invariants.InvariantDelta]
    routing: list[RoutingDelta]
    workloads: list[CapacityDelta]
    quotas: list[CapacityDelta]
    errors: dict[str, list[InputError]]
    internal: list[InternalError] = field(default_factory=list)  # crashed properties (CNV000, exit 4)
    notes: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    uncompared: bool = False  # routing and capacity were not compared (sides verified whole: unit_mode)

    def count(self, change: str) -> int:
        return sum(1 for d in self.invariants if d.change == change)

    def gated(self, fail_on: tuple[str, ...]) -> bool:
        """Is there a change ``fail_on`` gates on? (new violations: of severity error)."""
        checks = {
            "new-violation": any(
                d.change == "new-violation" and d.finding.severity == "error" for d in self.invariants
            ),
            "routing-change": self.uncompared or any(r.status != "equivalent" for r in self.routing),
            "capacity-change": self.uncompared or bool(self.workloads or self.quotas),
        }
        checks["any"] = any(checks.values()) or any(d.change == "new-unknown" for d in self.invariants)
        return any(checks.get(f, False) for f in fail_on)

    def exit_code(self, fail_on: tuple[str, ...]) -> int:
        """4 an internal error (incomplete results), 2 input errors on the new side, 1 a gated change, else 0."""
        if self.internal:
            return INTERNAL_EXIT
        if self.errors.get("new"):
            return 2
        return 1 if self.gated(fail_on) else 0


def _capacity(loaded: Loaded) -> tuple[list[CapacityDelta], list[CapacityDelta]]:
    caps = {side: capacity.workloads(snap) for side, snap in (("old", loaded.old), ("new", loaded.new))}
    quotas = {side: capacity.quotas(snap, caps[side]) for side, snap in (("old", loaded.old), ("new", loaded.new))}
    w_out = [
        CapacityDelta(ref, caps["old"].get(ref), caps["new"].get(ref))
        for ref in sorted(set(caps["old"]) | set(caps["new"]))
        if ref not in caps["old"] or ref not in caps["new"] or not caps["old"][ref].same(caps["new"][ref])
    ]
    q_out = []
    for ref in sorted(set(quotas["old"]) | set(quotas["new"])):
        o, n = quotas["old"].get(ref), quotas["new"].get(ref)
        if o is None or n is None or o.to_json() != n.to_json():
            q_out.append(CapacityDelta(ref, o, n))
    return w_out, q_out


def table_system(key: str) -> str:
    return key.split(":", 1)[0]


def _touches(delta: RoutingDelta, loaded: Loaded) -> bool:
    """Does a route of this entry point sit in a changed file (on either side)?"""
    changed = set(loaded.changed)
    return any(r.location is not None and loaded.names.key(r.location.file) in changed for r in delta.old + delta.new)


def _kept(ns: str | None, subjects: set[str] | None) -> bool:
    return subjects is None or ns is None or ns == "" or ns in subjects


def _whole(old: Side, new: Side, options: Options, git: bool) -> DiffResult:
    """Both sides verified as ``prove`` does (see :mod:`cnverify.diff.unit_mode`)."""
    names, reports, timings = unit_mode.run(old, new, options, git)
    changed = [
        k
        for k in sorted(set(old.files) | set(new.files))
        if (old.files[k].digest if k in old.files else None) != (new.files[k].digest if k in new.files else None)
    ]
    return DiffResult(
        old.label,
        new.label,
        names,
        changed,
        unit_mode.deltas(reports, names),
        [],
        [],
        [],
        {side: r.errors for side, r in reports.items()},
        internal=[x for r in reports.values() for x in r.internal],
        notes=[unit_mode.NOT_COMPARED],
        stats={
            "slice": "whole: a side holds rendered units (kustomizations, charts)",
            "files": {"old": len(old.files), "new": len(new.files), "changed": len(changed)},
            "units": {side: len(r.units) for side, r in reports.items()},
            "timings": timings,
        },
        uncompared=True,
    )


def diff(
    old: Side, new: Side, options: Options | None = None, sliced: Plan | None = None, git: bool = False
) -> DiffResult:
    """Compare ``old`` and ``new``; with a slicing ``Plan``, load only its files and report only its subjects."""
    options = options or Options()
    if unit_mode.needs_units(old) or unit_mode.needs_units(new):
        return _whole(old, new, options, git)
    with smt.budget(options.limits):
        return _diff(old, new, options, sliced)


def _diff(old: Side, new: Side, options: Options, sliced: Plan | None) -> DiffResult:
    only, subjects = (sliced.keys, sliced.subjects) if sliced is not None else (None, None)
    t0 = time.perf_counter()
    loaded = load(old, new, only)
    t1 = time.perf_counter()
    cache: dict[str, Finding] = {}
    stats = Stats()
    shared = {path for path, (key, _, _) in loaded.names.entries.items() if key not in set(loaded.changed)}
    f_old, _, e_old, prior = check(loaded.old, options, cache, stats, "old", loaded.names, shared)
    f_new, s_new, e_new, _ = check(loaded.new, options, cache, stats, "new", loaded.names, shared, prior)
    f_old = [f for f in f_old if _kept(f.subject.get("namespace"), subjects)]
    f_new = [f for f in f_new if _kept(f.subject.get("namespace"), subjects)]
    t2 = time.perf_counter()
    t_old, h_old, n_old, x_old = tables.entry_points(loaded.old)
    t_new, h_new, n_new, x_new = tables.entry_points(loaded.new)
    for system in x_old | x_new:  # a translator failed on one side: compare that system on neither
        t_old = {k: v for k, v in t_old.items() if table_system(k) != system}
        t_new = {k: v for k, v in t_new.items() if table_system(k) != system}
    routing = []
    if t_old or t_new:
        from cnverify.diff.routing import diff_tables  # needs the routing encodings

        routing = [
            r
            for r in diff_tables(t_old, t_new, {**h_old, **h_new})
            if not r.how.startswith("identical") or _touches(r, loaded)
        ]
    t3 = time.perf_counter()
    workloads, quotas = _capacity(loaded)
    workloads = [w for w in workloads if _kept(w.ref.split("/")[1], subjects)]
    quotas = [q for q in quotas if _kept(q.ref.split("/")[1], subjects)]
    t4 = time.perf_counter()
    return DiffResult(
        old.label,
        new.label,
        loaded.names,
        loaded.changed,
        invariants.deltas(f_old, f_new, loaded.names, s_new),
        routing,
        workloads,
        quotas,
        {"old": loaded.errors["old"], "new": loaded.errors["new"]},
        internal=e_old + e_new,
        notes=sorted(set(n_old) | set(n_new)),
        stats={
            "slice": sliced.reason if sliced is not None else "full: every file checked",
            "files": {
                "old": len(old.files),
                "new": len(new.files),
                "changed": len(loaded.changed),
                "parsed": loaded.files,
            },
            "objects": loaded.objects,
            "entry_points": {"old": len(t_old), "new": len(t_new), "reported": len(routing)},
            "obligations": {
                "solved": stats.solved,
                "reused": stats.reused,
                "properties_not_rerun": stats.skipped_properties,
            },
            "timings": {"load": t1 - t0, "invariants": t2 - t1, "routing": t3 - t2, "capacity": t4 - t3},
        },
    )
