"""SMI (Service Mesh Interface): TrafficSplit backends and weights, and the route groups its matches name.

The spec is the only authority (smi-spec cc4babdc, archived): "Validation beyond what is in the TrafficSplit
OpenAPI schema is left up to the implementation" (v1alpha4 traffic-split.md), so cnverify checks the spec's
declarative intent: the Services exist, backend ports line up with the root Service's, weights give a split.
Semantics: docs/SEMANTICS.md#trafficsplit.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from math import lcm
from types import ModuleType

from cnverify.encodings.quantity import parse_quantity
from cnverify.model.smi import SPECS, SPLIT, HTTPRouteGroup, SmiTCPRoute, TrafficSplit
from cnverify.snapshot import Snapshot
from cnverify.systems.base import Group, Share, Split, System

ZERO_TOTAL = (
    "the spec defines no share for any backend (weights are relative: each backend gets its weight over "
    "the total, and the total is 0)"
)


def weights(split: TrafficSplit) -> list[Fraction]:
    """Each backend's weight, exact (a v1alpha1 quantity as its value: ``10m`` is 1/100)."""
    return [parse_quantity(b.weight) for b in split.spec.backends]


class Smi(System):
    name = "smi"
    title = "SMI TrafficSplit"
    order = 70
    kinds = (TrafficSplit, HTTPRouteGroup, SmiTCPRoute)
    groups = {
        SPLIT: Group(creates_pods=False),  # TrafficSplit configures the mesh's proxies
        SPECS: Group(creates_pods=False),  # route groups: match definitions only
        "access.smi-spec.io": Group(creates_pods=False),  # TrafficTarget: authorization policy
        "metrics.smi-spec.io": Group(creates_pods=False),  # TrafficMetrics: read-only metrics API
    }
    declines = {
        "modelled_creators": "SMI objects configure an existing mesh; they create no pods",
        "links": "its references (Services, route groups) are resolved by its targets module",
        "raw_shapes": "SMI objects carry apiVersion and kind",
        "route_tables": "a TrafficSplit has no ordered routes: its matches select which requests are split",
        "diff_actions": "no routing table, so no route actions to compare",
    }

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.smi import targets

        return (targets,)

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """``spec.backends`` weights, relative (smi-spec: 1000 and 500 give ≈ 33%); v1alpha1 quantities are
        rescaled exactly to whole numbers (by the least common denominator, at least 1000: 1 = 1000m)."""
        for ts in snap.all(TrafficSplit):
            exact = weights(ts)
            scale = lcm(1000, *(w.denominator for w in exact)) if ts.quantity_weights else 1
            shares = []
            for b, w in zip(ts.spec.backends, exact, strict=True):
                scaled = int(w * scale)
                written = f"{b.weight} (= {scaled}/{scale})" if ts.quantity_weights else ""
                shares.append(Share(b.service, scaled, b.at("weight"), b.at(), written=written))
            yield Split(
                ts, "spec.backends", ts.spec.at("backends"), shares, rule="relative", noun="backend", effect=ZERO_TOTAL
            )

    def split_reads(self) -> tuple[type[TrafficSplit], ...]:
        return (TrafficSplit,)


SYSTEM = Smi()
