"""Bad input: every problem is a located error in ``report.errors``, never a traceback, and the
other files (and documents) of the same run are still verified."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cnverify import loader, snapshot
from cnverify.cli import main
from cnverify.engine import Options, prove
from cnverify.model import Cluster, HorizontalPodAutoscaler, RouteConfiguration
from cnverify.proof import Report

GOOD = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: good, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 5
  maxReplicas: 3
"""
HPA_ONLY = Options(select=["CNV401"])


def hpa(name: str, lo: int = 5, hi: int = 3) -> str:
    return (
        GOOD.replace("name: good", f"name: {name}")
        .replace("minReplicas: 5", f"minReplicas: {lo}")
        .replace("maxReplicas: 3", f"maxReplicas: {hi}")
    )


def run(tmp_path: Path, files: dict[str, str | bytes]) -> Report:
    """Write ``files`` next to good.yaml and prove the folder with CNV401 only."""
    for name, content in {"good.yaml": GOOD, **files}.items():
        p = tmp_path / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    return prove([str(tmp_path)], HPA_ONLY)


def violated(report: Report) -> list[tuple[str, str, int]]:
    return sorted(
        (Path(f.location.file).name, f.subject["name"], f.location.line)
        for f in report.results
        if f.status == "violated"
    )


def errors(report: Report) -> list[tuple[str, int, int]]:
    return [(Path(e.location.file).name, e.location.line, e.location.column) for e in report.errors]


def bomb() -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join(["*" + prev] * 9) + "]\n"
        prev = name
    return text


CASES = [
    # (id, file name, content, (line, column), message fragment)
    ("broken-yaml", "broken.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: [x\n", (4, 1), "YAML syntax error"),
    (
        "replicas-string",
        "types.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: three\n",
        (5, 3),
        "spec.replicas",
    ),
    (
        "labels-list",
        "labels.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels:\n  - app\n",
        (5, 3),
        "metadata.labels",
    ),
    (
        "int-or-string-list",
        "port.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 80, targetPort: [1]}]\n",
        (5, 22),
        "spec.ports[0].targetPort: Input should be a valid integer or Input should be a valid string",
    ),
    (
        "missing-required",
        "req.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - targetPort: 80\n",
        (6, 5),
        "Service 's': spec.ports[0].port: Field required",
    ),
    (
        "non-utf8",
        "latin1.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
        (4, 12),
        "not valid UTF-8: byte 0xe9",
    ),
    ("alias-bomb", "bomb.yaml", bomb(), (8, 4), "alias bomb"),
    ("recursive-alias", "cycle.yaml", "a: &a [*a]\n", (1, 4), "recursive alias"),
    ("deep-nesting", "deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n", (1, 1003), "nesting depth"),
    ("nul-byte", "nul.yaml", "apiVersion: v1\nkind: Service\x00\n", (2, 1), "NUL byte"),
    ("empty-json", "empty.json", "", (1, 1), "empty JSON"),
    (
        "duplicate-key",
        "dup.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nkind: Pod\n",
        (4, 1),
        "duplicate key 'kind' (first at line 2)",
    ),
    (
        "template-placeholder",
        "tmpl.yaml",
        "apiVersion: v1\nkind: Secret\ndata:\n  config: {{config_data}}\n",
        (4, 12),
        "mapping keys must be scalars",
    ),
    (
        "wrong-explicit-tag",
        "tag.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: !!int x}\n",
        (3, 18),
        "cannot decode !!str `x` as a !!int",
    ),
    (
        "boolean-name",
        "bool.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: no}\n",
        (3, 12),
        "metadata.name: Input should be a valid string, not the boolean false (kubectl reads a plain y, n, yes",
    ),
    (
        "infinity",
        "inf.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: .inf}\n",
        (4, 11),
        "not representable in JSON",
    ),
]


@pytest.mark.parametrize("name,content,where,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_problem_is_located_and_the_rest_is_verified(
    tmp_path: Path, name: str, content: str | bytes, where: tuple[int, int], fragment: str
) -> None:
    report = run(tmp_path, {name: content})
    assert errors(report) == [(name, *where)], [str(e) for e in report.errors]
    assert fragment in report.errors[0].message
    assert violated(report) == [("good.yaml", "good", 6)]


