"""The Argo adapter: a Rollout's workloadRef resolution (rollout/templateref.go) and the extra pods of its
updates (utils/replicaset/canary.go, utils/defaults/defaults.go, rollout/bluegreen.go)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cnverify.loader import load
from cnverify.model import Rollout, pod_template, template_known
from cnverify.snapshot import Snapshot, build
from cnverify.systems.argo.surge import rollout_surge
from cnverify.systems.kubernetes.quota import Surge

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: base, namespace: shop}
spec:
  selector: {matchLabels: {app: base}}
  template:
    metadata: {labels: {app: base}}
    spec: {containers: [{name: app, image: app}]}
---
"""


def snap_of(tmp_path: Path, text: str) -> Snapshot:
    path = tmp_path / "in.yaml"
    path.write_text(text)
    snap, errors = build(load([str(path)]))
    assert errors == []
    return snap


def rollout(snap: Snapshot, name: str) -> Rollout:
    return next(r for r in snap.all(Rollout) if r.name == name)


def ref_rollout(name: str, ref: str, template: str = "") -> str:
    return (
        f"apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {{name: {name}, namespace: shop}}\n"
        f"spec:\n  workloadRef: {ref}\n  strategy: {{canary: {{}}}}\n{template}---\n"
    )


def test_workload_ref_takes_the_deployments_template_and_selector(tmp_path: Path) -> None:
    snap = snap_of(tmp_path, DEPLOYMENT + ref_rollout("web", "{apiVersion: apps/v1, kind: Deployment, name: base}"))
    ro = rollout(snap, "web")
    assert template_known(ro) and ro.unresolved is None
    assert pod_template(ro).metadata.labels == {"app": "base"}
    assert ro.selector is not None and ro.selector.match_labels == {"app": "base"}
    assert snap.pod_creators("shop") == []


@pytest.mark.parametrize(
    "ref, template, reason",
    [
        ("{apiVersion: apps/v1, kind: Deployment, name: gone}", "", "Deployment/shop/gone is not in the inputs"),
        ("{apiVersion: apps/v1, kind: StatefulSet, name: base}", "", "is not one Argo Rollouts resolves"),
        ("{apiVersion: v1, kind: PodTemplate, name: base}", "", "PodTemplate targets are not modelled"),
        (
            "{apiVersion: apps/v1, kind: Deployment, name: base}",
            "  template: {metadata: {labels: {app: x}}}\n",
            "template must be empty",
        ),
    ],
)
def test_an_unresolved_workload_ref_is_a_pod_creator_with_the_reason(
    tmp_path: Path, ref: str, template: str, reason: str
) -> None:
    snap = snap_of(tmp_path, DEPLOYMENT + ref_rollout("web", ref, template))
    ro = rollout(snap, "web")
    assert not template_known(ro) and reason in (ro.unresolved or "")
    [creator] = snap.pod_creators("shop")
    assert creator.ref == "Rollout/shop/web" and creator.template_labels is None and reason in creator.who


def test_a_workload_ref_resolves_in_its_own_namespace_only(tmp_path: Path) -> None:
    text = DEPLOYMENT.replace("namespace: shop", "namespace: other")
    snap = snap_of(tmp_path, text + ref_rollout("web", "{apiVersion: apps/v1, kind: Deployment, name: base}"))
    assert "not in the inputs" in (rollout(snap, "web").unresolved or "")


def surge_of_text(tmp_path: Path, strategy: str, replicas: int = 4) -> Surge | str:
    snap = snap_of(
        tmp_path,
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: w, namespace: shop}\n"
        f"spec:\n  replicas: {replicas}\n  strategy: {strategy}\n",
    )
    return rollout_surge(rollout(snap, "w"))


@pytest.mark.parametrize(
    "strategy, n, extra",
    [
        ("{canary: {}}", 4, 1),  # default "25": 25 % of 4
        ("{canary: {maxSurge: '1'}}", 10, 1),  # a string is a percentage: 1 % of 10, rounded up
        ("{canary: {maxSurge: '50%'}}", 4, 2),
        ("{canary: {maxSurge: 3}}", 10, 3),  # an integer is a pod count
        ("{canary: {maxSurge: 0, maxUnavailable: 1}}", 4, 0),
        (
            "{canary: {canaryService: c, stableService: s, trafficRouting: {istio: {}}}}",
            4,
            4,
        ),  # stable stays at N, canary grows to N
        (
            "{canary: {canaryService: c, stableService: s, trafficRouting: {istio: {}}, steps: [{setCanaryScale: {replicas: 7}}]}}",
            4,
            7,
        ),
        (
            "{canary: {canaryService: c, stableService: s, trafficRouting: {istio: {}}, steps: [{setCanaryScale: {weight: 40}}]}}",
            4,
            4,
        ),
        # setCanaryScale.weight above maxTrafficWeight: ceil(50 × 4 / 10) = 20 canary pods (trafficWeightToReplicas)
        (
            "{canary: {canaryService: c, stableService: s, trafficRouting: {nginx: {}, maxTrafficWeight: 10}, steps: [{setCanaryScale: {weight: 50}}]}}",
            4,
            20,
        ),
        # basic canary, steps of 10 %: each transition adds at most one pod over the settled counts
        ("{canary: {maxSurge: 5, steps: [{setWeight: 10}, {setWeight: 20}]}}", 10, 5),
        # dynamicStableScale: stable shrinks as the canary grows; the peak: canary 10 + stable 5 before the last shift
        (
            "{canary: {canaryService: c, stableService: s, trafficRouting: {istio: {}}, dynamicStableScale: true, steps: [{setWeight: 10}, {setWeight: 50}]}}",
            10,
            5,
        ),
        ("{blueGreen: {activeService: a}}", 3, 3),  # new ReplicaSet at N while the old one keeps N
        ("{blueGreen: {activeService: a, previewReplicaCount: 5}}", 3, 5),
    ],
)
def test_update_extra_pods(tmp_path: Path, strategy: str, n: int, extra: int) -> None:
    surge = surge_of_text(tmp_path, strategy, n)
    assert isinstance(surge, Surge), surge
    assert surge.at_count(n) == extra


