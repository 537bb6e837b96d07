"""CNV204 selectors-disjoint."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import cast

import z3
from cnverify.encodings import zterms
from cnverify.encodings.labels import (
    LabelSpace,
    Selector,
    Terms,
    UnsupportedSelector,
    format_labels,
    is_empty,
    requirements,
    selector_keys,
)
from cnverify.errors import Span
from cnverify.model import (
    CronJob,
    DaemonSet,
    Deployment,
    Job,
    LabelSelector,
    Node,
    ReplicaSet,
    Resource,
    StatefulSet,
    Workload,
)
from cnverify.model.apps import ReplicationController
from cnverify.obligation import Obligation
from cnverify.properties._shared.owners import owner_in_inputs
from cnverify.properties._shared.selectors.pod_facts import add_pod_facts, labels_of, pick, selector_facts
from cnverify.properties._shared.selectors.pods import POD, PodShape, controller_selector, label_terms, shape_of
from cnverify.registry import Property, register
from cnverify.run_context import RunContext

CONTROLLERS = (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, ReplicationController)
Located = tuple[LabelSelector | Mapping[str, str], Node, tuple[str | int, ...]]
Member = tuple[PodShape, Located]
NAME_VALUED = frozenset({"StatefulSet", "Job", "CronJob"})
"""Kinds whose controller-added label values derive from the object's name (``pods.DYNAMIC_KEYS``)."""
MAX_NOTED = 10
"""Members of a group listed (located) in its finding."""


def _index(shapes: list[PodShape]) -> tuple[dict[tuple[str, str], list[int]], dict[str, list[int]]]:
    """Shapes by written ``(key, value)`` and by carried key (written or controller-added)."""
    by_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(shapes):
        for k, v in s.labels.items():
            by_pair[(k, v)].append(i)
        for k in s.keys():
            by_key[k].append(i)
    return by_pair, by_key


def reachable(
    shapes: list[PodShape], selector: Selector, by_pair: dict[tuple[str, str], list[int]], by_key: dict[str, list[int]]
) -> set[int]:
    """Indexes of shapes that ``selector`` may select (an exact superset: required keys and values)."""
    best: set[int] | None = None
    for k, op, values in requirements(selector):
        if op == "In":
            dyn = {j for j in by_key.get(k, []) if k in shapes[j].dynamic and k not in shapes[j].labels}
            cand = dyn.union(*(by_pair.get((k, v), []) for v in values))
        elif op == "Exists":
            cand = set(by_key.get(k, []))
        else:
            continue
        best = cand if best is None or len(cand) < len(best) else best
    return set(range(len(shapes))) if best is None else best


def _selector_at(owner: Resource) -> Span:
    """Where a member's controller (one of ``CONTROLLERS``, all workloads) has ``spec.selector``."""
    return cast(Workload, owner).spec.at("selector")