def test_error_in_one_document_keeps_the_others_of_the_same_file(tmp_path: Path) -> None:
    mixed = (
        hpa("before")
        + "---\n"
        + "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: 'no'}\n"
        + "---\n"
        + hpa("after")
    )
    report = run(tmp_path, {"mixed.yaml": mixed})
    assert errors(report) == [("mixed.yaml", 12, 8)]
    assert violated(report) == [("good.yaml", "good", 6), ("mixed.yaml", "after", 19), ("mixed.yaml", "before", 6)]


def test_syntax_error_keeps_the_documents_before_it(tmp_path: Path) -> None:
    report = run(tmp_path, {"tail.yaml": hpa("first") + "---\nkey: [unclosed\n"})
    assert errors(report) == [("tail.yaml", 10, 1)]
    assert violated(report) == [("good.yaml", "good", 6), ("tail.yaml", "first", 6)]


def test_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    from cnverify.source import MAX_FILE_BYTES

    big = tmp_path / "huge.yaml"
    with big.open("w") as fh:
        line = "# " + "x" * 1021 + "\n"
        for _ in range(MAX_FILE_BYTES // len(line) + 2):
            fh.write(line)
    report = run(tmp_path, {})
    assert errors(report) == [("huge.yaml", 1, 1)]
    assert "larger than 64 MiB" in report.errors[0].message
    assert violated(report) == [("good.yaml", "good", 6)]


def test_unknown_kinds_are_kept_and_counted_not_errors(tmp_path: Path) -> None:
    crd = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n" * 2
    report = run(tmp_path, {"crd.yaml": crd, "notes.yaml": "title: not a manifest\n"})
    assert report.errors == []
    assert report.unknown_kinds == {"Widget (example.com/v1)": 2}
    assert report.unrecognized_documents == 1
    assert violated(report) == [("good.yaml", "good", 6)]


def test_non_objects_are_listed_as_unrecognized_not_errors(tmp_path: Path) -> None:
    """One policy (issue 13.6): scalars, top-level lists, kind-less mappings and $patch documents are
    counted and listed with their location; half an identity (kind without apiVersion) is an error. A
    kind-less mapping whose apiVersion is not a string is another tool's file (Grafana provisioning)."""
    report = run(
        tmp_path,
        {
            "scalar.yaml": "just a string\n",
            "list.yaml": "- a\n- b\n",
            "patch.yaml": "$patch: delete\nkind: Deployment\n",
            "typo.yaml": "apiVerison: apps/v1\nkind: Deployment\nmetadata: {name: t}\n",
            "api.yaml": "apiVersion: 1\nkind: Service\nmetadata: {name: s}\n",
            "grafana.yaml": "apiVersion: 1\nproviders: [{name: default, type: file}]\n",  # Grafana provisioning
        },
    )
    assert errors(report) == [("api.yaml", 1, 1), ("typo.yaml", 2, 1)]
    assert "'apiVerison': a typo?" in report.errors[1].message
    assert sorted((Path(s.file).name, s.line, why.split(" is ", 1)[1]) for s, why in report.unrecognized) == [
        ("grafana.yaml", 1, "a mapping with apiVersion 1 (not a string) and no kind, not an object"),
        ("list.yaml", 1, "a list of 2 items, not an object"),
        ("patch.yaml", 1, "a strategic-merge patch ($patch), not an object"),
        ("scalar.yaml", 1, "a str scalar, not an object"),
    ]
    assert report.unrecognized_documents == 4
    assert violated(report) == [("good.yaml", "good", 6)]


def test_typed_list_items_take_the_list_kind(tmp_path: Path) -> None:
    items = "".join("- " + hpa(n).replace("\n", "\n  ").rstrip() + "\n" for n in ("a",))
    items = items.replace("apiVersion: autoscaling/v2\n  kind: HorizontalPodAutoscaler\n  ", "")
    report = run(
        tmp_path, {"dump.yaml": "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscalerList\nitems:\n" + items}
    )
    assert report.errors == []
    assert [v[:2] for v in violated(report)] == [("dump.yaml", "a"), ("good.yaml", "good")]


def test_empty_yaml_file_is_zero_documents(tmp_path: Path) -> None:
    report = run(tmp_path, {"empty.yaml": "", "comments.yml": "# nothing\n---\n"})
    assert report.errors == []
    docs = {Path(i["file"]).name: i["documents"] for i in report.inputs}
    assert docs == {"empty.yaml": 0, "comments.yml": 0, "good.yaml": 1}


def test_kind_list_dump(tmp_path: Path) -> None:
    items = "".join("- " + hpa(n).replace("\n", "\n  ").rstrip() + "\n" for n in ("a", "b"))
    report = run(tmp_path, {"dump.yaml": "apiVersion: v1\nkind: List\nitems:\n" + items})
    assert report.errors == []
    assert violated(report) == [("dump.yaml", "a", 9), ("dump.yaml", "b", 16), ("good.yaml", "good", 6)]


def test_json_file(tmp_path: Path) -> None:
    doc = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "j", "namespace": "shop"},
        "spec": {"minReplicas": 4, "maxReplicas": 2},
    }
    tabbed = {**doc, "metadata": {"name": "t", "namespace": "shop"}}
    report = run(tmp_path, {"hpa.json": json.dumps(doc, indent=2), "tabs.json": json.dumps(tabbed, indent="\t")})
    assert report.errors == []
    assert violated(report) == [("good.yaml", "good", 6), ("hpa.json", "j", 9), ("tabs.json", "t", 9)]


