"""Fixed-width API integers: a value past int32 (uint32, int64) is a located input error, as the API
server's decoding rejects it; the largest value that fits is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
from cnverify import loader, snapshot

I32 = 2**31
CASES = [
    (
        "apps/v1",
        "Deployment",
        "spec: {replicas: %d, selector: {matchLabels: {a: b}}, "
        "template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}}",
        I32 - 1,
        I32,
    ),
    (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        "spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: w}, maxReplicas: %d}",
        I32 - 1,
        I32,
    ),
    (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        "spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: w}, minReplicas: %d, maxReplicas: 3}",
        -I32,
        -I32 - 1,
    ),
    ("v1", "Service", "spec: {ports: [{port: 80, targetPort: %d}]}", I32 - 1, I32),
    ("v1", "Service", "spec: {ports: [{port: %d}]}", 65535, 2**32),
    ("v1", "Pod", "spec: {containers: [{name: c, image: i, ports: [{containerPort: %d}]}]}", 80, I32),
    ("policy/v1", "PodDisruptionBudget", "spec: {minAvailable: %d}", I32 - 1, I32),
    ("batch/v1", "Job", "spec: {parallelism: %d, template: {spec: {containers: [{name: c, image: i}]}}}", I32 - 1, I32),
    (
        "networking.istio.io/v1",
        "VirtualService",
        "spec: {hosts: [a], http: [{route: [{destination: {host: a, port: {number: %d}}}]}]}",
        2**32 - 1,
        2**32,
    ),
    (
        "networking.istio.io/v1",
        "VirtualService",
        "spec: {hosts: [a], http: [{route: [{destination: {host: a}, weight: %d}]}]}",
        I32 - 1,
        I32,
    ),
    (
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
        "spec: {rules: [{backendRefs: [{name: a, port: %d}]}]}",
        I32 - 1,
        I32,
    ),
    ("serving.knative.dev/v1", "Service", "spec: {traffic: [{percent: %d, latestRevision: true}]}", 2**63 - 1, 2**63),
]


@pytest.mark.parametrize("api,kind,spec,fits,too_big", CASES, ids=[f"{c[1]}-{c[4]}" for c in CASES])
def test_out_of_range_integers_are_located_input_errors(
    tmp_path: Path, api: str, kind: str, spec: str, fits: int, too_big: int
) -> None:
    head = f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: x}}\n"
    (tmp_path / "ok.yaml").write_text(head + spec % fits + "\n")
    (tmp_path / "over.yaml").write_text(head + spec % too_big + "\n")
    _, errors = snapshot.build(loader.load([str(tmp_path / "ok.yaml")]))
    assert errors == []
    _, errors = snapshot.build(loader.load([str(tmp_path / "over.yaml")]))
    assert len(errors) == 1 and errors[0].location.line == 4, errors
    assert "out of range" in errors[0].message or "valid integer" in errors[0].message, errors[0].message


def test_envoy_weights_are_uint32(tmp_path: Path) -> None:
    rds = (
        'resources:\n- "@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration\n  name: r\n'
        '  virtual_hosts:\n  - name: v\n    domains: ["*"]\n    routes:\n    - match: {prefix: /}\n'
        "      route: {weighted_clusters: {clusters: [{name: a, weight: %d}, {name: b, weight: 1}]}}\n"
    )
    for weight, errors_expected in ((2**32 - 1, 0), (2**32, 1), (-1, 1)):
        (tmp_path / "rds.yaml").write_text(rds % weight)
        _, errors = snapshot.build(loader.load([str(tmp_path / "rds.yaml")]))
        assert len(errors) == errors_expected and all(e.location.line == 9 for e in errors), errors
