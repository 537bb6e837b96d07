"""An Argo Rollout's update states (cnverify.systems.argo.states), against argo-rollouts 9f8d111d."""

from __future__ import annotations

from pathlib import Path

import pytest
from cnverify.loader import load
from cnverify.model import Rollout
from cnverify.snapshot import build
from cnverify.systems.argo.states import _approximate, rollout_states

# utils/replicaset/canary_test.go TestApproximateWeightedNewStableReplicaCounts: (replicas, weight, maxWeight,
# maxSurge, canary, stable), the test's own table.
APPROXIMATE = [
    (0, 0, 100, 0, 0, 0),
    (0, 50, 100, 0, 0, 0),
    (0, 100, 100, 0, 0, 0),
    (0, 0, 100, 1, 0, 0),
    (0, 50, 100, 1, 0, 0),
    (0, 100, 100, 1, 0, 0),
    (1, 0, 100, 0, 0, 1),
    (1, 1, 100, 0, 0, 1),
    (1, 49, 100, 0, 0, 1),
    (1, 50, 100, 0, 1, 0),
    (1, 99, 100, 0, 1, 0),
    (1, 100, 100, 0, 1, 0),
    (1, 0, 100, 1, 0, 1),
    (1, 1, 100, 1, 1, 1),
    (1, 49, 100, 1, 1, 1),
    (1, 50, 100, 1, 1, 1),
    (1, 99, 100, 1, 1, 1),
    (1, 100, 100, 1, 1, 0),
    (2, 0, 100, 0, 0, 2),
    (2, 1, 100, 0, 1, 1),
    (2, 50, 100, 0, 1, 1),
    (2, 99, 100, 0, 1, 1),
    (2, 100, 100, 0, 2, 0),
    (2, 0, 100, 1, 0, 2),
    (2, 1, 100, 1, 1, 2),
    (2, 50, 100, 1, 1, 1),
    (2, 99, 100, 1, 2, 1),
    (2, 100, 100, 1, 2, 0),
    (3, 10, 100, 0, 1, 2),
    (3, 25, 100, 0, 1, 2),
    (3, 33, 100, 0, 1, 2),
    (3, 34, 100, 0, 1, 2),
    (3, 49, 100, 0, 1, 2),
    (3, 50, 100, 0, 2, 1),
    (3, 10, 100, 1, 1, 3),
    (3, 25, 100, 1, 1, 3),
    (3, 33, 100, 1, 1, 2),
    (3, 34, 100, 1, 1, 2),
    (3, 49, 100, 1, 2, 2),
    (3, 50, 100, 1, 2, 2),
    (10, 0, 100, 1, 0, 10),
    (10, 1, 100, 0, 1, 9),
    (10, 14, 100, 0, 1, 9),
    (10, 15, 100, 0, 2, 8),
    (10, 16, 100, 0, 2, 8),
    (10, 99, 100, 0, 9, 1),
    (10, 100, 100, 1, 10, 0),
    (10, 0, 100, 1, 0, 10),
    (10, 1, 100, 1, 1, 10),
    (10, 18, 100, 1, 2, 9),
    (10, 19, 100, 1, 2, 9),
    (10, 20, 100, 1, 2, 8),
    (10, 23, 100, 1, 2, 8),
    (10, 24, 100, 1, 3, 8),
    (10, 25, 100, 1, 3, 8),
    (10, 99, 100, 1, 10, 1),
    (10, 100, 100, 1, 10, 0),
]


@pytest.mark.parametrize("n, weight, top, surge, canary, stable", APPROXIMATE)
def test_basic_canary_counts_as_the_controller(
    n: int, weight: int, top: int, surge: int, canary: int, stable: int
) -> None:
    assert _approximate(n, weight, top, surge) == (canary, stable)


def rollout_of(tmp_path: Path, strategy: str, replicas: int = 4) -> Rollout:
    path = tmp_path / "in.yaml"
    path.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: w, namespace: shop}\n"
        f"spec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: w}}}}\n  strategy: {strategy}\n"
    )
    snap, errors = build(load([str(path)]))
    assert errors == []
    return snap.all(Rollout)[0]


ROUTED = "canaryService: c, stableService: s, trafficRouting: {istio: {virtualService: {name: v}}}"


def test_weights_follow_the_nearest_set_weight_and_may_go_down(tmp_path: Path) -> None:
    ro = rollout_of(
        tmp_path,
        f"{{canary: {{{ROUTED}, steps: [{{pause: {{}}}}, {{setWeight: 40}}, {{pause: {{}}}}, {{setWeight: 10}}]}}}}",
    )
    states = rollout_states(ro, 10)
    assert not isinstance(states, str)
    steps = [(s.step, s.weight, s.canary, s.stable) for s in states if s.step is not None and s.step < 4]
    assert steps == [(0, 0, 0, 10), (1, 40, 4, 10), (2, 40, 4, 10), (3, 10, 1, 10)]
    assert [s.weight for s in states if s.step is None] == [0, 0]  # before the update, abort
    assert max(s.pods for s in states) == 20  # full canary beside the full stable, then the old stable's delay


def test_set_canary_scale_is_sticky_until_match_traffic_weight(tmp_path: Path) -> None:
    steps = "[{setCanaryScale: {replicas: 7}}, {setWeight: 20}, {setCanaryScale: {matchTrafficWeight: true}}]"
    ro = rollout_of(tmp_path, f"{{canary: {{{ROUTED}, steps: {steps}}}}}")
    states = rollout_states(ro, 10)
    assert not isinstance(states, str)
    assert [s.canary for s in states if s.step in (0, 1, 2)] == [7, 7, 2]


def test_min_pods_per_replica_set_raises_the_canary(tmp_path: Path) -> None:
    ro = rollout_of(tmp_path, f"{{canary: {{{ROUTED}, minPodsPerReplicaSet: 2, steps: [{{setWeight: 5}}]}}}}")
    states = rollout_states(ro, 10)
    assert not isinstance(states, str)
    assert [s.canary for s in states if s.step == 0] == [2]  # ceil(5 % of 10) = 1, raised to 2


def test_blue_green_states(tmp_path: Path) -> None:
    states = rollout_states(rollout_of(tmp_path, "{blueGreen: {activeService: a, previewReplicaCount: 1}}", 3), 3)
    assert not isinstance(states, str)
    assert [(s.stable, s.canary, s.old) for s in states] == [(3, 0, 0), (3, 1, 0), (3, 3, 0), (3, 0, 3)]