def test_merge_keys(tmp_path: Path) -> None:
    text = (
        "defaults: &d {minReplicas: 7, maxReplicas: 2}\n---\n"
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: m}\n"
        "spec:\n  <<: {minReplicas: 9, maxReplicas: 2}\n  maxReplicas: 4\n"
    )
    report = run(tmp_path, {"merge.yaml": text})
    assert report.errors == []
    hit = [f for f in report.results if f.subject["name"] == "m"]
    assert [(f.status, f.location.line, f.witness) for f in hit] == [
        ("violated", 7, {"minReplicas": 9, "maxReplicas": 4})
    ]


def test_stdin_bytes_and_text(tmp_path: Path) -> None:
    report = prove(["-"], HPA_ONLY, stdin=io.BytesIO(GOOD.encode()))
    assert [(f.location.file, f.location.line, f.status) for f in report.results] == [("<stdin>", 6, "violated")]
    assert report.inputs == [{"file": "<stdin>", "documents": 1}]
    bad = prove(["-"], HPA_ONLY, stdin=io.BytesIO(b"kind: \xff\n"))
    assert [str(e.location) for e in bad.errors] == ["<stdin>:1:7"]


ENVOY_BOOTSTRAP = """\
static_resources:
  listeners:
  - name: ingress
    address: {socket_address: {address: 0.0.0.0, port_value: 10000}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: /}
                route:
                  weighted_clusters:
                    clusters:
                    - {name: a, weight: 70}
                    - {name: b, weight: 20}
  clusters:
  - name: a
    type: STRICT_DNS
  - name: b
    type: STRICT_DNS
"""
RDS = """\
version_info: "1"
resources:
- "@type": type.googleapis.com/envoy.config.route.v3.RouteConfiguration
  name: rds_route
  virtual_hosts:
  - name: all
    domains: ["*"]
    routes:
    - match: {prefix: /}
      route: {cluster: a}
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: lds_listener
  filter_chains:
  - filters:
    - name: envoy.filters.network.http_connection_manager
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        route_config: {name: inline, virtual_hosts: []}
"""


def test_envoy_bootstrap_and_xds_files(tmp_path: Path) -> None:
    (tmp_path / "envoy.yaml").write_text(ENVOY_BOOTSTRAP)
    (tmp_path / "rds.yaml").write_text(RDS)
    loaded = loader.load([str(tmp_path)])
    snap, errs = snapshot.build(loaded)
    assert loaded.errors == [] and errs == []
    routes = [(r.name, Path(r.at().file).name, r.at().line) for r in snap.all(RouteConfiguration)]
    assert routes == [("ingress/0/0", "envoy.yaml", 11), ("rds_route", "rds.yaml", 3), ("inline", "rds.yaml", 18)]
    assert [(c.name, c.at().line) for c in snap.all(Cluster)] == [("a", 23), ("b", 25)]
    vh = snap.all(RouteConfiguration)[0].virtual_hosts[0]
    assert vh.routes[0].route.weighted_clusters.at("clusters", 1, "weight").line == 21


