"""Effective container and pod resources, as the pods are admitted (docs/SEMANTICS.md#container-resources,
docs/SEMANTICS.md#limitrange, docs/SEMANTICS.md#resourcequota).

Pipeline of a pod create, in order:

1. pod defaulting (``SetDefaults_Pod``, Pods only, not templates): per container and key, a limit
   without a request gives ``request := limit``;
2. the LimitRange items of the namespace are defaulted (``SetDefaults_LimitRangeItem``: missing
   ``default[r]`` ← ``max[r]``; missing ``defaultRequest[r]`` ← ``default[r]``, else ← ``min[r]``);
3. LimitRanger (mutating admission) fills every still-missing ``limits[r]`` from ``default`` and
   ``requests[r]`` from ``defaultRequest``, for app and init containers alike.  With several
   LimitRanges the first listed wins; the listing order is not defined, so two LimitRanges that
   default the same key to different values make that value ambiguous (``unknown``).

Every value carries a :class:`Supplied` record (milli-units, span, sentence) so proof chains can
cite the manifest line, or the LimitRange line, that supplied it.  Pod totals follow
``resourcehelper.PodRequests``/``PodLimits`` (sidecars = init containers with
``restartPolicy: Always``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from cnverify.encodings.quantity import format_milli, milli
from cnverify.errors import Span
from cnverify.model import Container, LimitRange, Resource, pod_template
from cnverify.model.core import LimitRangeItem

__all__ = [
    "Defaults",
    "EffectiveContainer",
    "Supplied",
    "effective",
    "is_best_effort",
    "limitrange_defaults",
    "pod_limits",
    "pod_level_resources",
    "pod_requests",
    "resolve",
]

Origin = Literal["written", "from-limit", "limitrange"]
QOS_RESOURCES = ("cpu", "memory")


@dataclass(frozen=True)
class Supplied:
    """One effective value (milli-units) and where it comes from."""

    milli: int
    at: Span
    says: str
    origin: Origin = "written"

    def text(self, resource: str) -> str:
        return format_milli(self.milli, resource)


@dataclass
class Defaults:
    """The Container-type LimitRange defaults of one namespace, after item defaulting."""

    limits: dict[str, Supplied] = field(default_factory=dict)
    requests: dict[str, Supplied] = field(default_factory=dict)
    ambiguous: dict[str, str] = field(default_factory=dict)  # "limits.cpu" -> reason


@dataclass
class EffectiveContainer:
    """A container of a pod after defaulting and LimitRanger (``requests``/``limits`` by resource)."""

    container: Container
    field: str  # "containers" | "initContainers"
    index: int
    requests: dict[str, Supplied]
    limits: dict[str, Supplied]
    unknown: str | None = None

    @property
    def name(self) -> str:
        return self.container.name

    @property
    def path(self) -> str:
        return self.container.path_str

    @property
    def init(self) -> bool:
        return self.field == "initContainers"

    @property
    def sidecar(self) -> bool:
        """A restartable init container: runs alongside the app containers."""
        return self.init and self.container.restart_policy == "Always"

    @property
    def label(self) -> str:
        return f"{'init container' if self.init else 'container'} {self.name}"


def pod_level_resources(workload: Resource) -> str | None:
    """Why the pod's aggregate requests/limits are not modelled: ``spec.resources`` (pod-level
    resources, KEP-2837) replaces the container aggregate for the resources it sets
    (component-helpers resource.PodRequests / PodLimits); ``None`` when the pod does not set it."""
    res = pod_template(workload).spec.resources
    if res is None or not (res.requests or res.limits):
        return None
    return (
        f"{workload.ref} sets pod-level resources (spec.resources), which replace the containers' "
        "aggregate requests/limits for the resources they name; cnverify does not model pod-level resources"
    )


def _item_defaults(lr: LimitRange, item: LimitRangeItem) -> tuple[dict[str, Supplied], dict[str, Supplied]]:
    """``SetDefaults_LimitRangeItem`` on one Container item: (default limits, default requests)."""
    name = f"LimitRange {lr.name}"
    limits: dict[str, Supplied] = {}
    for src, fld in ((item.default, "default"), (item.max, "max")):
        for r, raw in (src or {}).items():
            if r not in limits:
                via = "" if fld == "default" else " (default limit taken from max)"
                limits[r] = Supplied(
                    milli(raw),
                    item.at(fld, r),
                    f"{name} {fld}.{r} {raw} supplies the missing {r} limit{via}",
                    "limitrange",
                )
    requests: dict[str, Supplied] = {}
    for src, fld in (
        (item.default_request, "defaultRequest"),
        (item.default, "default"),
        (item.max, "max"),
        (item.min, "min"),
    ):
        for r, raw in (src or {}).items():
            if r not in requests:
                via = "" if fld == "defaultRequest" else f" (defaultRequest taken from {fld})"
                requests[r] = Supplied(
                    milli(raw),
                    item.at(fld, r),
                    f"{name} {fld}.{r} {raw} supplies the missing {r} request{via}",
                    "limitrange",
                )
    return limits, requests


def limitrange_defaults(limitranges: Iterable[LimitRange]) -> Defaults:
    """The LimitRanger defaults for containers of the namespace holding ``limitranges`` (see module docstring)."""
    out = Defaults()
    for lr in limitranges:
        for item in lr.spec.limits:
            if item.type != "Container":
                continue
            lim, req = _item_defaults(lr, item)
            for kind, mine, acc in (("limits", lim, out.limits), ("requests", req, out.requests)):
                for r, s in mine.items():
                    prior = acc.get(r)
                    if prior is None:
                        acc[r] = s
                    elif prior.milli != s.milli:
                        out.ambiguous[f"{kind}.{r}"] = (
                            f"two LimitRanges default {kind}.{r} differently ({prior.at} and {s.at}); "
                            f"which applies depends on the API server's listing order"
                        )
    return out


def resolve(container: Container, fld: str, index: int, defaults: Defaults) -> EffectiveContainer:
    """The effective requests/limits of one container of a created pod."""
    reqs: dict[str, Supplied] = {}
    lims: dict[str, Supplied] = {}
    who = f"{'init container' if fld == 'initContainers' else 'container'} {container.name}"
    for r, raw in container.limits.items():
        lims[r] = Supplied(milli(raw), container.at("resources", "limits", r), f"{who} limits {r} to {raw}")
    for r, raw in container.requests.items():
        reqs[r] = Supplied(milli(raw), container.at("resources", "requests", r), f"{who} requests {r} {raw}")
    unknown = None
    for r, s in lims.items():
        if r not in reqs:
            reqs[r] = Supplied(
                s.milli, s.at, f"{who} sets no {r} request, so it defaults to its limit {s.text(r)}", "from-limit"
            )
    for kind, mine, acc in (("limits", lims, defaults.limits), ("requests", reqs, defaults.requests)):
        for r, s in acc.items():
            if r not in mine:
                mine[r] = s
                unknown = unknown or defaults.ambiguous.get(f"{kind}.{r}")
    return EffectiveContainer(container, fld, index, reqs, lims, unknown)


def effective(workload: Resource, defaults: Defaults) -> list[EffectiveContainer]:
    """Every container (init containers first) of ``workload``'s pods, with effective values."""
    spec = pod_template(workload).spec
    return [resolve(c, fld, i, defaults) for fld, i, c in spec.all_containers()]


