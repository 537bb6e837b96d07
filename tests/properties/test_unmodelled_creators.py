"""Objects of kinds cnverify does not model may create pods: no false alarm, no false proof."""

from __future__ import annotations

from pathlib import Path

from cnverify.engine import Options, prove

FIXTURE = str(Path(__file__).parent / "unmodelled" / "deploymentconfig.yaml")


def verdicts(code: str) -> dict[str, tuple[str, str]]:
    report = prove([FIXTURE], Options(select=[code]))
    assert not report.errors
    return {f.subject["name"]: (f.status, f.message) for f in report.results if f.property == code}


def test_service_of_deploymentconfig_pods_is_unknown_not_violated() -> None:
    got = verdicts("CNV202")
    assert got["web"][0] == "unknown" and "DeploymentConfig/shop/web" in got["web"][1]
    # the DeploymentConfig's template says app=web, so it cannot make 'api' non-empty: still a real violation
    assert got["api"][0] == "violated"
    # a namespace whose unmodelled objects create no pods (a ConfigMap) keeps its verdict
    assert got["lonely"][0] == "violated"


def test_quota_proof_needs_every_pod_but_a_breach_stands() -> None:
    got = verdicts("CNV302")
    # the Deployment alone uses 1 cpu of 2: holds for what is modelled, but the DeploymentConfig's pods count too
    assert got["compute"][0] == "unknown" and "DeploymentConfig/shop/web" in got["compute"][1]
    # 2 x 500m already exceeds 900m: more pods can only use more
    assert got["tiny"][0] == "violated"


def test_snapshot_keeps_unmodelled_objects() -> None:
    from cnverify import loader, snapshot

    snap, _ = snapshot.build(loader.load([FIXTURE]))
    [dc] = snap.pod_creators("shop")
    assert (dc.kind, dc.name, dict(dc.template_labels or {})) == ("DeploymentConfig", "web", {"app": "web"})
    assert dc.at.line == 2
    assert snap.pod_creators("other") == []  # ConfigMaps create no pods


def test_configuration_kinds_create_no_pods(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cnverify import loader, snapshot
    from cnverify.model.base import UNIT_NAMESPACE

    f = tmp_path / "k.yaml"
    f.write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"
        "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
    )
    snap, _ = snapshot.build(loader.load([str(f)]))
    assert [o.kind for o in snap.opaque] == ["Kustomization", "Widget"]
    assert [o.kind for o in snap.pod_creators(UNIT_NAMESPACE)] == ["Widget"]  # an operator's resource may


GATEWAY = str(Path(__file__).parent / "unmodelled" / "gateway.yaml")


def results(code: str, fixture: str = GATEWAY) -> dict[tuple[str, str | None], tuple[str, str]]:
    report = prove([fixture], Options(select=[code]))
    assert not report.errors
    return {
        (f.subject["name"], f.subject.get("path")): (f.status, f.message) for f in report.results if f.property == code
    }


def test_a_gateways_proxy_pods_are_unknown_not_selects_nothing() -> None:
    status, message = results("CNV202")[("public-gw", None)]
    assert status == "unknown"
    # the likely creator comes first, then the object
    assert message.index("Gateway API implementation") < message.index("Gateway/edge/public")


def test_named_target_port_is_not_proved_when_unmodelled_pods_may_be_selected() -> None:
    got = results("CNV203")
    status, message = got[("web", "spec.ports[0]")]
    assert (
        status == "unknown"
        and "OpenShift's DeploymentConfig controller" in message
        and "DeploymentConfig/shop/canary" in message
    )
    # the DeploymentConfig's template says app=web, so it cannot add pods to 'api': its ports are decided
    assert got[("api", "spec.ports[0]")][0] == "proved"
    assert got[("api", "spec.ports[1]")][0] == "violated"


def test_contour_deployment_creates_pods_although_its_group_is_configuration() -> None:
    from cnverify import loader, snapshot

    snap, _ = snapshot.build(loader.load([GATEWAY]))
    assert [o.kind for o in snap.pod_creators("infra")] == ["ContourDeployment"]
    assert [o.kind for o in snap.pod_creators("edge")] == ["Gateway"]


def test_configuration_kinds_of_pod_creating_groups_create_no_pods() -> None:
    import io

    from cnverify import loader, snapshot

    def creates(api_version: str, kind: str) -> bool:
        text = f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: x, namespace: infra}}\n"
        snap, _ = snapshot.build(loader.load(["-"], stdin=io.StringIO(text)))
        return bool(snap.pod_creators("infra"))

    assert not creates("monitoring.coreos.com/v1", "ServiceMonitor")
    assert creates("monitoring.coreos.com/v1", "Prometheus")
    assert not creates("configuration.konghq.com/v1beta1", "KongUpstreamPolicy")


def test_knative_revisions_run_pods_that_quota_counts() -> None:
    status, message = results("CNV302")[("cpu", None)]
    assert status == "unknown" and "Knative Serving" in message and "Service/kn/hello" in message
