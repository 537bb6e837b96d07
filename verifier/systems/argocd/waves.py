"""The order in which Argo CD applies a unit's objects, and what an object's pods need applied before them.

gitops-engine (vendored in argo-cd 37ee0097): ``pkg/sync/sync_tasks.go`` (``Less``: phase, wave, kind order,
name; ``kindOrder`` from Helm's kind sorter, unknown kinds last; ``Sort``/``adjustDeps``: a Namespace and a
CRD move ahead of the first object that needs them, taking its phase and wave), ``sync_phase.go``
(``syncPhases``: a hook runs in each phase its types name, ``Skip`` is not applied, other objects run in
``Sync``), ``hook/hook.go`` and ``hook/helm`` (Argo CD hook types, else Helm's ``pre-*``/``post-*``; Helm
``crd-install`` is no hook), ``syncwaves/waves.go`` (``strconv.Atoi`` of the sync-wave annotation, else of
``helm.sh/hook-weight``, else 0), ``hook/delete_policy.go`` (default ``BeforeHookCreation``),
``sync_context.go`` (a wave's objects of one kind are applied together, kinds one after another; the next
wave starts when the current one is healthy).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
HOOK = "argocd.argoproj.io/hook"
DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"
HELM_HOOK, HELM_WEIGHT, HELM_DELETE = "helm.sh/hook", "helm.sh/hook-weight", "helm.sh/hook-delete-policy"
PHASES = {"PreSync": -1, "Sync": 0, "PostSync": 1, "SyncFail": 2}  # syncPhaseOrder
HELM_PHASES = {
    "pre-install": "PreSync",
    "pre-upgrade": "PreSync",
    "post-install": "PostSync",
    "post-upgrade": "PostSync",
}
_KINDS = (
    "Namespace NetworkPolicy ResourceQuota LimitRange PodSecurityPolicy PodDisruptionBudget ServiceAccount Secret "
    "SecretList ConfigMap StorageClass PersistentVolume PersistentVolumeClaim CustomResourceDefinition ClusterRole "
    "ClusterRoleList ClusterRoleBinding ClusterRoleBindingList Role RoleList RoleBinding RoleBindingList Service "
    "DaemonSet Pod ReplicationController ReplicaSet Deployment HorizontalPodAutoscaler StatefulSet Job CronJob "
    "IngressClass Ingress APIService"
).split()
KIND_ORDER = {kind: i - len(_KINDS) for i, kind in enumerate(_KINDS)}  # unknown kinds: 0, after all of these
_ATOI = re.compile(r"[+-]?[0-9]+")


def _csv(notes: Mapping[str, str], key: str) -> list[str]:
    """``GetAnnotationCSVs``: comma-separated, trimmed, empty items and repeats dropped."""
    return list(dict.fromkeys(v.strip() for v in notes.get(key, "").split(",") if v.strip()))


def atoi(text: str | None) -> int | None:
    """Go's ``strconv.Atoi`` (int64): None when it fails."""
    if text is None or not _ATOI.fullmatch(text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


@dataclass(frozen=True)
class Slot:
    """Where Argo CD applies one object: its phases (empty: never applied by a sync), wave, kind rank."""

    phases: tuple[str, ...]
    wave: int
    kind_rank: int
    hook: bool
    wave_from: str  # where the wave comes from: an annotation, or why it is the default 0
    deleted_after_phase: bool  # a hook deleted when its phase ends (HookSucceeded / HookFailed)

    def first(self) -> tuple[int, int, int]:
        """The sort key of its first application (phase, wave, kind)."""
        return (min(PHASES[p] for p in self.phases), self.wave, self.kind_rank)

    def describe(self, kind: str) -> str:
        phase = ",".join(self.phases) or "none (not applied by a sync)"
        return f"{'hook, ' if self.hook else ''}phase {phase}, wave {self.wave} ({self.wave_from}), kind {kind} (rank {self.kind_rank})"


def slot_of(kind: str, notes: Mapping[str, str]) -> Slot:
    """The phases, wave and kind rank gitops-engine gives an object with these annotations."""
    argo_types = [t for t in _csv(notes, HOOK) if t in (*PHASES, "Skip")]
    if HOOK in notes:
        hook = argo_types != ["Skip"]
    else:
        hook = HELM_HOOK in notes and notes[HELM_HOOK] != "crd-install"
    types = argo_types or [HELM_PHASES[t] for t in _csv(notes, HELM_HOOK) if t in HELM_PHASES]
    if types == ["Skip"]:
        phases: tuple[str, ...] = ()
    elif hook:
        phases = tuple(p for p in PHASES if p in types)
    else:
        phases = ("Sync",)
    wave, wave_from = 0, "default"
    for key in (HELM_WEIGHT, SYNC_WAVE):  # the sync-wave annotation wins when it is an integer
        value = atoi(notes.get(key))
        if value is not None:
            wave, wave_from = value, f"from {key}"
        elif key in notes:
            wave_from += f"; {key} {notes[key]!r} is not an integer"
    policies = _csv(notes, DELETE_POLICY) + _csv(notes, HELM_DELETE)
    gone = hook and any(p in ("HookSucceeded", "HookFailed", "hook-succeeded", "hook-failed") for p in policies)
    return Slot(phases, wave, KIND_ORDER.get(kind, 0), hook, wave_from, gone)


def uses_sync_annotations(notes: Mapping[str, str] | None) -> bool:
    return bool(notes) and (SYNC_WAVE in notes or HOOK in notes)  # type: ignore[operator]


@dataclass(frozen=True)
class Need:
    """An object a pod spec needs before its pods can start: kind, name and where the reference is."""

    kind: str
    name: str
    path: tuple[str | int, ...]  # inside the pod spec
    why: str


def needs(spec: Any) -> Iterator[Need]:
    """The ServiceAccount, ConfigMaps, Secrets and PVCs a raw pod spec needs (``optional: true`` ones are not)."""
    if not isinstance(spec, dict):
        return
    sa = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if isinstance(sa, str) and sa and sa != "default":
        key = "serviceAccountName" if spec.get("serviceAccountName") else "serviceAccount"
        yield Need("ServiceAccount", sa, (key,), "runs as")
    for i, vol in enumerate(_list(spec.get("volumes"))):
        yield from _volume(vol, ("volumes", i))
    for group in ("initContainers", "containers"):
        for c, ctr in enumerate(_list(spec.get(group))):
            yield from _container(ctr, (group, c))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ref(ref: Any, key: str, kind: str, path: tuple[str | int, ...], why: str) -> Iterator[Need]:
    if isinstance(ref, dict) and ref.get("optional") is not True and isinstance(ref.get(key), str) and ref[key]:
        yield Need(kind, ref[key], path, why)


def _volume(vol: Any, path: tuple[str | int, ...]) -> Iterator[Need]:
    if not isinstance(vol, dict):
        return
    yield from _ref(vol.get("configMap"), "name", "ConfigMap", (*path, "configMap"), "mounts")
    yield from _ref(vol.get("secret"), "secretName", "Secret", (*path, "secret"), "mounts")
    yield from _ref(
        vol.get("persistentVolumeClaim"),
        "claimName",
        "PersistentVolumeClaim",
        (*path, "persistentVolumeClaim"),
        "mounts",
    )
    projected = vol.get("projected")
    for s, src in enumerate(_list(projected.get("sources") if isinstance(projected, dict) else None)):
        if isinstance(src, dict):
            where = (*path, "projected", "sources", s)
            yield from _ref(src.get("configMap"), "name", "ConfigMap", (*where, "configMap"), "mounts")
            yield from _ref(src.get("secret"), "name", "Secret", (*where, "secret"), "mounts")


def _container(ctr: Any, path: tuple[str | int, ...]) -> Iterator[Need]:
    if not isinstance(ctr, dict):
        return
    for e, src in enumerate(_list(ctr.get("envFrom"))):
        if isinstance(src, dict):
            yield from _ref(
                src.get("configMapRef"), "name", "ConfigMap", (*path, "envFrom", e, "configMapRef"), "reads"
            )
            yield from _ref(src.get("secretRef"), "name", "Secret", (*path, "envFrom", e, "secretRef"), "reads")
    for e, var in enumerate(_list(ctr.get("env"))):
        source = var.get("valueFrom") if isinstance(var, dict) else None
        if isinstance(source, dict):
            where = (*path, "env", e, "valueFrom")
            yield from _ref(source.get("configMapKeyRef"), "name", "ConfigMap", (*where, "configMapKeyRef"), "reads")
            yield from _ref(source.get("secretKeyRef"), "name", "Secret", (*where, "secretKeyRef"), "reads")