@register
class SelectorsDisjoint(Property):
    """
    ## What it proves
    No pod of a workload controller (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job with a
    selector) is selected by the selector of another controller in the same namespace.

    ## Why it matters
    Controllers with overlapping selectors fight over pods: the Deployment documentation warns
    that they "won't behave correctly", orphaned pods get adopted by the wrong owner, and status and
    rollouts count pods that are not theirs. The API server does not check it.

    ## Evidence
    Controllers of one namespace with the same selector and pod template form a group (they overlap
    each other or none): one finding per group and per pair of groups, about the canonical member
    (first by kind, namespace, name, then file and line), the other members noted with their location.
    Violated: the label set of a pod both selectors select (`@pod` is the template
    it comes from; controller-added labels take a value the solver chooses) and both selectors.
    Proved: the minimal facts separating the pair; controllers no other selector can reach are
    proved by the key index (no solver call).

    ## Example
    ```yaml
    # Deployment a: selector {app: web}; Deployment b: selector {app: web, tier: api}
    # b's pods {app: web, tier: api} are selected by a → violated
    ```

    ## Assumes
    - The controllers of the namespace are those in the inputs; an object whose controlling `ownerReference`
      names an object in the inputs (a `kubectl get` dump's ReplicaSets and Pods) belongs to it, not
      another controller.
    - Controller-set labels as in CNV202 (a `pod-template-hash` value cannot be computed: `unknown`).
    """

    code = "CNV204"
    name = "selectors-disjoint"
    title = "Workload selectors do not overlap"
    severity = "warning"
    reads = (*CONTROLLERS, CronJob)  # a Job whose owning CronJob is in the inputs counts through it (owners)
    remediation = "Add a distinguishing label (and selector requirement) to one of the two workloads."
    closed_world = frozenset({"proved"})  # absent here may be in an unread document

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        by_ns: dict[str, list[Member]] = defaultdict(list)
        for w in sorted((w for cls in CONTROLLERS for w in snap.all(cls)), key=canonical):
            if owner_in_inputs(snap, w):
                continue  # a kubectl dump's ReplicaSet of a Deployment in the inputs is that Deployment's
            sel = controller_selector(w)
            if sel[0] is None or is_empty(sel[0]):
                continue  # generated (Job) or invalid (CNV201)
            try:
                requirements(sel[0])
            except UnsupportedSelector as exc:
                ob = self.obligation(w, at=w.spec.at("selector"))
                ob.unknown(str(exc))
                yield ob
                continue
            by_ns[w.namespace].append((shape_of(w), sel))  # type: ignore[arg-type]
        terms = label_terms(ctx)
        for ns in sorted(by_ns):
            yield from self.namespace(by_ns[ns], terms)

    def namespace(self, members: list[Member], terms: Terms) -> Iterator[Obligation]:
        """One finding per group of controllers with the same selector and pod template (their mutual
        overlap), one per pair of groups a selector can reach, one for each group alone; each is about
        the group's canonical member (``canonical``: the first of the members sorted)."""
        groups = list(group_members(members).values())
        shapes = [g[0][0] for g in groups]
        by_pair, by_key = _index(shapes)
        pairs: set[tuple[int, int]] = set()
        for i in range(len(shapes)):
            for j in reachable(shapes, groups[i][0][1][0], by_pair, by_key):
                if j != i and shapes[i].owner.ref != shapes[j].owner.ref:  # one object defined twice
                    pairs.add((min(i, j), max(i, j)))
        paired = {i for p in pairs for i in p}
        for i, g in enumerate(groups):
            if len(g) > 1:
                yield self.pair(g[0], g[1], g, [], terms)
            elif i not in paired:
                yield self.alone(g[0][0], len(members))
        for i, j in sorted(pairs):
            yield self.pair(groups[i][0], groups[j][0], groups[i], groups[j], terms)

    def alone(self, s: PodShape, n: int) -> Obligation:
        w = s.owner
        ob = self.obligation(w, at=_selector_at(w))
        ob.note(
            f"the selector requires keys/values no pod of the other {n - 1} controller(s) in namespace "
            f"{w.namespace} carries, and no other selector requires keys/values its pods carry",
            _selector_at(w),
        )
        ob.decide("proved", "no other controller's selector can select these pods, nor this one theirs (key index)")
        ob.on(proved=f"no other controller in namespace {w.namespace} overlaps with {w.ref}")
        return ob

    def pair(self, ma_: Member, mb_: Member, same_a: list[Member], same_b: list[Member], terms: Terms) -> Obligation:
        """Do ``ma_`` and ``mb_`` select a common pod?  ``same_a``/``same_b``: the groups they stand for
        (controllers with the same selector and pod template, so the same answer)."""
        (a, (sa, na, fa)), (b, (sb, nb, fb)) = ma_, mb_
        wa, wb = a.owner, b.owner
        ob = self.obligation(wa, at=_selector_at(wa))
        others = [m[0].owner for m in [*same_a, *same_b] if m[0].owner not in (wa, wb)]
        for w in others[:MAX_NOTED]:
            twin = wa if any(m[0].owner is w for m in same_a) else wb
            ob.note(f"{w.ref} has the same selector and pod template as {twin.ref}", _selector_at(w))
        space = LabelSpace("pod", selector_keys(sa) | selector_keys(sb), terms)
        ma = selector_facts(ob, space, sa, na, fa, tag="a", whose=f"{wa.ref}'s selector")
        mb = selector_facts(ob, space, sb, nb, fb, tag="b", whose=f"{wb.ref}'s selector")
        add_pod_facts(ob, space, [a, b], who=f"the pod is one of {wa.ref}'s or {wb.ref}'s")
        free = a.free_keys(space.keys) | b.free_keys(space.keys)
        for i, shape in enumerate((a, b)):  # runtime hashes: only a breach without a coincidence stands
            pins = shape.pinned(sa, sb)
            values = sorted({v for sel in (sa, sb) for k, op, vs in requirements(sel) if k in pins for v in vs})
            if pins:
                ob.fact(
                    z3.Implies(
                        pick(space, i),
                        z3.And([space.value(k) != z3.StringVal(v) for k in pins for v in values]),
                    ),
                    at=shape.where,
                    says=f"assumes: {', '.join(sorted(pins))} of {shape.owner.ref}'s pods "
                    f"(computed at runtime) is none of {', '.join(values)}",
                )
                ob.only_refute(
                    f"{', '.join(sorted(pins))} of {shape.owner.ref}'s pods is a hash computed at runtime; "
                    "if it took a value a selector requires, the two would overlap"
                )
        ob.counterexample(zterms.conj([ma, mb, space.valid(free)]), says=f"both {wa.ref} and {wb.ref} select the pod")
        space.show_on(ob)
        also = f" (and {len(others)} other controller(s) with the same selector and pod template)" if others else ""
        ob.on(
            violated=lambda w: f"{wa.ref} and {wb.ref}{also} select the pods of {w[POD]} {format_labels(labels_of(w))}",
            proved=f"{wa.ref} and {wb.ref}{also} select disjoint pods",
        )
        return ob


def canonical(r: Resource) -> tuple[str, str, str, str, int, int]:
    """The order that decides which member a pairwise finding is about: (kind, namespace, name),
    then the position of its definition — never the order files were read in."""
    at = r.at()
    return (type(r).KIND, r.namespace, r.name, at.file, at.line, at.column)


def group_members(members: list[Member]) -> dict[str, list[Member]]:
    """Members (in canonical order) grouped by everything their overlap depends on: kind, selector,
    template labels and controller-added keys (and the name, where those keys' values derive from
    it: StatefulSet pod names, Job names).  Members of one group overlap each other or none."""
    groups: dict[str, list[Member]] = {}
    seen: set[tuple[str, str]] = set()
    for m in members:
        shape, (sel, _, _) = m
        named = shape.owner.name if type(shape.owner).KIND in NAME_VALUED else None
        key = json.dumps(
            [
                type(shape.owner).KIND,
                sorted(map(repr, requirements(sel))),
                sorted(shape.labels.items()),
                sorted(shape.dynamic),
                named,
            ]
        )
        if (key, shape.owner.ref) not in seen:  # one object defined twice: once
            seen.add((key, shape.owner.ref))
            groups.setdefault(key, []).append(m)
    return groups