def test_update_bound_not_documented_is_a_reason(tmp_path: Path) -> None:
    surge = surge_of_text(tmp_path, "{canary: {maxSurge: 'lots', maxUnavailable: 1}}")
    assert isinstance(surge, str) and "not an integer or a percentage" in surge


def errors_of(tmp_path: Path, strategy: str) -> list[str]:
    path = tmp_path / "in.yaml"
    path.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: w, namespace: shop}\n"
        f"spec:\n  replicas: 2\n  selector: {{matchLabels: {{app: w}}}}\n  strategy: {strategy}\n"
    )
    snap, errors = build(load([str(path)]))
    assert (snap.all(Rollout) == []) == bool(errors)  # an invalid Rollout is not verified
    return [e.message for e in errors]


@pytest.mark.parametrize(
    "strategy, message",
    [  # validation.go ValidateRolloutStrategy*: the controller's InvalidSpec, as kubectl argo rollouts lint says
        ("{}", "Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'"),
        ("{canary: {}, blueGreen: {activeService: a}}", "Multiple Strategies can not be listed"),
        ("{blueGreen: {activeService: a, previewService: a}}", "same service for the active and preview services"),
        ("{canary: {maxSurge: 0, maxUnavailable: '0%'}}", "MaxSurge and MaxUnavailable both can not be zero"),
        ("{canary: {canaryService: a, stableService: a}}", "same service for the stable and canary services"),
        ("{canary: {trafficRouting: {istio: {virtualService: {name: v}}}}}", "Canary service and Stable service must"),
        ("{canary: {dynamicStableScale: true}}", "dynamicStableScale can only be used with traffic routing"),
        ("{canary: {scaleDownDelaySeconds: 5}}", "scaleDownDelaySeconds can only be used with traffic routing"),
        ("{canary: {steps: [{setWeight: 101}]}}", "steps[0].setWeight: 101: SetWeight needs to be between 0 and 100"),
        ("{canary: {steps: [{setWeight: -1}]}}", "SetWeight needs to be between 0 and 100"),
        ("{canary: {steps: [{setWeight: 10, pause: {}}]}}", "steps[0]: Step must have one of the following set"),
        ("{canary: {steps: [{}]}}", "steps[0]: Step must have one of the following set"),
        ("{canary: {steps: [{setCanaryScale: {replicas: 1}}]}}", "SetCanaryScale requires TrafficRouting to be set"),
        ("{canary: {steps: [{setMirrorRoute: {name: m}}]}}", "SetMirrorRoute requires TrafficRouting"),
        (
            "{canary: {canaryService: c, stableService: s, trafficRouting: {istio: {virtualService: {name: v}}, "
            "maxTrafficWeight: 1000}}}",
            "maxTrafficWeight in traffic routing only supported in Nginx and Plugins",
        ),
        (
            "{canary: {canaryService: c, stableService: s, trafficRouting: {istio: {virtualService: {name: v}}}, "
            "steps: [{setHeaderRoute: {name: h}}]}}",
            "Rollout has missing field 'spec.strategy.canary.trafficRouting.managedRoutes'",
        ),
        ("{canary: {steps: [{experiment: {templates: [{name: a, weight: 5}]}}]}}", "Experiment template weight cannot"),
    ],
)
def test_invalid_strategy_is_a_located_input_error(tmp_path: Path, strategy: str, message: str) -> None:
    errors = errors_of(tmp_path, strategy)
    assert len(errors) == 1 and message in errors[0] and "InvalidSpec" in errors[0], errors


@pytest.mark.parametrize(
    "strategy",
    [
        "{canary: {maxSurge: 0, maxUnavailable: 1}}",
        "{canary: {trafficRouting: {istio: {virtualService: {name: v}, destinationRule: {name: d}}}}}",  # subsets
        "{canary: {canaryService: c, stableService: s, trafficRouting: {nginx: {stableIngress: i}, "
        "maxTrafficWeight: 1000}, steps: [{setWeight: 1000}, {setWeight: 5}]}}",  # steps may go down
        "{blueGreen: {activeService: a}}",
    ],
)
def test_valid_strategy_is_accepted(tmp_path: Path, strategy: str) -> None:
    assert errors_of(tmp_path, strategy) == []
