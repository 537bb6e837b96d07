"""CNV503 sync-order-respects-dependencies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import z3
from cnverify.errors import Span
from cnverify.model import WORKLOAD_KINDS, CronJob, Namespace, PersistentVolumeClaim, Pod, Resource, pod_template
from cnverify.model.apps import template_known
from cnverify.obligation import Obligation
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.source import format_path
from cnverify.systems.argocd.waves import HOOK, SYNC_WAVE, Need, Slot, needs, slot_of, uses_sync_annotations

OPAQUE_NEEDS = ("ServiceAccount", "ConfigMap", "Secret")


@register
class SyncOrderRespectsDependencies(Property):
    """
    ## What it proves
    In a unit synced by Argo CD with sync waves or hooks (some object of the unit carries
    `argocd.argoproj.io/sync-wave` or `argocd.argoproj.io/hook`), no workload or Pod is applied before an
    object of the unit its pods need: the ServiceAccount they run as and the ConfigMaps, Secrets and
    PersistentVolumeClaims they mount or read (`optional: true` references excepted), in gitops-engine's
    order: phase (PreSync, Sync, PostSync, SyncFail; hooks by `argocd.argoproj.io/hook`, else Helm's
    `helm.sh/hook`), then wave (`strconv.Atoi` of the sync-wave annotation, else of `helm.sh/hook-weight`,
    else 0 — `"1.5"` is 0), then kind order (ServiceAccount, Secret, ConfigMap, PVC before every workload).
    A Namespace or CRD never comes late: gitops-engine moves it ahead of the first object that needs it.

    ## Why it matters
    Argo CD applies a wave and waits for it to be healthy before the next one; a Deployment whose ConfigMap
    or ServiceAccount is in a later wave (or a PreSync hook Job that mounts a Secret synced in the Sync
    phase) never becomes healthy, so the sync stalls or fails: "it may be that the app can never get to
    healthy" (argo-cd docs/user-guide/sync-waves.md). It bites on the first sync into a new cluster or
    environment, and whenever the needed object is new; later syncs find the previous one in place.

    ## Evidence
    Violated: the object and the object it needs, each with its phase, wave (and the annotation giving it)
    and kind rank, and the reference. Proved: the same facts, each needed object first.

    ## Example
    ```yaml
    kind: Deployment          # wave 0 (no annotation)
    spec: {template: {spec: {volumes: [{name: c, configMap: {name: app}}]}}}
    ---
    kind: ConfigMap
    metadata: {name: app, annotations: {argocd.argoproj.io/sync-wave: "1"}}   # violated: applied after
    ```

    ## Assumes
    - The unit is what one Application syncs; objects outside it (already in the cluster) are not ordered.
    - CronJobs are not subjects (their pods start on schedule, after the sync); a needed object that is a
      hook deleted when its phase ends, or is never applied by a sync (`Skip`), makes the result `unknown`.
    """

    code = "CNV503"
    name = "sync-order-respects-dependencies"
    title = "Sync waves apply what an object needs first"
    severity = "error"
    reads = (*WORKLOAD_KINDS, PersistentVolumeClaim, Namespace)
    remediation = "Move the needed object to an earlier sync wave or phase (or the workload to a later one)."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        workloads = list({id(w): w for cls in WORKLOAD_KINDS for w in snap.all(cls)}.values())
        pvcs, namespaces = snap.all(PersistentVolumeClaim), snap.all(Namespace)
        targets: dict[tuple[str, str, str], tuple[dict[str, str] | None, Span]] = {
            (p.KIND, p.namespace, p.name): (p.annotations, _annotated_at(p)) for p in pvcs
        }
        for o in snap.opaque:
            if o.api_version == "v1" and o.kind in OPAQUE_NEEDS:
                targets.setdefault((o.kind, o.namespace, o.name), (dict(o.annotations or {}), o.at))
        notes = [r.annotations for r in (*workloads, *pvcs, *namespaces)] + [a for a, _ in targets.values()]
        if not any(uses_sync_annotations(n) for n in notes):
            return
        own_ns = {n.name: n for n in namespaces}
        for w in workloads:
            if isinstance(w, CronJob) or not template_known(w) or not w.APPLY_IDENTITY:
                continue
            slot = slot_of(w.KIND, w.annotations)
            spec = pod_template(w).spec
            if spec.field_path[-3:] != ("spec", "template", "spec") and not (isinstance(w, Pod) and spec is w.spec):
                continue  # a template cnverify synthesized from another shape (OpenFaaS, Compose): no pod spec to read
            found = [
                (n, targets[(n.kind, w.namespace, n.name)])
                for n in needs(_raw(spec))
                if (n.kind, w.namespace, n.name) in targets
            ]
            if slot.phases and found:
                yield self.check(w, slot, spec, found, own_ns.get(w.namespace))

    def check(
        self,
        w: Resource,
        slot: Slot,
        spec: Any,
        found: list[tuple[Need, tuple[dict[str, str] | None, Span]]],
        ns: Namespace | None,
    ) -> Obligation:
        ob = self.obligation(w, at=_annotated_at(w))
        if ns is not None:
            ob.note(
                f"Namespace {ns.name}: gitops-engine applies it before the first object in it (adjustDeps)",
                ns.metadata.at("name"),
            )
        x = _terms(ob, w.ref, slot, w.KIND, _annotated_at(w))
        late, bad = [], []
        for need, (notes, at) in found:
            ref = f"{need.kind}/{w.namespace}/{need.name}"
            ob.note(f"{w.ref} {need.why} {ref} ({format_path(spec.field_path + need.path)})", spec.at(*need.path))
            dslot = slot_of(need.kind, notes or {})
            if not dslot.phases or dslot.deleted_after_phase:
                why = (
                    "is never applied by a sync (Skip)" if not dslot.phases else "is a hook deleted when its phase ends"
                )
                ob.unknown(f"{ref} {why}: whether it exists when {w.ref} starts is not known")
                return ob
            d = _terms(ob, ref, dslot, need.kind, at)
            bad.append(z3.Not(_before(d, x)))
            if dslot.first() >= slot.first():
                late.append(f"{ref} ({dslot.describe(need.kind)})")
            ob.show(ref, d[1])
        ob.show("wave", x[1])
        ob.counterexample(z3.Or(*bad), says=f"{w.ref} is applied no later than an object it needs")
        ob.on(
            violated=f"{w.ref} ({slot.describe(w.KIND)}) is applied before {', '.join(late)}, which its pods need",
            proved=f"every object {w.ref} needs is applied before it",
        )
        return ob


def _raw(node: Any) -> Any:
    data = node.doc.data if node.doc is not None else None
    for key in node.field_path:
        data = data[key] if isinstance(data, dict | list) else None
    return data


def _annotated_at(r: Resource) -> Span:
    for key in (SYNC_WAVE, HOOK):
        if key in r.annotations:
            return r.metadata.at("annotations", key)
    return r.metadata.at("name")


def _terms(ob: Obligation, ref: str, slot: Slot, kind: str, at: Span) -> tuple[z3.ArithRef, ...]:
    p, w, k = (z3.Int(f"{ref}.{n}") for n in ("phase", "wave", "kind"))
    first = slot.first()
    ob.fact(z3.And(p == first[0], w == first[1], k == first[2]), at=at, says=f"{ref}: {slot.describe(kind)}")
    return p, w, k


def _before(a: tuple[z3.ArithRef, ...], b: tuple[z3.ArithRef, ...]) -> z3.BoolRef:
    """``syncTasks.Less`` on (phase, wave, kind): ``a`` is applied strictly before ``b``."""
    return z3.Or(a[0] < b[0], z3.And(a[0] == b[0], z3.Or(a[1] < b[1], z3.And(a[1] == b[1], a[2] < b[2]))))
