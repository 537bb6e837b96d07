"""The Flagger adapter: weight progression (scheduler.go), references and the generated primary's pods
(deployment_controller.go createPrimaryDeployment, util.go makePrimaryLabels)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cnverify.loader import load
from cnverify.model.flagger import Canary
from cnverify.snapshot import Snapshot, build
from cnverify.systems.flagger.generated import generated_service, generated_virtual_service
from cnverify.systems.flagger.progression import Weights, progress

TARGET = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: web, tier: api}}
  template:
    metadata: {labels: {app.kubernetes.io/name: web, tier: api, kustomize.toolkit.fluxcd.io/name: x}}
    spec: {containers: [{name: app, image: app}]}
---
"""
CANARY = """apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: web, namespace: shop}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  service: {name: front, port: 80, hosts: [front]}
  analysis: {interval: 1m, threshold: 5, stepWeight: 10}
"""


def snap_of(tmp_path: Path, text: str) -> Snapshot:
    path = tmp_path / "in.yaml"
    path.write_text(text)
    snap, errors = build(load([str(path)]))
    assert errors == []
    return snap


def reference(w: Weights) -> tuple[list[int], bool]:
    """scheduler.go transcribed statement by statement (advanceCanary → runCanary), for the differential test."""
    sw, step = list(w.step_weights), w.step_weight or 0
    max_w = min(100, sw[-1]) if sw else (w.max_weight if w.max_weight and w.max_weight > 0 else 100)

    def next_step(c: int) -> int:
        if step > 0 or not sw:
            return step
        if 100 - c == 0:
            return 1
        if c == 0:
            return min(100 - c, sw[0])
        for i in range(len(sw) - 1):
            if sw[i] == c:
                return min(100 - c, sw[i + 1] - c)
        return 100 - c

    canary, primary, seen = 0, 100, []
    for _ in range(300):
        if next_step(canary) <= 0:
            return seen, False
        if canary < max_w:
            primary = max(0, primary - next_step(canary))
            canary = min(100, canary + next_step(canary))
            if not seen or seen[-1] != canary:
                seen.append(canary)
        else:
            return seen, True
    return seen, False


@pytest.mark.parametrize(
    ("weights", "expected", "promoted"),
    [
        (Weights(50, 20), [20, 40, 60], True),  # trap 1: overshoot
        (Weights(None, None, (5, 10, 8)), [5, 10], False),  # trap 2
        (Weights(120, 50), [50, 100], False),  # trap 3: capped below maxWeight
        (Weights(None, 0), [], False),
        (Weights(-5, 30), [30, 60, 90, 100], True),  # maxWeight ≤ 0 is 100
        (Weights(None, None, (150, 50)), [100], True),  # non-increasing but promoted at 100 (min(100, 50) reached)
        (Weights(None, None, (0, 10)), [], False),  # the first step is 0
    ],
)
def test_progression_follows_the_scheduler(weights: Weights, expected: list[int], promoted: bool) -> None:
    run = progress(weights)
    assert (run.weights, run.promoted) == (expected, promoted)
    assert reference(weights) == (expected, promoted)


def test_progression_agrees_with_the_transcription_on_a_grid() -> None:
    cases = [Weights(m, s) for m in (-1, 0, 1, 33, 50, 99, 100, 101, 150) for s in (-3, 0, 1, 7, 25, 40, 100, 101)]
    cases += [Weights(None, s, sw) for s in (0, 5) for sw in [(1, 2, 3), (10, 10), (30, 20, 60), (99, 100), (100,)]]
    for w in cases:
        run = progress(w)
        assert (run.weights, run.promoted) == reference(w), w


def test_link_and_primary_pods(tmp_path: Path) -> None:
    snap = snap_of(tmp_path, TARGET + CANARY)
    cd = snap.all(Canary)[0]
    assert cd.target is not None and cd.target.name == "web" and cd.autoscaler is None
    (creator,) = snap.pod_creators("shop")
    # getSelectorLabel takes app.kubernetes.io/name (the first default label present); toolkit labels dropped
    assert creator.template_labels == {"app.kubernetes.io/name": "web-primary", "tier": "api"}
    assert creator.counted_with == "Deployment/shop/web"


def test_unresolved_target_has_unknown_pods(tmp_path: Path) -> None:
    snap = snap_of(tmp_path, CANARY)
    (creator,) = snap.pod_creators("shop")
    assert creator.template_labels is None and creator.counted_with == ""


def test_generated_names(tmp_path: Path) -> None:
    snap = snap_of(tmp_path, CANARY)
    cd = snap.all(Canary)[0]
    assert (cd.services, cd.primary) == (("front", "front-primary", "front-canary"), "web-primary")
    gen = generated_service(snap, "shop", "front-canary")
    assert gen is not None and gen.role == "canary" and gen.port("http") == (True, "its port http:80 (service.port)")
    assert generated_service(snap, "shop", "web-canary") is None  # apex is service.name, not the target's
    vs = generated_virtual_service(cd)
    assert vs is not None and (vs.hosts, vs.gateways, vs.catch_all) == (("front",), ("mesh",), True)
