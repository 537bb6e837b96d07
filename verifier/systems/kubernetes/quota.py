"""What a ResourceQuota counts for a pod, which pods its scopes select, and a rollout's surge (docs/SEMANTICS.md#resourcequota).

Kubernetes' own quota semantics, shared by CNV302 (``properties/_shared/resources/quota_model.py``) and
``cnverify diff``'s capacity deltas. Checked against kubernetes ``pkg/quota/v1/evaluator/core/pods.go``
(``podResources``, ``MatchingResources``, ``podComputeUsageHelper``, ``validationSet``, ``podMatchesScopeFunc``)
and ``pkg/controller/deployment/util`` (``ResolveFenceposts``: maxSurge percentages round up).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cnverify.encodings.resource_names import is_native
from cnverify.encodings.resources import EffectiveContainer, is_best_effort
from cnverify.errors import Span
from cnverify.model import Deployment, Resource, ResourceQuota, Rollout
from cnverify.model.openfaas import Function

COMPUTE = ("cpu", "memory", "ephemeral-storage")
#: Quota keys for which every container must state the value (``validationSet``: "must specify").
MUST_SPECIFY = {
    "cpu": ("requests", "cpu"),
    "requests.cpu": ("requests", "cpu"),
    "limits.cpu": ("limits", "cpu"),
    "memory": ("requests", "memory"),
    "requests.memory": ("requests", "memory"),
    "limits.memory": ("limits", "memory"),
}
DECIDABLE_SCOPES = ("BestEffort", "NotBestEffort")
PERCENT = re.compile(r"([0-9]+)%")


def pod_usage(key: str, requests: dict[str, int], limits: dict[str, int]) -> int | None:
    """Milli-units one pod adds to quota ``key``; ``None`` when ``key`` is not a pod compute key."""
    if key in ("pods", "count/pods"):  # pods.go: count/pods also counts finished pods (see quota_objects)
        return 1000
    if key in COMPUTE or key.startswith("hugepages-"):
        return requests.get(key, 0)
    if key.startswith("requests."):
        name = key.removeprefix("requests.")
        if name in COMPUTE or name.startswith("hugepages-") or not is_native(name):
            return requests.get(name, 0)
    if key.startswith("limits.") and key.removeprefix("limits.") in COMPUTE:
        return limits.get(key.removeprefix("limits."), 0)
    return None


def missing_values(key: str, effs: list[EffectiveContainer]) -> list[str]:
    """Containers that do not state the value quota ``key`` requires (after defaulting)."""
    if key not in MUST_SPECIFY:
        return []
    kind, r = MUST_SPECIFY[key]
    return [ec.label for ec in effs if r not in (ec.requests if kind == "requests" else ec.limits)]


def scope_filter(quota: ResourceQuota) -> tuple[list[str], str | None]:
    """The quota's scopes as BestEffort/NotBestEffort names, or the reason they cannot be decided."""
    names = list(quota.spec.scopes or [])
    for req in (quota.spec.scope_selector.match_expressions or []) if quota.spec.scope_selector else []:
        if req.scope_name in DECIDABLE_SCOPES and req.operator == "Exists":
            names.append(req.scope_name)
        else:
            return [], f"scope selector {req.scope_name} {req.operator} depends on pod fields cnverify does not model"
    bad = [s for s in names if s not in DECIDABLE_SCOPES]
    if bad:
        return [], f"scope {bad[0]} depends on pod fields cnverify does not model (activeDeadlineSeconds, priority)"
    return names, None


def in_scope(scopes: list[str], effs: list[EffectiveContainer]) -> bool:
    """Do pods with these containers count against a quota with these scopes?"""
    best = is_best_effort(effs)
    return all(best if s == "BestEffort" else not best for s in scopes)


@dataclass(frozen=True)
class Surge:
    """Extra pods a RollingUpdate may create: ``value`` pods, or ``value``% of the replicas rounded up."""

    value: int
    percent: bool
    at: Span
    says: str
    floor: int = 0  # at least this many extra pods (a blue-green Rollout's previewReplicaCount)

    def at_count(self, n: int) -> int:
        return max(self.floor, -(-self.value * n // 100) if self.percent else self.value)


def surge_of(w: Resource) -> Surge | str | None:
    """The rollout surge of a Deployment or an Argo Rollout (``None``: no surge; a string: why it is unknown)."""
    if isinstance(w, Rollout):
        from cnverify.systems.argo.surge import rollout_surge  # the Argo adapter owns a Rollout's update semantics

        return rollout_surge(w)
    if isinstance(w, Function):
        return Surge(
            1,
            False,
            w.at("kind") if w.pro_only else w.fields.at(),
            f"an update of {w.name} may add 1 pod (faas-netes deploys a function with maxSurge 1"
            + ("; assumed for the Pro operator" if w.pro_only else "")
            + ")",
        )
    if not isinstance(w, Deployment):
        return None
    strategy = w.spec.strategy
    if strategy is not None and strategy.type == "Recreate":
        return None
    ru = strategy.rolling_update if strategy else None
    raw = ru.max_surge if ru is not None and ru.max_surge is not None else "25%"
    at = ru.at("maxSurge") if ru is not None else w.spec.at("strategy")
    given = "" if ru is not None and ru.max_surge is not None else " (default)"
    if isinstance(raw, int):
        return Surge(raw, False, at, f"a rollout of {w.name} may add maxSurge {raw} pod(s){given}")
    m = PERCENT.fullmatch(raw)
    if m is None or len(m.group(1)) > 10:  # strconv.Atoi range (and no int() of thousands of digits)
        return f"maxSurge {raw[:40]!r} of {w.ref} is not an integer or a percentage (rejected)"
    return Surge(
        int(m.group(1)), True, at, f"a rollout of {w.name} may add maxSurge {raw} of its replicas, rounded up{given}"
    )