def test_wrong_types_in_one_object_leave_the_rest_of_the_snapshot(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        hpa("fine", 1, 2) + "---\n" + hpa("bad").replace("maxReplicas: 3", "maxReplicas: '3'")
    )
    snap, errs = snapshot.build(loader.load([str(tmp_path)]))
    assert [h.name for h in snap.all(HorizontalPodAutoscaler)] == ["fine"]
    assert [(e.location.line, e.message) for e in errs] == [
        (15, "HorizontalPodAutoscaler 'bad': spec.maxReplicas: Input should be a valid integer")
    ]


def test_null_fields_mean_unset(tmp_path: Path) -> None:
    (tmp_path / "n.yaml").write_text(
        hpa("nl").replace("metadata: {name: nl, namespace: shop}", "metadata:\n  name: nl\n  labels: null")
    )
    report = prove([str(tmp_path)], HPA_ONLY)
    assert report.errors == [] and violated(report) == [("n.yaml", "nl", 8)]


def test_cli_exit_code_2_with_results_of_the_good_files(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_bytes(b"kind: \xff\n")
    res = CliRunner().invoke(main, ["prove", str(tmp_path), "--format", "json", "--select", "CNV401"])
    assert res.exit_code == 2, res.output
    out = json.loads(res.output)
    assert [(Path(e["location"]["file"]).name, e["location"]["line"]) for e in out["errors"]] == [("bad.yaml", 1)]
    assert [(r["status"], r["location"]["line"]) for r in out["results"]] == [("violated", 6)]


def test_cli_stdin(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["prove", "-", "--format", "json", "--select", "CNV401"], input=GOOD)
    assert res.exit_code == 1, res.output
    assert [r["location"]["file"] for r in json.loads(res.output)["results"]] == ["<stdin>"]


def test_numbers_past_pythons_int_string_limit_are_located_errors_not_internal_ones(tmp_path: Path) -> None:
    big = "1" * 5000  # Python refuses int <-> str past 4,300 digits; kubectl reads or caps these
    (tmp_path / "big.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 2\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n"
        f"      containers:\n      - {{name: c, image: i, resources: {{requests: {{cpu: '{big}m'}}, "
        f"limits: {{cpu: '{big}', memory: '{big}Gi'}}}}}}\n---\n"
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: shop}\n"
        f"spec: {{hard: {{requests.cpu: '{big}', limits.memory: '0.{big}'}}}}\n---\n"
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: k, namespace: shop}\nspec:\n"
        "  template:\n    metadata:\n"
        f"      annotations: {{autoscaling.knative.dev/min-scale: '{big}', autoscaling.knative.dev/max-scale: '2'}}\n"
        "    spec: {containers: [{image: i}]}\n---\n"
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata: {{n: {big}}}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w2, namespace: ok}\nspec:\n  replicas: 2\n"
        f"  strategy: {{rollingUpdate: {{maxSurge: '{big}%'}}}}\n"
        "  selector: {matchLabels: {app: w2}}\n  template:\n    metadata: {labels: {app: w2}}\n    spec:\n"
        "      containers: [{name: c, image: i, resources: {requests: {cpu: 1}, limits: {cpu: 1}}}]\n---\n"
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q2, namespace: ok}\nspec: {hard: {requests.cpu: 10}}\n"
        "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p, namespace: ok}\n"
        f"spec: {{maxUnavailable: '{big}%', selector: {{matchLabels: {{app: w2}}}}}}\n"
    )
    report = prove([str(tmp_path)])
    assert report.errors and all(e.location.file.endswith("big.yaml") for e in report.errors), report.errors
    assert not any("internal error" in e.message or "4300" in e.message for e in report.errors), report.errors
    assert all(len(e.message) < 400 for e in report.errors)
    assert {f.property for f in report.results if f.status == "violated"} >= {"CNV405"}  # min-scale > max-scale
