"""Memos and shortcuts of the routing properties tied to the paths they replace (issue 15: the same output, cheaper)."""

from __future__ import annotations

from pathlib import Path

from cnverify import loader, snapshot
from cnverify.model import WORKLOAD_KINDS, pod_template, template_known
from cnverify.properties._shared.routing.ambiguity import first_pair
from cnverify.properties.routing.route_delivers import labelled_workloads
from cnverify.run_context import RunContext
from hypothesis import given
from hypothesis import strategies as st

GRIDS = Path(__file__).parent


def nested_scan(hits: list[int], owners: list[str]) -> tuple[int, int] | None:
    """``ambiguity.conflict``'s pairing before ``first_pair``: every hit against every hit."""
    owner = dict(zip(hits, owners, strict=True))
    for a in hits:
        b = next((b for b in hits if owner[b] != owner[a]), None)
        if b is not None:
            return a, b
    return None


@given(st.lists(st.sampled_from("abc"), max_size=8))
def test_first_pair_is_the_nested_scans_pair(owners: list[str]) -> None:
    hits = list(range(len(owners)))
    assert first_pair(hits, owners) == nested_scan(hits, owners)


def test_labelled_workloads_is_the_scan_it_replaces_once_per_namespace() -> None:
    snap, errors = snapshot.build(loader.load([str(GRIDS / "route_delivers" / "delivery.yaml")]))
    assert not errors
    ctx = RunContext(snap)
    namespaces = {r.namespace for r in snap.resources if r.NAMESPACED}
    for ns in sorted(namespaces) + ["absent"]:
        scan = [
            (w, pod_template(w).metadata.labels or {})
            for cls in WORKLOAD_KINDS
            for w in snap.in_namespace(cls, ns)
            if template_known(w)
        ]
        first = labelled_workloads(ctx, ns)
        assert [(id(w), labels) for w, labels in first] == [(id(w), labels) for w, labels in scan]
        assert labelled_workloads(ctx, ns) is first  # a memo: computed once per run and namespace
    assert [w.name for w, _ in labelled_workloads(ctx, "shop")] == ["web", "idle"]
