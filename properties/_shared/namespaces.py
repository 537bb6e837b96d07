"""One namespace's objects as a snapshot of their own (no property here)."""

from __future__ import annotations

from cnverify.model.base import Resource
from cnverify.run_context import RunContext, context_of
from cnverify.snapshot import Snapshot


def namespace_view(source: RunContext | Snapshot, namespace: str) -> Snapshot:
    """A snapshot of ``namespace``'s objects only (built once per run context), so per-namespace lookups
    (``in_namespace``, ``replica_range``'s HPA search) cost the namespace's size, not the cluster's.
    Kinds read through a view are recorded on the full snapshot (``Snapshot.reads_into``)."""
    ctx = context_of(source)
    views = ctx.memo(("namespaces.views",), lambda: _views(ctx.snap))
    if namespace not in views:
        views[namespace] = _view(ctx.snap, [])
    return views[namespace]


def _views(snap: Snapshot) -> dict[str, Snapshot]:
    groups: dict[str, list[Resource]] = {}
    for r in snap.resources:
        groups.setdefault(r.namespace, []).append(r)
    return {ns: _view(snap, rs) for ns, rs in groups.items()}


def _view(snap: Snapshot, resources: list[Resource]) -> Snapshot:
    view = Snapshot(resources)
    view.reads_into = snap
    return view
