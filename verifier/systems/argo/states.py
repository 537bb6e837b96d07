"""The reachable states of an Argo Rollout's update: step by step, abort and promotion (docs/SEMANTICS.md#argo-rollouts).

One function, :func:`rollout_states`, used by every property that reads a Rollout's pods or weights (CNV302,
CNV404, the Istio weights of CNV103). Checked against argoproj/argo-rollouts 9f8d111d:
``utils/replicaset/canary.go`` (``GetCurrentSetWeight``, ``UseSetCanaryScale``, ``GetCanaryReplicasOrWeight``,
``GetDesiredCanaryWeight``, ``CalculateReplicaCountsForBasicCanary``, ``approximateWeightedCanaryStableReplicaCounts``,
``CalculateReplicaCountsForTrafficRoutedCanary``, ``trafficWeightToReplicas``, ``CheckMinPodsPerReplicaSet``),
``utils/replicaset/replicaset.go`` (``resolveFenceposts``: maxSurge rounds up, maxUnavailable down, both 0 →
maxUnavailable 1), ``utils/defaults/defaults.go`` (``GetAbortScaleDownDelaySecondsOrDefault``),
``rollout/bluegreen.go`` (preview at ``previewReplicaCount``, full count before the switch, the old ReplicaSet kept
for ``scaleDownDelaySeconds``), ``rollout/ephemeralmetadata.go`` (which pods carry which ephemeral labels).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from cnverify.model.argo import CanaryStrategy, Rollout, SetCanaryScale

Role = Literal["stable", "canary", "old"]
_NUMBER = re.compile(r"([0-9]+)%?")


@dataclass(frozen=True)
class State:
    """One reachable state for a replica count N: pods per role and the canary's traffic weight.

    Roles: ``stable`` (blue-green: active), ``canary`` (blue-green: preview), ``old`` (the previous stable
    ReplicaSet after promotion, waiting out ``scaleDownDelaySeconds``; it carries no ephemeral metadata)."""

    label: str
    step: int | None  # status.currentStepIndex of the state, None outside the steps
    stable: int
    canary: int
    old: int = 0
    weight: int | None = None  # the canary weight the traffic router writes (None: no traffic routing)

    @property
    def pods(self) -> int:
        return self.stable + self.canary + self.old

    def count(self, role: Role) -> int:
        return {"stable": self.stable, "canary": self.canary, "old": self.old}[role]


def max_traffic_weight(c: CanaryStrategy) -> int:
    """``weightutil.MaxTrafficWeight``: ``trafficRouting.maxTrafficWeight``, default 100."""
    w = c.traffic_routing.max_traffic_weight if c.traffic_routing else None
    return 100 if w is None else w


def _ceil(weight: int, n: int, top: int) -> int:
    """``trafficWeightToReplicas``: ceil(weight × N / maxTrafficWeight)."""
    return math.ceil(weight * n / top) if top else 0


def fence(raw: int | str | None, default: str, n: int, up: bool) -> int | str:
    """``intstr.GetValueFromIntOrPercent`` as the controller calls it: every string is a percentage."""
    value = default if raw is None else raw
    if isinstance(value, int):
        return value
    m = _NUMBER.fullmatch(value)
    if m is None or len(m.group(1)) > 10:
        return f"{value[:40]!r} is not an integer or a percentage (rejected)"
    p = int(m.group(1))
    return -(-p * n // 100) if up else p * n // 100


def fenceposts(c: CanaryStrategy, n: int) -> tuple[int, int] | str:
    """``(maxSurge, maxUnavailable)`` resolved for N pods (``resolveFenceposts``), or why not."""
    surge = fence(c.max_surge, "25", n, True)
    unavailable = fence(c.max_unavailable, "25", n, False)
    if isinstance(surge, str) or isinstance(unavailable, str):
        return f"maxSurge/maxUnavailable {surge if isinstance(surge, str) else unavailable}"
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, n)


def set_weights(c: CanaryStrategy) -> list[int]:
    """The traffic weight at each step index (``GetCurrentSetWeight``): the nearest setWeight at or before it, else 0."""
    out, w = [], 0
    for step in c.steps or []:
        w = step.set_weight if step.set_weight is not None else w
        out.append(w)
    return out


def canary_scales(c: CanaryStrategy) -> list[SetCanaryScale | None]:
    """The setCanaryScale in force at each step index (``UseSetCanaryScale``): sticky until matchTrafficWeight."""
    out: list[SetCanaryScale | None] = []
    scale: SetCanaryScale | None = None
    for step in c.steps or []:
        if step.set_canary_scale is not None:
            scale = None if step.set_canary_scale.match_traffic_weight else step.set_canary_scale
        out.append(scale)
    return out


def _approximate(n: int, weight: int, top: int, surge: int) -> tuple[int, int]:
    """``approximateWeightedCanaryStableReplicaCounts``: (canary, stable) closest to weight/top, total N or N+1."""
    if n == 0:
        return 0, 0

    def tied(total: int) -> bool:
        return math.modf(float(total) * (float(weight) / float(top)))[0] == 0.5

    def delta(canary: int, total: int) -> float:
        return abs(float(canary * top) / float(total) - float(weight))

    ceil, floor = math.ceil(n * weight / top), math.floor(n * weight / top)
    zero_ok = weight in (top, 0) or (n == 1 and surge == 0)
    options = []
    if ceil < n or zero_ok:
        options.append((ceil, n))
    if not tied(n) and (floor != 0 or zero_ok):
        options.append((floor, n))
    if surge > 0:
        options.append((ceil, n + 1))
        if not tied(n + 1) and (floor != 0 or zero_ok):
            options.append((floor, n + 1))
    if not options:
        return 0, n
    best = options[0]
    for o in options[1:]:
        if delta(*o) < delta(*best):
            best = o
    return best[0], best[1] - best[0]


def _step_label(c: CanaryStrategy, i: int) -> str:
    step = (c.steps or [])[i]
    what = next(
        (
            f"{k} {v}" if k == "setWeight" else k
            for k, v in (
                ("setWeight", step.set_weight),
                ("setCanaryScale", step.set_canary_scale),
                ("pause", step.pause),
                ("analysis", step.analysis),
                ("experiment", step.experiment),
                ("plugin", step.plugin),
                ("setHeaderRoute", step.set_header_route),
                ("setMirrorRoute", step.set_mirror_route),
            )
            if v is not None
        ),
        "no action",
    )
    return f"step {i} ({what})"


def _basic(ro: Rollout, c: CanaryStrategy, n: int) -> list[State] | str:
    posts = fenceposts(c, n)
    if isinstance(posts, str):
        return f"{ro.ref}: {posts}"
    surge, _ = posts
    top = max_traffic_weight(c)
    steady = [State("before the update (stable only)", None, n, 0)]
    for i, w in enumerate(set_weights(c)):
        canary, stable = _approximate(n, w, top, surge)
        steady.append(State(_step_label(c, i), i, stable, canary))
    steady.append(State("after the last step (canary at full count)", len(c.steps or []), 0, n))
    out = list(steady)
    # Transitions scale up first (the stable before the canary), never above N + maxSurge (CalculateReplicaCounts-
    # ForBasicCanary's scaleUpCount); the abort goes back to (0, N) from any step.
    for a, b in [*zip(steady, steady[1:], strict=False), *((s, steady[0]) for s in steady[1:-1])]:
        up = max(0, b.stable - a.stable) + max(0, b.canary - a.canary)
        extra = min(n + surge, a.pods + up) - a.pods
        if extra > 0:
            grow_stable = min(extra, max(0, b.stable - a.stable))
            back = " (abort)" if b is steady[0] else ""
            out.append(
                State(
                    f"{a.label} → {b.label}{back}: pods created before old ones are removed (maxSurge {surge})",
                    a.step,
                    a.stable + grow_stable,
                    a.canary + extra - grow_stable,
                )
            )
    return out


def _routed(ro: Rollout, c: CanaryStrategy, n: int) -> list[State]:
    top, dynamic = max_traffic_weight(c), bool(c.dynamic_stable_scale)
    floor = min(c.min_pods_per_replica_set or 0, n)

    def min_pods(count: int) -> int:  # CheckMinPodsPerReplicaSet
        return max(count, floor) if count else 0

    def stable_for(desired: int, actual: int) -> int:
        return min_pods(max(_ceil(top - desired, n, top), _ceil(top - actual, n, top))) if dynamic else n

    out = [State("before the update (stable only)", None, n, 0, weight=0)]
    prev = 0
    for i, (w, scale) in enumerate(zip(set_weights(c), canary_scales(c), strict=True)):
        desired = w
        if scale is not None and scale.replicas is not None:
            canary, desired = (min_pods(scale.replicas) if dynamic else scale.replicas), 0
        elif scale is not None and scale.weight is not None:
            desired = scale.weight
            canary = min_pods(_ceil(desired, n, top))
        else:
            canary = min_pods(_ceil(w, n, top))
        label = _step_label(c, i)
        if dynamic and prev != w:
            out.append(
                State(
                    f"{label}, before traffic moves from weight {prev}", i, stable_for(desired, prev), canary, 0, prev
                )
            )
        out.append(State(label, i, stable_for(desired, w), canary, 0, w))
        prev = w
    last = len(c.steps or [])
    if dynamic:
        out.append(State("after the last step, before traffic moves", last, stable_for(top, prev), n, 0, prev))
        out.append(State("promoted (full weight)", last, n, 0, 0, top))
        out += _dynamic_aborts(c, out, n, top)
    else:
        delay = c.scale_down_delay_seconds
        out.append(State("after the last step (canary at full count, full weight)", last, n, n, 0, top))
        out.append(
            State(
                f"promoted: the previous stable keeps its pods for scaleDownDelaySeconds "
                f"{30 if delay is None else delay}{' (default)' if delay is None else ''}",
                last,
                n,
                0,
                n,
                top,
            )
        )
    out.append(State("aborted (weight back to 0; canary pods kept for abortScaleDownDelaySeconds)", None, n, 0, 0, 0))
    return out


def _dynamic_aborts(c: CanaryStrategy, states: list[State], n: int, top: int) -> list[State]:
    """With dynamicStableScale an abort scales the stable back up step by step (``GetDesiredCanaryWeight``): the
    canary keeps its pods until traffic has moved; an explicit ``abortScaleDownDelaySeconds`` keeps it at its
    count until the stable is at full count."""
    explicit = c.abort_scale_down_delay_seconds not in (None, 0)
    weights = [s.set_weight for s in c.steps or [] if s.set_weight is not None]
    out = []
    for s in states[1:]:
        if s.canary == 0:
            continue
        canary, stable = s.canary, s.stable
        for _ in range(len(weights) + 2):
            wanted = n - stable if explicit else max(n - stable, canary)
            back = next((w for w in reversed(weights) if _ceil(w, n, top) < wanted), 0)
            target = max(_ceil(top - back, n, top), stable)
            target = max(target, min(c.min_pods_per_replica_set or 0, n)) if target else 0
            if target == stable and back == 0:
                break
            out.append(
                State(f"abort from {s.label}: stable scaled back up for weight {back}", s.step, target, canary, 0)
            )
            stable = target
            if not explicit:
                canary = max(_ceil(back, n, top), min(c.min_pods_per_replica_set or 0, n)) if back else 0
            if back == 0:
                break
    return out


def _blue_green(ro: Rollout, n: int) -> list[State]:
    bg = ro.spec.strategy.blue_green
    assert bg is not None
    p = n if bg.preview_replica_count is None else bg.preview_replica_count
    delay = bg.scale_down_delay_seconds
    return [
        State("before the update (active only)", None, n, 0),
        State(
            f"preview ({'previewReplicaCount ' + str(p) if bg.preview_replica_count is not None else 'full count'})",
            None,
            n,
            p,
        ),
        State("promotion: the preview at full count before the active Service switches", None, n, n),
        State(
            f"promoted: the previous active keeps its pods for scaleDownDelaySeconds "
            f"{30 if delay is None else delay}{' (default)' if delay is None else ''}",
            None,
            n,
            0,
            n,
        ),
    ]


def rollout_states(ro: Rollout, n: int) -> list[State] | str:
    """Every reachable state of ``ro``'s update at N = ``n`` replicas (one update at a time), or why not modelled."""
    strategy = ro.spec.strategy
    if strategy.blue_green is not None and strategy.canary is not None:
        return f'{ro.ref} lists both canary and blueGreen ("Multiple Strategies can not be listed"): not progressed'
    if strategy.blue_green is not None:
        return _blue_green(ro, n)
    c = strategy.canary
    if c is None:
        return f"{ro.ref} states no canary or blueGreen strategy (rejected by the controller)"
    return _routed(ro, c, n) if c.traffic_routing is not None else _basic(ro, c, n)


def role_labels(ro: Rollout, role: Role) -> dict[str, str]:
    """The pod labels of one role: the template's plus the role's ephemeral metadata (none for ``old``)."""
    base = dict(ro.template.metadata.labels or {})
    s = ro.spec.strategy
    meta = None
    if role != "old" and s.canary is not None:
        meta = s.canary.stable_metadata if role == "stable" else s.canary.canary_metadata
    elif role != "old" and s.blue_green is not None:
        meta = s.blue_green.active_metadata if role == "stable" else s.blue_green.preview_metadata
    return {**base, **(meta.labels or {})} if meta is not None else base
