"""OpenFaaS (docs/SEMANTICS.md#openfaas): stack.yml functions become workloads the way faas-netes builds their
Deployment; the replica range follows the edition; bad entries are located and the rest is verified."""

from __future__ import annotations

from pathlib import Path

from cnverify.engine import Options, prove
from cnverify.loader import load
from cnverify.model.openfaas import StackFunction, atoi
from cnverify.snapshot import build

STACK = """\
provider: {name: openfaas, gateway: http://127.0.0.1:8080}
functions:
  hello:
    image: example/hello:0.1
    labels: {com.openfaas.scale.min: "2", com.openfaas.scale.max: "10", team: a}
    limits: {memory: 128Mi, cpu: 200m}
    requests: {memory: 64, cpu: 100m}
  other:
    image: example/other:0.1
    namespace: tools
"""


def _functions(tmp_path: Path, text: str) -> dict[str, StackFunction]:
    (tmp_path / "stack.yml").write_text(text)
    snap = build(load([str(tmp_path / "stack.yml")]))[0]
    return {f.name: f for f in snap.all(StackFunction)}


def test_a_function_is_the_deployment_faas_netes_builds(tmp_path: Path) -> None:
    fns = _functions(tmp_path, STACK)
    hello = fns["hello"]
    assert (hello.namespace, fns["other"].namespace) == ("openfaas-fn", "tools")
    labels = hello.template.metadata.labels
    assert labels == {
        "com.openfaas.scale.min": "2",
        "com.openfaas.scale.max": "10",
        "team": "a",
        "faas_function": "hello",
    }
    [c] = hello.template.spec.containers
    assert (c.name, c.image, [(p.name, p.container_port) for p in c.ports or []]) == (
        "hello",
        "example/hello:0.1",
        [("http", 8080)],
    )
    assert c.resources is not None and c.resources.requests == {"memory": "64", "cpu": "100m"}
    # chain lines point at the function's own fields
    assert c.resources.at("limits", "cpu").line == 6 and hello.template.metadata.at("labels", "team").line == 5
    assert hello.selector is not None and hello.selector.match_labels == {"faas_function": "hello"}


def test_replica_range_counts_both_editions_for_a_stack_file(tmp_path: Path) -> None:
    fns = _functions(tmp_path, STACK)
    hello, other = fns["hello"].own_replicas(), fns["other"].own_replicas()
    assert (hello.low, hello.high) == (1, 10)  # CE 1..5 ∪ Pro 2..10
    assert (other.low, other.high) == (1, 20)  # Pro's default maximum 20
    assert any("both are counted" in says for says, _ in hello.why)


def test_go_atoi() -> None:
    assert [atoi(v) for v in ("3", "+3", "-2", " 3", "3.0", "abc", "", None)] == [
        3,
        3,
        -2,
        None,
        None,
        None,
        None,
        None,
    ]


def test_bad_entries_are_located_and_the_rest_is_verified(tmp_path: Path) -> None:
    (tmp_path / "stack.yml").write_text(
        "provider: {name: openfaas}\nfunctions:\n  bad: 3\n  good:\n    image: a\n    requests: {memory: lots}\n"
        "  ok:\n    image: a\n    limits: {memory: 1Gi}\n    requests: {memory: 2Gi}\n"
    )
    report = prove([str(tmp_path)], Options(select=["CNV301"]))
    errors = sorted(str(e) for e in report.errors)
    assert len(errors) == 2
    assert "stack.yml:3:3" in errors[0] and "'bad' is not a mapping" in errors[0]
    assert "stack.yml:6:16" in errors[1] and "invalid quantity 'lots'" in errors[1]
    [ok] = report.results
    assert (ok.subject["name"], ok.status) == ("ok", "violated")


def test_yaml_without_an_openfaas_provider_is_not_a_stack(tmp_path: Path) -> None:
    assert _functions(tmp_path, "provider: {name: aws}\nfunctions:\n  f: {image: a}\n") == {}
