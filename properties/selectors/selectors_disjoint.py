"""CNV204 selectors-disjoint."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping

import z3
from cnverify.encodings.labels import (
    LabelSpace,
    Selector,
    UnsupportedSelector,
    format_labels,
    is_empty,
    requirements,
    selector_keys,
)
from cnverify.model import (
    DaemonSet,
    Deployment,
    Job,
    LabelSelector,
    Node,
    ReplicaSet,
    StatefulSet,
    Workload,
)
from cnverify.model.apps import ReplicationController
from cnverify.obligation import Obligation
from cnverify.properties.selectors.pods import (
    POD,
    PodShape,
    add_pod_facts,
    controller_selector,
    labels_of,
    selector_facts,
    shape_of,
)
from cnverify.registry import Property, register
from cnverify.snapshot import Snapshot

CONTROLLERS = (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, ReplicationController)
Located = tuple[LabelSelector | Mapping[str, str], Node, tuple[str | int, ...]]


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


def reachable(shapes: list[PodShape], selector: Selector, by_pair: dict[tuple[str, str], list[int]],
              by_key: dict[str, list[int]]) -> set[int]:
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
    Violated (once per pair): the label set of a pod both selectors select (`@pod` is the template
    it comes from; controller-added labels take a value the solver chooses) and both selectors.
    Proved: the minimal facts separating the pair; controllers no other selector can reach are
    proved by the key index (no solver call).

    ## Example
    ```yaml
    # Deployment a: selector {app: web}; Deployment b: selector {app: web, tier: api}
    # b's pods {app: web, tier: api} are selected by a → violated
    ```
    """

    code = "CNV204"
    name = "selectors-disjoint"
    title = "Workload selectors do not overlap"
    severity = "warning"
    reads = CONTROLLERS
    remediation = "Add a distinguishing label (and selector requirement) to one of the two workloads."
    closed_world = frozenset({"proved"})  # absent here may be in an unread document

    def obligations(self, snap: Snapshot) -> Iterator[Obligation]:
        position = {id(r): i for i, r in enumerate(snap.resources)}
        by_ns: dict[str, list[tuple[PodShape, Located]]] = defaultdict(list)
        for w in sorted((w for cls in CONTROLLERS for w in snap.all(cls)), key=lambda r: position[id(r)]):
            sel = controller_selector(w)
            if sel[0] is None or is_empty(sel[0]):
                continue  # generated (Job) or invalid (CNV201)
            try:
                requirements(sel[0])
            except UnsupportedSelector as exc:
                ob = self.obligation(w, at=w.spec.at("selector"))  # type: ignore[attr-defined]
                ob.unknown(str(exc))
                yield ob
                continue
            by_ns[w.namespace].append((shape_of(w), sel))  # type: ignore[arg-type]
        for members in by_ns.values():
            shapes = [m[0] for m in members]
            by_pair, by_key = _index(shapes)
            pairs: set[tuple[int, int]] = set()
            for i in range(len(shapes)):
                for j in reachable(shapes, members[i][1][0], by_pair, by_key):
                    if j != i and shapes[i].owner.ref != shapes[j].owner.ref:
                        pairs.add((min(i, j), max(i, j)))
            paired = {i for p in pairs for i in p}
            for i, s in enumerate(shapes):
                if i not in paired:
                    yield self.alone(s, len(shapes))
            for i, j in sorted(pairs):
                yield self.pair(members[i], members[j])

    def alone(self, s: PodShape, n: int) -> Obligation:
        w: Workload = s.owner  # type: ignore[assignment]
        ob = self.obligation(w, at=w.spec.at("selector"))  # type: ignore[attr-defined]
        ob.note(f"the selector requires keys/values no pod of the other {n - 1} controller(s) in namespace "
                f"{w.namespace} carries, and no other selector requires keys/values its pods carry",
                w.spec.at("selector"))  # type: ignore[attr-defined]
        ob.decide("proved", "no other controller's selector can select these pods, nor this one theirs (key index)")
        ob.on(proved=f"no other controller in namespace {w.namespace} overlaps with {w.ref}")
        return ob

    def pair(self, ma_: tuple[PodShape, Located], mb_: tuple[PodShape, Located]) -> Obligation:
        (a, (sa, na, fa)), (b, (sb, nb, fb)) = ma_, mb_
        wa, wb = a.owner, b.owner
        ob = self.obligation(wa, at=wa.spec.at("selector"))  # type: ignore[attr-defined]
        space = LabelSpace("pod", selector_keys(sa) | selector_keys(sb))
        ma = selector_facts(ob, space, sa, na, fa, tag="a", whose=f"{wa.ref}'s selector")
        mb = selector_facts(ob, space, sb, nb, fb, tag="b", whose=f"{wb.ref}'s selector")
        add_pod_facts(ob, space, [a, b], who=f"the pod is one of {wa.ref}'s or {wb.ref}'s")
        free = a.free_keys(space.keys) | b.free_keys(space.keys)
        ob.counterexample(z3.And(ma, mb, space.valid(free)), says=f"both {wa.ref} and {wb.ref} select the pod")
        space.show_on(ob)
        ob.on(violated=lambda w: f"{wa.ref} and {wb.ref} both select the pods of {w[POD]} {format_labels(labels_of(w))}",
              proved=f"{wa.ref} and {wb.ref} select disjoint pods")
        return ob

