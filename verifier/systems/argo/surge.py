"""The extra pods a Rollout runs during an update, over its replica count N (docs/SEMANTICS.md#argo-rollouts).

argoproj/argo-rollouts ``utils/replicaset/canary.go`` (``CalculateReplicaCountsForBasicCanary``: total ≤ N +
maxSurge; ``CalculateReplicaCountsForTrafficRoutedCanary``: stable stays at N, canary up to N),
``utils/defaults/defaults.go`` (maxSurge default ``"25"``, read by ``intstr.GetValueFromIntOrPercent``, which
takes every string as a percentage), ``rollout/bluegreen.go`` (the new ReplicaSet reaches N before the active
Service switches; the old one keeps N for scaleDownDelaySeconds, default 30).
"""

from __future__ import annotations

import re

from cnverify.model.argo import Rollout
from cnverify.systems.kubernetes.quota import Surge

_NUMBER = re.compile(r"([0-9]+)%?")


def canary_scale_replicas(ro: Rollout) -> list[int] | str:
    """The ``setCanaryScale.replicas`` of the steps (not capped by spec.replicas), or why the canary count is not
    bounded by the full count: a ``weight`` above ``maxTrafficWeight`` (``trafficWeightToReplicas`` gives
    ceil(weight × N / maxTrafficWeight) pods) or a value that is not an integer."""
    routing = ro.spec.strategy.canary.traffic_routing if ro.spec.strategy.canary else None
    top = (routing or {}).get("maxTrafficWeight", 100)
    out: list[int] = []
    for i, step in enumerate(ro.spec.strategy.canary.steps or [] if ro.spec.strategy.canary else []):
        scale = step.get("setCanaryScale") if isinstance(step, dict) else None
        if not isinstance(scale, dict):
            continue
        replicas, weight = scale.get("replicas"), scale.get("weight")
        if replicas is not None and (not isinstance(replicas, int) or isinstance(replicas, bool)):
            return f"{ro.ref} step {i}: setCanaryScale.replicas {replicas!r} is not an integer"
        if replicas is not None:
            out.append(replicas)
        elif weight is not None and (
            not isinstance(weight, int) or not isinstance(top, int) or weight > top or top < 1
        ):
            return (
                f"{ro.ref} step {i}: setCanaryScale.weight {weight!r} (maxTrafficWeight {top!r}) may size the "
                "canary above the full count; that bound is not modelled"
            )
    return out


def rollout_surge(ro: Rollout) -> Surge | str:
    """The update's extra pods (a :class:`Surge`), or why they are not bounded by what the manifest says."""
    strategy, spec = ro.spec.strategy, ro.spec
    if strategy.blue_green is not None and strategy.canary is not None:
        return (
            f'{ro.ref} lists both canary and blueGreen ("Multiple Strategies can not be listed"): the '
            "controller does not progress it"
        )
    if strategy.blue_green is not None:
        bg = strategy.blue_green
        delay = bg.scale_down_delay_seconds
        p = bg.preview_replica_count
        return Surge(
            100,
            True,
            bg.at("previewReplicaCount") if p is not None else strategy.at("blueGreen"),
            f"blue-green: {ro.name}'s new ReplicaSet reaches its full count before promotion while the "
            f"active one keeps its pods for scaleDownDelaySeconds {30 if delay is None else delay}"
            f"{' (default)' if delay is None else ''}" + (f"; the preview runs {p} before promotion" if p else ""),
            floor=p or 0,
        )
    canary = strategy.canary
    if canary is None:
        return f"{ro.ref} states no canary or blueGreen strategy (rejected by the controller)"
    if canary.traffic_routing:
        fixed = canary_scale_replicas(ro)
        if isinstance(fixed, str):
            return fixed
        scaled = f"; setCanaryScale runs up to {max(fixed)} canary pods" if fixed else ""
        return Surge(
            100,
            True,
            canary.at("trafficRouting"),
            f"canary with traffic routing: {ro.name}'s stable ReplicaSet keeps its count while the canary "
            f"grows up to the full count (at the last step / setWeight 100){scaled}",
            floor=max(fixed, default=0),
        )
    raw = canary.max_surge if canary.max_surge is not None else "25"
    at = canary.at("maxSurge") if canary.max_surge is not None else spec.at("strategy")
    given = "" if canary.max_surge is not None else " (default)"
    if isinstance(raw, int):
        return Surge(raw, False, at, f"a canary update of {ro.name} may add maxSurge {raw} pod(s)")
    m = _NUMBER.fullmatch(raw)
    if m is None or len(m.group(1)) > 10:
        return f"maxSurge {raw[:40]!r} of {ro.ref} is not an integer or a percentage (rejected)"
    return Surge(
        int(m.group(1)),
        True,
        at,
        f"a canary update of {ro.name} may add maxSurge {raw!r}{given}: "
        f"{m.group(1)}% of its replicas, rounded up (Argo Rollouts reads every string as a percentage)",
    )
