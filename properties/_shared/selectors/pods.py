"""Pod templates as label sets: what the selector properties select from (no property here).

A ``PodShape`` is the pods one manifest object creates: a workload's ``spec.template`` (a
CronJob's ``spec.jobTemplate.spec.template``) or a bare Pod, with its namespace, labels and
containers.  Controllers add labels at runtime whose values the manifest does not fix
(``pod-template-hash``, ``statefulset.kubernetes.io/pod-name``, ``job-name`` …); those keys are
*dynamic*: present on every pod with a value the solver may choose.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import z3
from cnverify import smt
from cnverify.encodings import zterms
from cnverify.encodings.labels import (
    LabelSpace,
    Selector,
    Terms,
    format_labels,
    requirement_matches,
    requirements,
    selector_z3,
)
from cnverify.errors import Span
from cnverify.model import (
    WORKLOAD_KINDS,
    Container,
    HorizontalPodAutoscaler,
    Pod,
    Resource,
    Service,
    StatefulSet,
    pod_template,
    template_known,
)
from cnverify.model.apps import CronJob, Job, JobSpec, ReplicationController
from cnverify.model.base import Node, ObjectMeta
from cnverify.model.core import PodSpec
from cnverify.properties._shared.replicas import replica_range
from cnverify.properties._shared.terms import run_terms
from cnverify.run_context import RunContext
from cnverify.snapshot import Snapshot

_JOB_KEYS = frozenset(
    {"controller-uid", "job-name", "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name"}
)
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
DYNAMIC_KEYS: dict[str, frozenset[str]] = {
    "Deployment": frozenset({"pod-template-hash"}),
    "StatefulSet": frozenset(
        {"statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index", "controller-revision-hash"}
    ),
    "DaemonSet": frozenset({"controller-revision-hash", "pod-template-generation"}),
    "Job": _JOB_KEYS,
    "CronJob": _JOB_KEYS,
    "Rollout": frozenset(
        {"rollouts-pod-template-hash"}
    ),  # argo-rollouts rollout/sync.go (DefaultRolloutUniqueLabelKey)
}
"""Labels each controller adds to its pods at runtime (kubernetes/kubernetes controllers, Argo Rollouts); a
Job's depend on its spec (:func:`dynamic_keys`)."""


def _job_spec(obj: Resource) -> JobSpec | None:
    if isinstance(obj, Job):
        return obj.spec
    if isinstance(obj, CronJob):
        return obj.spec.job_template.spec
    return None


def dynamic_keys(obj: Resource) -> frozenset[str]:
    """The labels the controllers add to ``obj``'s pods.  Job: ``job-name``/``controller-uid`` (and the
    ``batch.kubernetes.io/`` variants) only without ``manualSelector: true`` (pkg/registry/batch/job/
    strategy.go ``generateSelector``); ``batch.kubernetes.io/job-completion-index`` only for
    ``completionMode: Indexed`` (pkg/controller/job/indexed_job_utils.go ``addCompletionIndexLabel``)."""
    job = _job_spec(obj)
    if job is None:
        return DYNAMIC_KEYS.get(type(obj).KIND, frozenset())
    keys = frozenset() if job.manual_selector is True else _JOB_KEYS
    return keys | {COMPLETION_INDEX} if job.completion_mode == "Indexed" else keys


JOB_NAME_KEYS = frozenset({"job-name", "batch.kubernetes.io/job-name"})
ORDINAL_KEYS = frozenset({"statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index"})
INDEX_KEYS = frozenset({"pod-template-generation"})
HASH_KEYS = frozenset(
    {
        "pod-template-hash",
        "controller-revision-hash",
        "controller-uid",
        "batch.kubernetes.io/controller-uid",
        "rollouts-pod-template-hash",
    }
)
"""Values computed at runtime (a hash of the template, a uid): a selector pinned to one cannot be decided."""
MAX_ORDINALS = 64
"""Up to this many reachable ordinals are enumerated; beyond, any decimal ordinal from the start."""
MAX_POOL = 12
"""Beyond this many near-miss templates a violation is decided by exact evaluation, not by a core."""
POD = "@pod"
"""Witness entry naming the object whose pod the witness is (``@`` cannot occur in a label key)."""


