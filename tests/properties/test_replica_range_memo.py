"""``replica_range`` once per run and workload (and CNV404's ``labelled_pods`` once per run and namespace): within a run context, asked through the full snapshot or a namespace
view, it equals the range computed afresh (the path the memo replaces: ``range_of`` over the workload's HPAs), is
remembered (the same object), and charges the snapshot with the HPAs it reads; without a run context it is computed."""

from __future__ import annotations

from pathlib import Path

import pytest
from cnverify import loader, snapshot
from cnverify.model import WORKLOAD_KINDS, Resource, template_known
from cnverify.properties._shared.namespaces import namespace_view
from cnverify.properties._shared.scaling.rollout_states import labelled_pods, pod_label_sets
from cnverify.run_context import RunContext
from cnverify.systems.kubernetes import workloads
from cnverify.systems.kubernetes.workloads import replica_range

GRIDS = Path(__file__).parent
FILES = sorted(
    p
    for name in ("pdb_allows_disruption", "hpa_bounds", "hpa_target_exists", "policy_selects_pods")
    for p in (GRIDS / name).glob("*.yaml")
    if p.name != "cases.yaml"
)


def _workloads(snap: snapshot.Snapshot) -> list[Resource]:
    return [w for kind in WORKLOAD_KINDS for w in snap.all(kind)]


def test_the_files_hold_workloads() -> None:
    assert sum(len(_workloads(snapshot.build(loader.load([str(p)]))[0])) for p in FILES) >= 20


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_remembered_range_is_the_fresh_one(path: Path) -> None:
    snap, _ = snapshot.build(loader.load([str(path)]))
    fresh_snap, _ = snapshot.build(loader.load([str(path)]))
    ctx = RunContext(snap)
    for w, fresh_w in zip(_workloads(snap), _workloads(fresh_snap), strict=True):
        snap.kinds_read = set()
        got = replica_range(namespace_view(ctx, w.namespace), w)
        assert got is replica_range(snap, w)  # remembered: the view and the full snapshot share the entry
        fresh_snap.kinds_read = set()
        fresh = workloads._replica_range(fresh_snap, fresh_w)
        assert (got.low, got.high, got.unknown, [s for s, _ in got.why]) == (
            fresh.low,
            fresh.high,
            fresh.unknown,
            [s for s, _ in fresh.why],
        )
        assert [str(at) for _, at in got.why] == [str(at) for _, at in fresh.why]
        assert snap.kinds_read == fresh_snap.kinds_read  # the HPAs read (a hit charges them too)


def test_without_a_run_context_nothing_is_remembered() -> None:
    snap, _ = snapshot.build(loader.load([str(GRIDS / "pdb_allows_disruption" / "blocked.yaml")]))
    w = _workloads(snap)[0]
    assert snap.run_context is None
    assert replica_range(snap, w) is not replica_range(snap, w)
    assert snap.run_context is None


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_labelled_pods_are_the_scan_they_replace(path: Path) -> None:
    """CNV404's workloads of a namespace with their pods' label sets: once per run and namespace, equal to the scan of
    the namespace view each budget made (known templates, ``WORKLOAD_KINDS`` then input order)."""
    snap, _ = snapshot.build(loader.load([str(path)]))
    ctx = RunContext(snap)
    for ns in {w.namespace for w in _workloads(snap)}:
        view = namespace_view(ctx, ns)
        scan = [(w, pod_label_sets(w)) for kind in WORKLOAD_KINDS for w in view.all(kind) if template_known(w)]
        got = labelled_pods(ctx, view, ns)
        assert [(w, sets) for w, sets in got] == scan and all(a is b for (a, _), (b, _) in zip(got, scan, strict=True))
        assert labelled_pods(ctx, view, ns) is got