def _add(acc: dict[str, int], values: Mapping[str, int]) -> None:
    for r, v in values.items():
        acc[r] = acc.get(r, 0) + v


def _pod_total(per: Iterable[tuple[EffectiveContainer, dict[str, int]]]) -> dict[str, int]:
    """``PodRequests``/``PodLimits``: Σ app + sidecars, max'ed against each init step; keys present
    when any container has them."""
    total: dict[str, int] = {}
    sidecars: dict[str, int] = {}
    init_max: dict[str, int] = {}
    items = list(per)
    for ec, vals in items:
        if not ec.init:
            _add(total, vals)
    for ec, vals in items:
        if not ec.init:
            continue
        if ec.sidecar:
            _add(total, vals)
            _add(sidecars, vals)
            step = dict(sidecars)
        else:
            step = dict(vals)
            _add(step, sidecars)
        for r, v in step.items():
            init_max[r] = max(init_max.get(r, v), v)
    for r, v in init_max.items():
        total[r] = max(total.get(r, v), v)
    return total


def pod_requests(effs: list[EffectiveContainer], overhead: Mapping[str, object] | None = None) -> dict[str, int]:
    """Effective pod requests by resource (milli), overhead added to every key it names."""
    total = _pod_total((ec, {r: s.milli for r, s in ec.requests.items()}) for ec in effs)
    for r, raw in (overhead or {}).items():
        total[r] = total.get(r, 0) + milli(raw)  # type: ignore[arg-type]
    return total


def pod_limits(effs: list[EffectiveContainer], overhead: Mapping[str, object] | None = None) -> dict[str, int]:
    """Effective pod limits by resource (milli); overhead is added only to keys that have a limit."""
    total = _pod_total((ec, {r: s.milli for r, s in ec.limits.items()}) for ec in effs)
    for r, raw in (overhead or {}).items():
        if r in total:
            total[r] += milli(raw)  # type: ignore[arg-type]
    return total


def is_best_effort(effs: list[EffectiveContainer]) -> bool:
    """QoS class BestEffort: no container has a positive cpu/memory request or limit."""
    return not any(
        s.milli > 0 for ec in effs for vals in (ec.requests, ec.limits) for r, s in vals.items() if r in QOS_RESOURCES
    )