@dataclass(frozen=True)
class PodShape:
    """The pods created by ``owner``: labels as written (``meta``), plus controller-added dynamic keys."""

    owner: Resource
    meta: ObjectMeta
    spec: PodSpec
    dynamic: frozenset[str]
    ordinals: tuple[int, int | None] = (0, None)  # StatefulSet: [start, stop) of reachable ordinals
    memo: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """What this shape has derived (its span, its descriptions): shapes live for one run (``shapes_of``)."""

    @property
    def labels(self) -> dict[str, str]:
        return self.meta.labels or {}

    @property
    def namespace(self) -> str:
        return self.owner.namespace

    @property
    def where(self) -> Span:
        """The template's (or Pod's) labels, else its metadata."""
        span = self.memo.get("where")
        if span is None:
            span = self.memo["where"] = self.meta.at("labels")
        return span

    def keys(self) -> set[str]:
        """Keys every pod of this shape carries (written labels and dynamic keys)."""
        return set(self.labels) | self.dynamic

    def could_match(self, required: set[str]) -> bool:
        """Cheap exact filter: a selector requiring keys ``required`` present can match only if all are carried."""
        carried = self.memo.get("keys")
        if carried is None:
            carried = self.memo["keys"] = frozenset(self.labels) | self.dynamic
        return required <= carried

    def constraint(self, space: LabelSpace) -> z3.BoolRef:
        """``space`` is a pod of this shape (written labels exact, dynamic keys present, other keys absent).

        Built once per run for what it is built from (``space.terms``): the labels of ``space.keys``, and
        for controller-set keys what their values derive from (kind, name, ordinals, completions)."""
        labels = self.labels
        dyn = [k for k in space.keys if k not in labels and k in self.dynamic]
        tag: tuple[Hashable, ...] = ("shape", space.name, space.keys, tuple(labels.get(k) for k in space.keys))
        if dyn:  # what their values derive from (``dynamic_value``)
            job = _job_spec(self.owner)
            tag += (tuple(dyn), self.owner.KIND, self.owner.name, self.ordinals, job.completions if job else None)
        term = space.terms.get(tag)
        if term is None:
            parts = []
            for k in space.keys:
                if k in labels:
                    parts.append(space.label_is(k, labels))
                elif k in self.dynamic:
                    parts.append(zterms.conj([space.has(k), self.dynamic_value(k, space.value(k))]))
                else:
                    parts.append(zterms.neg(space.has(k)))
            term = space.terms[tag] = zterms.conj(parts)
        return term

    def dynamic_value(self, key: str, value: z3.SeqRef) -> z3.BoolRef:
        """What the controller can set ``key`` to: ``<sts>-<ordinal>`` and ``<ordinal>`` over the reachable
        ordinals (StatefulSet controller ``getPodName``: ``fmt.Sprintf("%s-%d")``, no leading zeros), an
        index, the Job's name, or any value (hashes and uids)."""
        name = self.owner.name
        if key in ORDINAL_KEYS:
            prefix = f"{name}-" if key == "statefulset.kubernetes.io/pod-name" else ""
            start, stop = self.ordinals
            if stop is not None and stop - start <= MAX_ORDINALS:
                named = [zterms.same(value, zterms.string(f"{prefix}{i}")) for i in range(start, stop)]
                return zterms.disj(named or [z3.BoolVal(False)])
            decimal = z3.Union(z3.Re("0"), z3.Concat(z3.Range("1", "9"), z3.Star(z3.Range("0", "9"))))
            return z3.InRe(value, z3.Concat(z3.Re(prefix), decimal))
        digits = z3.Plus(z3.Range("0", "9"))
        if key in JOB_NAME_KEYS and self.owner.KIND == "CronJob":
            return z3.InRe(value, z3.Concat(z3.Re(f"{name}-"), digits))
        if key in JOB_NAME_KEYS:
            return zterms.same(value, zterms.string(name))
        if key == COMPLETION_INDEX:  # strconv.Itoa(i) for i in [0, completions)
            job = _job_spec(self.owner)
            n = job.completions if job is not None else None
            if n is None:
                return z3.BoolVal(False)  # the API server rejects an Indexed Job without completions
            if n <= MAX_ORDINALS:
                return zterms.disj([zterms.same(value, zterms.string(str(i))) for i in range(n)] or [z3.BoolVal(False)])
            i = z3.StrToInt(value)
            return z3.And(i >= 0, i < n, value == z3.IntToStr(i))
        if key in INDEX_KEYS:
            return z3.InRe(value, digits)
        return z3.BoolVal(True)  # hashes and uids

    def pinned(self, *selectors: Selector) -> set[str]:
        """Runtime-computed keys (hashes, uids) of these pods whose value the selectors constrain: whether
        they match cannot be decided from the manifests."""
        return {
            k
            for sel in selectors
            for k, op, _ in requirements(sel)
            if op in ("In", "NotIn") and k in HASH_KEYS and k in self.free_keys([k])
        }

    def free_keys(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` whose value the controller sets (not written in the template)."""
        dyn = self.dynamic.intersection(keys)
        return {k for k in dyn if k not in self.labels} if dyn else set()

    def may_be_selected(self, *selectors: Selector, terms: Terms | None = None) -> bool | None:
        """Can the (non-empty) selectors all select one pod of this shape? Exact, also over dynamic keys;
        None when the solver cannot decide it within the run's budget (never read it as "no").
        ``terms``: the run's label terms (``label_terms``)."""
        return self.selected_by(Parsed.of(selectors), terms)

    def selected_by(self, parsed: Parsed, terms: Terms | None = None) -> bool | None:
        """``may_be_selected`` with the selectors parsed once (for many shapes)."""
        keys, labels, dynamic = parsed.keys, self.labels, self.dynamic
        if not dynamic or dynamic.isdisjoint(keys) or all(k in labels for k in dynamic.intersection(keys)):
            # ``free_keys(keys)`` is empty
            for r in parsed.reqs:  # every selector selects the written labels (in order, first failure ends it)
                if r is None:
                    return False
                for k, op, vs in r:
                    if not requirement_matches(k, op, vs, labels):
                        return False
            return True
        space = LabelSpace("pod", keys, terms)
        answer = smt.check(
            [
                self.constraint(space),
                space.valid(self.free_keys(keys)),
                *(selector_z3(sel, space, nil_matches=False, empty_matches=True) for sel in parsed.selectors),
            ]
        )
        return None if answer.result == "unknown" else answer.result == "sat"

    def describe(self, keys: Iterable[str] | None = None) -> str:
        """``pods of Deployment/ns/web carry labels {app=web, !tier}`` restricted to ``keys``."""
        tag = ("describe", None if keys is None else frozenset(keys))
        text = self.memo.get(tag)
        if text is None:
            text = self.memo[tag] = self._describe(set(self.labels) if keys is None else set(keys))
        return text

    def _describe(self, keys: set[str]) -> str:
        shown: dict[str, str | None] = {
            k: self.labels.get(k) for k in keys if k in self.labels or k not in self.dynamic
        }
        dyn = sorted(k for k in keys if k in self.dynamic and k not in self.labels)
        start, stop = self.ordinals
        span = (
            f", ordinals {start}..{stop - 1} over the reachable replicas"
            if stop is not None and stop > start
            else ", no pod at any reachable replica count"
            if stop is not None
            else ""
        )
        extra = (
            (
                f" (and {', '.join(dyn)} set by the controller"
                + (span if any(k in ORDINAL_KEYS for k in dyn) else "")
                + ")"
            )
            if dyn
            else ""
        )
        who = f"{self.owner.ref} carries" if isinstance(self.owner, Pod) else f"pods of {self.owner.ref} carry"
        return f"{who} labels {format_labels(shown)}{extra}"

    def containers(self) -> list[Container]:
        """Containers in endpoint named-port order: app containers, then restartable (sidecar) init containers."""
        sidecars = [c for c in self.spec.init_containers or [] if c.restart_policy == "Always"]
        return list(self.spec.containers) + sidecars


def undecided_reason(shapes: list[PodShape]) -> str:
    """Why a verdict that depends on which of ``shapes`` a selector selects is unknown."""
    refs = ", ".join(s.owner.ref for s in shapes[:3]) + (f" and {len(shapes) - 3} more" if len(shapes) > 3 else "")
    return f"the solver could not decide within its budget whether the selector selects the pods of {refs}"


@dataclass(frozen=True)
class Parsed:
    """Selectors parsed once for many shapes: per selector its requirements (``None``: nil, which selects
    nothing here), and every key they mention (``selector_keys``)."""

    selectors: tuple[Selector, ...]
    reqs: tuple[list[tuple[str, str, tuple[str, ...]]] | None, ...]
    keys: set[str]

    @staticmethod
    def of(selectors: Iterable[Selector]) -> Parsed:
        """Raises ``UnsupportedSelector`` like ``requirements``."""
        sels = tuple(selectors)
        reqs = tuple(None if s is None else requirements(s) for s in sels)
        return Parsed(sels, reqs, {k for r in reqs if r for k, _, _ in r})

    def required(self) -> set[str]:
        """Keys the selectors require to be present: matchLabels, In and Exists."""
        return {k for r in self.reqs for k, op, _ in r or () if op in ("In", "Exists")}


def selection(
    shapes: list[PodShape], *selectors: Selector, first: bool = False, terms: Terms | None = None
) -> tuple[list[PodShape], list[PodShape]]:
    """The shapes the selectors may select (with ``first``: up to the first one), and those the
    solver could not decide."""
    hits: list[PodShape] = []
    undecided: list[PodShape] = []
    if not shapes:
        return hits, undecided  # nothing parsed (nor raised)
    return selected_among(shapes, Parsed.of(selectors), first=first, terms=terms)


def selected_among(
    shapes: list[PodShape], parsed: Parsed, *, first: bool = False, terms: Terms | None = None
) -> tuple[list[PodShape], list[PodShape]]:
    """``selection`` with the selectors parsed."""
    hits: list[PodShape] = []
    undecided: list[PodShape] = []
    for s in shapes:
        yes = s.selected_by(parsed, terms)
        if yes is None:
            undecided.append(s)
        elif yes:
            hits.append(s)
            if first:
                break
    return hits, undecided


def shape_of(obj: Resource, ordinals: tuple[int, int | None] = (0, None)) -> PodShape:
    template = pod_template(obj)
    if isinstance(obj, Pod):
        return PodShape(obj, template.metadata, template.spec, frozenset())
    return PodShape(obj, template.metadata, template.spec, dynamic_keys(obj), ordinals)


def ordinals_of(snap: Snapshot, obj: Resource) -> tuple[int, int | None]:
    """A StatefulSet's reachable pod ordinals ``[start, start + max replicas)`` (``spec.ordinals.start``,
    StatefulSetStartOrdinal); other objects: unconstrained."""
    if not isinstance(obj, StatefulSet):
        return (0, None)
    start = obj.spec.ordinals.start if obj.spec.ordinals is not None else 0
    high = replica_range(snap, obj).high
    return (start, None if high is None else start + high)


POD_OWNERS: tuple[type[Resource], ...] = WORKLOAD_KINDS
"""Everything that creates pods from a template (or is a pod)."""
SHAPE_READS: tuple[type[Resource], ...] = (*POD_OWNERS, HorizontalPodAutoscaler)
"""The kinds :func:`pod_shapes` reads (HPAs bound a StatefulSet's ordinals)."""


def workload_objects(snap: Snapshot) -> list[Resource]:
    """Every workload, ReplicationController and bare Pod (distinct models, so no object twice)."""
    return [obj for cls in POD_OWNERS for obj in snap.all(cls) if template_known(obj)]


def controller_selector(w: Resource) -> tuple[Selector, Node, tuple[str | int, ...]]:
    """A controller's selector with its owner node and field: a ReplicationController's map, or its
    template labels when that map is empty (API defaulting); ``spec.selector`` otherwise."""
    if isinstance(w, ReplicationController):
        if w.spec.selector:
            return w.spec.selector, w.spec, ("selector",)
        meta = pod_template(w).metadata
        return (meta.labels or None), meta, ("labels",)
    return w.selector, w.spec, ("selector",)  # type: ignore[attr-defined]


def selecting_services(snap: Snapshot) -> Iterator[tuple[Service, dict[str, str]]]:
    """Services whose endpoints come from their selector (a non-empty map; not ExternalName)."""
    for svc in snap.all(Service):
        if svc.spec.selector and svc.spec.type != "ExternalName":
            yield svc, svc.spec.selector


def shapes_of(ctx: RunContext) -> dict[str, list[PodShape]]:
    """``pod_shapes`` of the run's snapshot, built once per run (shared by the properties)."""
    return ctx.memo(("pods.pod_shapes",), lambda: pod_shapes(ctx.snap), reads=SHAPE_READS)


def label_terms(ctx: RunContext) -> Terms:
    """The run's label terms (``encodings.labels.Terms``): every label space of the run builds into it."""
    return run_terms(ctx)


def pod_shapes(snap: Snapshot) -> dict[str, list[PodShape]]:
    """Every pod shape of the snapshot by namespace (workload templates and bare Pods)."""
    out: dict[str, list[PodShape]] = defaultdict(list)
    snap.all(HorizontalPodAutoscaler)  # read by the StatefulSet ordinals (replica_range) in every case
    for obj in workload_objects(snap):
        out[obj.namespace].append(shape_of(obj, ordinals_of(snap, obj)))
    return out


def required_keys(selector: Selector) -> set[str]:
    """Keys a (non-empty) selector requires to be present: matchLabels, In and Exists."""
    return Parsed.of([selector]).required()


def candidates(shapes: list[PodShape], selector: Selector) -> list[PodShape]:
    """The shapes that carry every key the selector requires (the only ones it can select)."""
    need = required_keys(selector)
    return [s for s in shapes if s.could_match(need)]
