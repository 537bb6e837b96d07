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


def rollout_surge(ro: Rollout) -> Surge | str:
    """The update's extra pods (a :class:`Surge`), or why they are not bounded by what the manifest says."""
    strategy, spec = ro.spec.strategy, ro.spec
    if strategy.blue_green is not None and strategy.canary is not None:
        return f"{ro.ref} lists both canary and blueGreen (\"Multiple Strategies can not be listed\"): the " \
               "controller does not progress it"
    if strategy.blue_green is not None:
        bg = strategy.blue_green
        delay = bg.scale_down_delay_seconds
        p = bg.preview_replica_count
        return Surge(100, True, bg.at("previewReplicaCount") if p is not None else strategy.at("blueGreen"),
                     f"blue-green: {ro.name}'s new ReplicaSet reaches its full count before promotion while the "
                     f"active one keeps its pods for scaleDownDelaySeconds {30 if delay is None else delay}"
                     f"{' (default)' if delay is None else ''}" + (f"; the preview runs {p} before promotion" if p else ""),
                     floor=p or 0)
    canary = strategy.canary
    if canary is None:
        return f"{ro.ref} states no canary or blueGreen strategy (rejected by the controller)"
    if canary.traffic_routing:
        fixed = [n for step in canary.steps or [] if isinstance(step, dict)
                 for n in [(step.get("setCanaryScale") or {}).get("replicas")] if isinstance(n, int)]
        scaled = f"; setCanaryScale runs up to {max(fixed)} canary pods" if fixed else ""
        return Surge(100, True, canary.at("trafficRouting"),
                     f"canary with traffic routing: {ro.name}'s stable ReplicaSet keeps its count while the canary "
                     f"grows up to the full count (at the last step / setWeight 100){scaled}", floor=max(fixed, default=0))
    raw = canary.max_surge if canary.max_surge is not None else "25"
    at = canary.at("maxSurge") if canary.max_surge is not None else spec.at("strategy")
    given = "" if canary.max_surge is not None else " (default)"
    if isinstance(raw, int):
        return Surge(raw, False, at, f"a canary update of {ro.name} may add maxSurge {raw} pod(s)")
    m = _NUMBER.fullmatch(raw)
    if m is None or len(m.group(1)) > 10:
        return f"maxSurge {raw[:40]!r} of {ro.ref} is not an integer or a percentage (rejected)"
    return Surge(int(m.group(1)), True, at, f"a canary update of {ro.name} may add maxSurge {raw!r}{given}: "
                 f"{m.group(1)}% of its replicas, rounded up (Argo Rollouts reads every string as a percentage)")
