"""Deployment units, duplicate identities, namespaces, context and the closed-world rule (docs/UNITS.md)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from cnverify import units
from cnverify.cli import main
from cnverify.engine import Options, prove
from cnverify.proof import Report

FIXTURES = Path(__file__).parent / "fixtures"
SVC = Options(select=["CNV202"])

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}{ns}}}
spec:
  selector: {{matchLabels: {{app: {app}}}}}
  template:
    metadata: {{labels: {{app: {app}}}}}
    spec: {{containers: [{{name: c, image: c}}]}}
"""
SERVICE = """apiVersion: v1
kind: Service
metadata: {{name: {name}{ns}}}
spec:
  selector: {{app: {app}}}
  ports: [{{port: 80}}]
"""


def deploy(name: str, app: str, ns: str | None = None) -> str:
    return DEPLOY.format(name=name, app=app, ns=f", namespace: {ns}" if ns else "")


def service(name: str, app: str, ns: str | None = None) -> str:
    return SERVICE.format(name=name, app=app, ns=f", namespace: {ns}" if ns else "")


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def rel(report: Report, base: Path) -> list[tuple[str, str, str, int, list[str]]]:
    """(status, Kind/ns/name, file, line, units) of each finding, paths relative to ``base``."""
    out = []
    for f in report.results:
        s = f.subject
        out.append(
            (
                f.status,
                f"{s['kind']}/{s['namespace']}/{s['name']}",
                os.path.relpath(f.location.file, base),
                f.location.line,
                [os.path.relpath(u, base) for u in f.units],
            )
        )
    return out


@pytest.fixture
def platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FIXTURES, tmp_path / "repo")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "repo"


def test_platform_layout_splits_into_predictable_units(platform: Path) -> None:
    report = prove(["repo"], Options(select=["CNV202", "CNV204"]))
    assert [(u["name"], u["kind"], u.get("namespace")) for u in report.units] == [
        ("repo/chart/mychart", "chart", None),  # a chart: templates never parsed
        ("repo/examples/one", "manifests", None),
        ("repo/examples/two", "manifests", None),  # example folders
        ("repo/platform", "manifests", None),  # install.yaml beside its own base/
        ("repo/platform/overlays/dev", "kustomization", None),  # overlays are units, the base they include not
        ("repo/platform/overlays/prod", "kustomization", "prod"),
        ("repo/platform/overlays/qa", "kustomization", None),
        ("repo/platform/overlays/staging", "kustomization", "staging"),
        ("repo/variants/provider/aws", "manifests", None),
        ("repo/variants/provider/aws/nlb", "manifests", None),  # redefines aws's Deployment: an alternative
        ("repo/variants/provider/gcp", "manifests", None),
    ]  # gcp/extra adds objects: part of gcp
    got = rel(report, Path.cwd())
    un = "(unit namespace)"
    assert got == [
        ("proved", f"Deployment/{un}/echo-one", "repo/examples/one/app.yaml", 5, ["repo/examples/one"]),
        ("proved", f"Deployment/{un}/echo-two", "repo/examples/two/app.yaml", 5, ["repo/examples/two"]),
        # one finding for the overlays that verify the base alike, listing them
        (
            "proved",
            f"Deployment/{un}/web",
            "repo/platform/base/deploy.yaml",
            5,
            ["repo/platform/overlays/dev", "repo/platform/overlays/qa"],
        ),
        ("proved", "Deployment/prod/web", "repo/platform/base/deploy.yaml", 5, ["repo/platform/overlays/prod"]),
        ("proved", "Deployment/staging/web", "repo/platform/base/deploy.yaml", 5, ["repo/platform/overlays/staging"]),
        (
            "violated",
            f"Service/{un}/web",
            "repo/platform/base/service.yaml",
            5,
            ["repo/platform/overlays/dev", "repo/platform/overlays/qa"],
        ),
        ("violated", "Service/prod/web", "repo/platform/base/service.yaml", 5, ["repo/platform/overlays/prod"]),
        ("violated", "Service/staging/web", "repo/platform/base/service.yaml", 5, ["repo/platform/overlays/staging"]),
        ("violated", "Service/shop/web", "repo/platform/install.yaml", 5, ["repo/platform"]),
        (
            "proved",
            "Deployment/ingress/ctl",
            "repo/variants/provider/aws/deploy.yaml",
            5,
            ["repo/variants/provider/aws"],
        ),
        (
            "proved",
            "Deployment/ingress/ctl",
            "repo/variants/provider/aws/nlb/deploy.yaml",
            5,
            ["repo/variants/provider/aws/nlb"],
        ),
        (
            "proved",
            "Deployment/ingress/ctl",
            "repo/variants/provider/gcp/deploy.yaml",
            5,
            ["repo/variants/provider/gcp"],
        ),
        (
            "proved",
            "Service/ingress/ctl",
            "repo/variants/provider/gcp/extra/svc.yaml",
            5,
            ["repo/variants/provider/gcp"],
        ),
    ]
    # the patch and the chart's files are read by their units (the chart's not verified: a warning says so)
    assert [i for i in report.inputs if "skipped" in i] == []
    assert "repo/platform/overlays/prod/replicas.yaml" not in {i["file"] for i in report.inputs}
    assert [w.kind for w in report.warnings] == ["unit-not-verified"]
    assert "repo/chart/mychart | cnverify prove -" in report.warnings[0].message  # how to render it


def test_cluster_mode_reads_everything_as_one_cluster(platform: Path) -> None:
    report = prove(["repo/variants", "repo/examples"], Options(select=["CNV204"], unit="cluster"))
    assert [u["name"] for u in report.units] == ["(cluster)"]
    # one cluster: the three variants are one Deployment defined thrice, the examples overlap
    assert [w.kind for w in report.warnings] == ["duplicate-object", "duplicate-object"]
    assert report.warnings[-1].location.file.endswith("gcp/deploy.yaml")  # the last definition is kept
    assert sorted((f.status, f.subject["name"]) for f in report.results) == [
        ("proved", "ctl"),
        ("violated", "echo-one"),
    ]  # one finding for the overlapping pair


def test_file_mode_makes_each_file_a_unit(platform: Path) -> None:
    report = prove(["repo/examples"], Options(select=["CNV204"], unit="file"))
    assert [u["name"] for u in report.units] == ["repo/examples/one/app.yaml", "repo/examples/two/app.yaml"]


def test_argument_order_and_listing_order_change_nothing(platform: Path) -> None:
    a = prove(["repo/variants", "repo/examples", "repo/platform"], SVC).to_json()
    b = prove(["repo/platform", "repo/examples", "repo/variants"], SVC).to_json()
    for doc in (a, b):
        doc.pop("inputs")
    assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def test_duplicate_identity_counted_once_later_wins(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": service("web", "old", "shop") + "---\n" + deploy("api", "api", "shop"),
            "b.yaml": service("web", "api", "shop"),
        },
    )
    # named together on the command line (kubectl apply -f a.yaml -f b.yaml): one unit
    report = prove([str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")], SVC)
    # the later definition (b.yaml, in apply order) is the one verified: it selects api's pods
    assert [(f.status, f.location.file, f.location.line, f.units) for f in report.results] == [
        ("proved", str(tmp_path / "b.yaml"), 5, ["(command line)"])
    ]
    [w] = report.warnings
    assert w.kind == "duplicate-object" and (w.location.file, w.location.line) == (str(tmp_path / "b.yaml"), 3)
    assert [(s.file, s.line) for s in w.also] == [(str(tmp_path / "a.yaml"), 3)]
    assert w.to_json()["locations"] == [{"file": str(tmp_path / "a.yaml"), "line": 3, "column": 12}]
    # in one folder they are alternative bundles, each its own unit (b.yaml alone has no pods for web)
    apart = prove([str(tmp_path)], SVC)
    assert rel(apart, tmp_path) == [
        ("violated", "Service/shop/web", "a.yaml", 5, ["a.yaml"]),
        ("violated", "Service/shop/web", "b.yaml", 5, ["b.yaml"]),
    ]
    assert apart.warnings == []


def test_file_arguments_keep_their_order_for_duplicates(tmp_path: Path) -> None:
    # kubectl apply -f zgood.yaml -f abad.yaml applies abad.yaml last: its definition wins
    bad = deploy("web", "web", "shop").replace("labels: {app: web}", "labels: {app: webx}")
    write(tmp_path, {"zgood.yaml": deploy("web", "web", "shop"), "abad.yaml": bad})
    good, worse = str(tmp_path / "zgood.yaml"), str(tmp_path / "abad.yaml")
    for args, status, last in (([good, worse], "violated", worse), ([worse, good], "proved", good)):
        for _ in range(2):  # the same command, the same output
            report = prove(args, Options(select=["CNV201"]))
            assert [(f.status, f.location.file) for f in report.results] == [(status, last)]
            [w] = report.warnings
            assert w.location.file == last and f"keeps the later definition ({last}:3:12)" in w.message


def test_alternative_bundles_in_one_folder_are_units_of_their_own(tmp_path: Path) -> None:
    # install.yaml and namespace-install.yaml both define Deployment shop/api (one of them is applied);
    # svc.yaml defines nothing the others do and stays with the folder; sub/ adds to the folder's unit
    write(
        tmp_path,
        {
            "m/install.yaml": deploy("api", "api", "shop") + "---\n" + service("cluster-only", "api", "shop"),
            "m/namespace-install.yaml": deploy("api", "other", "shop"),
            "m/svc.yaml": service("web", "api", "shop"),
            "m/sub/more.yaml": service("more", "api", "shop"),
        },
    )
    report = prove([str(tmp_path / "m")], SVC)
    assert [(u["name"], u["kind"], u["objects"], u.get("why")) for u in report.units] == [
        (str(tmp_path / "m"), "manifests", 2, None),
        (
            str(tmp_path / "m/install.yaml"),
            "bundle",
            2,
            "an alternative bundle: it defines Deployment/shop/api, "
            "as namespace-install.yaml in the same folder does (verified on its own)",
        ),
        (
            str(tmp_path / "m/namespace-install.yaml"),
            "bundle",
            1,
            "an alternative bundle: it defines "
            "Deployment/shop/api, as install.yaml in the same folder does (verified on its own)",
        ),
    ]
    assert report.warnings == []  # no duplicate: the bundles are never applied together
    # the bundles' pods are not their unit's, but install.yaml may be applied with it: with its pods present
    # the Services select pods, so "selects nothing" rests on which files are applied together (unknown)
    assert sorted(rel(report, tmp_path / "m")) == [
        ("proved", "Service/shop/cluster-only", "install.yaml", 14, ["install.yaml"]),
        ("unknown", "Service/shop/more", "sub/more.yaml", 5, ["."]),
        ("unknown", "Service/shop/web", "svc.yaml", 5, ["."]),
    ]
    web = next(f for f in report.results if f.subject["name"] == "web")
    assert web.chain[-1].claim == (
        f"{tmp_path / 'm/install.yaml'}, in this unit's folder, is verified apart as alternative bundle and may be "
        "applied with these files: with its objects present this is not violated; which files are applied "
        "together is not in the inputs"
    )
    assert web.message.endswith(f"(not decided: {tmp_path / 'm/install.yaml'} may be applied with it)")
    whole = prove([str(tmp_path / "m")], Options(select=["CNV202"], unit="cluster"))
    assert [u["kind"] for u in whole.units] == ["cluster"] and [w.kind for w in whole.warnings] == ["duplicate-object"]
    # apply everything: namespace-install.yaml (later) wins, whose pods are app=other
    assert sorted((f.status, f.subject["name"]) for f in whole.results) == [
        ("violated", "cluster-only"),
        ("violated", "more"),
        ("violated", "web"),
    ]


def test_a_violation_no_alternative_undoes_stands(tmp_path: Path) -> None:
    """Example folder: v1.yaml and v2.yaml are alternatives (both define Deployment web); ingress.yaml routes
    to Service web, which only v2.yaml defines (unknown: it rests on v2.yaml being applied too), and to
    Service gone, which no file defines (violated with each alternative present: it stands)."""
    route = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: front, namespace: shop}
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /old, pathType: Prefix, backend: {service: {name: gone, port: {number: 80}}}}
"""
    write(
        tmp_path,
        {
            "ex/v1.yaml": deploy("web", "web", "shop"),
            "ex/v2.yaml": deploy("web", "web", "shop") + "---\n" + service("web", "web", "shop"),
            "ex/ingress.yaml": route,
        },
    )
    for _ in range(2):  # the same command, the same output
        report = prove([str(tmp_path / "ex")], Options(select=["CNV102"]))
        assert [(f.status, f.subject["path"], f.location.line) for f in report.results] == [
            ("unknown", "spec.rules[0].http.paths[0].backend", 8),
            ("violated", "spec.rules[0].http.paths[1].backend", 9),
        ]
        assert "v2.yaml, in this unit's folder" in report.results[0].chain[-1].claim
        assert all("alternative" not in s.claim for s in report.results[1].chain)


ISTIO = {
    "vs.yaml": "kind: VirtualService\nmetadata: {name: web}\nspec:\n  hosts: [web]\n  http:\n"
    "  - route: [{destination: {host: web, subset: v1}}]\n",
    "vs-50.yaml": "kind: VirtualService\nmetadata: {name: web}\nspec:\n  hosts: [web]\n  http:\n"
    "  - route: [{destination: {host: web, subset: v2}}]\n",
    "dr.yaml": "kind: DestinationRule\nmetadata: {name: web}\nspec: {host: web, subsets: [{name: v1, labels: {v: '1'}}]}\n",
    "dr-mtls.yaml": "kind: DestinationRule\nmetadata: {name: web}\n"
    "spec: {host: web, subsets: [{name: v1, labels: {v: '1'}}], trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}\n",
}


def test_alternatives_are_tried_in_combinations_that_can_be_applied_together(tmp_path: Path) -> None:
    """bookinfo's shape: every file is an alternative bundle. vs.yaml routes to subset v1 of web, which needs
    the Service (app.yaml or app-dual.yaml) and a DestinationRule (dr.yaml or dr-mtls.yaml) at once: no single
    file undoes the violation, a combination of one of each does; vs-50.yaml redefines vs.yaml's object and is
    never in a combination with it."""
    app = deploy("web", "web") + "---\n" + service("web", "web")
    files = {"ex/app.yaml": app, "ex/app-dual.yaml": app.replace("image: c", "image: d")}
    files |= {f"ex/{k}": "apiVersion: networking.istio.io/v1\n" + v for k, v in ISTIO.items()}
    write(tmp_path, files)
    found = units.discover([str(tmp_path / "ex")])
    vs = next(u for u in found.units if u.name.endswith("/vs.yaml"))
    assert [[os.path.basename(f) for f in c] for c in units.alternative_sets(vs)] == [
        ["app-dual.yaml", "dr-mtls.yaml"],
        ["app.yaml", "dr.yaml"],
    ]
    report = prove([str(tmp_path / "ex")], Options(select=["CNV102"]))
    mine = [f for f in report.results if f.location.file.endswith("/vs.yaml")]
    assert [(f.status, f.location.line) for f in mine] == [("unknown", 7)]
    assert (
        mine[0]
        .chain[-1]
        .claim.startswith(
            f"{tmp_path / 'ex/app-dual.yaml'}, {tmp_path / 'ex/dr-mtls.yaml'}, in this unit's folder, are verified apart"
        )
    )


def test_a_closed_world_proof_names_the_alternatives_it_leaves_out(tmp_path: Path) -> None:
    """CNV204's proof ("no other controller overlaps") rests on the unit being read whole: in a folder with
    alternative bundles it is a proof for the unit without them, and its chain says so before the conclusion."""
    write(
        tmp_path,
        {
            "ex/v1.yaml": deploy("web", "web", "shop"),
            "ex/v2.yaml": deploy("web", "web", "shop"),
            "ex/api.yaml": deploy("api", "api", "shop"),
        },
    )
    report = prove([str(tmp_path / "ex")], Options(select=["CNV204"]))
    api = [f for f in report.results if f.subject["name"] == "api"]
    assert [f.status for f in api] == ["proved"]
    assert api[0].chain[-2].claim == (
        f"proved for this unit applied without the alternative bundles of its folder ({tmp_path / 'ex/v1.yaml'}, "
        f"{tmp_path / 'ex/v2.yaml'}), which are verified apart; applied together with them it is not checked"
    )
    alone = prove([str(tmp_path / "ex/api.yaml")], Options(select=["CNV204"]))  # a unit of its own: no such step
    assert alone.results and all("alternative" not in s.claim for f in alone.results for s in f.chain)


def test_symlinked_copy_is_the_same_object(tmp_path: Path) -> None:
    write(tmp_path, {"app/svc.yaml": service("web", "none", "shop")})
    (tmp_path / "app" / "copy.yaml").symlink_to(tmp_path / "app" / "svc.yaml")
    report = prove([str(tmp_path)], SVC)
    assert [(f.status, f.location.file) for f in report.results] == [("violated", str(tmp_path / "app/svc.yaml"))]
    assert report.warnings == []  # one file, one object: no duplicate
    skipped = [i for i in report.inputs if "skipped" in i]
    assert skipped == [
        {
            "file": str(tmp_path / "app/copy.yaml"),
            "documents": 0,
            "skipped": f"the same file as {tmp_path / 'app/svc.yaml'} (a symlink)",
        }
    ]


def test_unsafe_files_are_located_errors_and_the_rest_is_verified(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(service("x", "x", "shop"))
    root = write(tmp_path / "repo", {"svc.yaml": service("web", "none", "shop")})
    (root / "dangling.yaml").symlink_to(root / "gone.yaml")
    (root / "out.yaml").symlink_to(outside)
    (root / "stdin.yaml").symlink_to("/dev/stdin")
    os.mkfifo(root / "fifo.yaml")
    (root / "sub").symlink_to(tmp_path)  # a folder symlink out of the tree
    report = prove([str(root)], SVC)
    errs = sorted(
        (os.path.basename(e.location.file), e.location.line, e.message.split(" (")[0].split(";")[0])
        for e in report.errors
    )
    assert errs == [
        ("dangling.yaml", 1, "dangling symlink"),
        ("fifo.yaml", 1, "not a regular file"),
        ("out.yaml", 1, f"symlink to {outside}, outside {root}"),
        ("stdin.yaml", 1, f"symlink to {os.path.realpath('/dev/stdin')}, outside {root}"),
        ("sub", 1, f"symlink to {tmp_path}, outside {root}"),
    ]
    # the rest is verified; "selects nothing" is not decided while 5 files of the unit are unread
    assert [(f.status, f.subject["name"]) for f in report.results] == [("unknown", "web")]
    assert "5 documents of this unit could not be read" in report.results[0].message


def test_explicit_fifo_is_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    report = prove([str(tmp_path / "pipe.yaml")], SVC)
    assert [e.message.split(" (")[0] for e in report.errors] == ["not a regular file"]


def test_namespace_less_objects_share_the_unit_namespace_not_default(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "svc.yaml": service("web", "web"),
            "deploy.yaml": deploy("web", "web"),
            "default.yaml": service("pinned", "web", "default"),
        },
    )
    report = prove([str(tmp_path)], SVC)
    assert sorted(rel(report, tmp_path)) == [
        ("proved", "Service/(unit namespace)/web", "svc.yaml", 5, ["."]),
        # default is not assumed, nor ruled out: kubectl may apply the namespace-less Deployment there
        ("unknown", "Service/default/pinned", "default.yaml", 5, ["."]),
    ]
    [pinned] = [f for f in report.results if f.subject["name"] == "pinned"]
    assert pinned.chain[-1].claim.endswith(
        "the verdict depends on it: violated with them in a namespace of their "
        "own; proved with them in namespace default; --namespace NS decides it"
    )
    cli = CliRunner().invoke(
        main, ["prove", str(tmp_path), "--select", "CNV202", "-n", "default", "--format", "json", "--no-config"]
    )
    got = sorted(
        (r["status"], r["subject"]["namespace"], r["subject"]["name"]) for r in json.loads(cli.output)["results"]
    )
    assert got == [("proved", "default", "pinned"), ("proved", "default", "web")]


QUOTA = """apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: shop}
spec:
  hard: {requests.cpu: "1"}
"""


def cpu_deploy(name: str, replicas: int, ns: str | None = None) -> str:
    return (
        deploy(name, "web", ns)
        .replace("spec:\n  selector", f"spec:\n  replicas: {replicas}\n  selector")
        .replace("image: c}", "image: c, resources: {requests: {cpu: 500m}, limits: {cpu: 500m}}}")
    )


def test_namespace_less_objects_may_land_in_a_namespace_the_unit_names(tmp_path: Path) -> None:
    # quota and web2 in shop; web names no namespace: kubectl -n shop (or a context in shop) puts it there
    write(tmp_path, {"all.yaml": QUOTA + "---\n" + cpu_deploy("web", 4) + "---\n" + cpu_deploy("web2", 1, "shop")})
    codes = Options(select=["CNV302", "CNV204"])
    got = [(f.property, f.status, f.subject["name"]) for f in prove([str(tmp_path)], codes).results]
    assert got == [("CNV302", "unknown", "q"), ("CNV204", "unknown", "web"), ("CNV204", "unknown", "web2")]
    [quota] = [f for f in prove([str(tmp_path)], codes).results if f.property == "CNV302"]
    assert "--namespace NS decides it" in quota.message
    assert quota.chain[-1].claim.endswith(
        "proved with them in a namespace of their own; violated with them in namespace shop; --namespace NS decides it"
    )
    shop = [
        (f.property, f.status, f.subject["name"])
        for f in prove([str(tmp_path)], Options(select=["CNV302", "CNV204"], namespace="shop")).results
    ]
    assert shop == [("CNV302", "violated", "q"), ("CNV204", "violated", "web")]
    elsewhere = [
        (f.property, f.status, f.subject["name"])
        for f in prove([str(tmp_path)], Options(select=["CNV302", "CNV204"], namespace="other")).results
    ]
    # -n other: kubectl rejects the quota and web2 (they name shop), so the unit is not read whole
    assert elsewhere == [("CNV204", "unknown", "web")]


def test_units_with_one_kind_of_namespace_take_one_reading(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a/all.yaml": service("web", "none") + "---\n" + deploy("web", "web"),
            "b/all.yaml": service("web", "none", "shop") + "---\n" + deploy("web", "web", "shop"),
        },
    )
    got = [(f.status, f.units) for f in prove([str(tmp_path)], SVC).results]
    assert got == [("violated", [str(tmp_path / "a")]), ("violated", [str(tmp_path / "b")])]


def test_context_is_visible_but_never_a_subject(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/svc.yaml": service("web", "web", "shop"),
            "infra/deploy.yaml": deploy("web", "web", "shop") + "---\n" + service("lonely", "none", "shop"),
        },
    )
    alone = prove([str(tmp_path / "app")], SVC)
    assert [f.status for f in alone.results] == ["violated"]
    assert "--context PATH" in alone.results[0].help
    report = prove([str(tmp_path / "app")], Options(select=["CNV202"], context=[str(tmp_path / "infra")]))
    assert rel(report, tmp_path) == [("proved", "Service/shop/web", "app/svc.yaml", 5, ["app"])]


def test_unit_with_an_unreadable_document_is_not_a_closed_world(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a/svc.yaml": service("web", "web", "shop"),
            "a/broken.yaml": "kind: [\n",
            "b/svc.yaml": service("web", "web", "shop"),
        },
    )
    report = prove([str(tmp_path)], SVC)
    got = {f.units[0]: f for f in report.results}
    assert got[str(tmp_path / "b")].status == "violated"  # read whole: "selects nothing" stands
    unknown = got[str(tmp_path / "a")]
    assert unknown.status == "unknown" and "1 document of this unit could not be read" in unknown.message
    assert unknown.chain[-1].location is not None and unknown.chain[-1].location.file.endswith("broken.yaml")


@pytest.mark.parametrize(
    "broken, line",
    [
        ("kind: Deployment\nmetadata: {name: web, namespace: shop\n", 3),
        (deploy("web", "web", "shop").replace("spec:\n  selector", "spec:\n  replicas: x\n  selector"), 5),
    ],
)
def test_an_unreadable_context_document_is_a_gap_too(tmp_path: Path, broken: str, line: int) -> None:
    # the context document (unparsable, or of the wrong shape) may be what the Service selects
    write(tmp_path, {"app/svc.yaml": service("web", "web", "shop"), "infra/deploy.yaml": broken})
    report = prove([str(tmp_path / "app")], Options(select=["CNV202"], context=[str(tmp_path / "infra")]))
    [f] = report.results
    assert f.status == "unknown" and f.message.endswith(
        "(not decided: 1 context document (--context) could not be "
        f"read (first at {tmp_path / 'infra/deploy.yaml'}:{line}:"
        f"{f.chain[-1].location.column}))"
    )
    assert (f.chain[-1].location.file, f.chain[-1].location.line) == (str(tmp_path / "infra/deploy.yaml"), line)


def test_config_unit_and_context_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path,
        {
            "one/svc.yaml": service("web", "web", "shop"),
            "two/deploy.yaml": deploy("web", "web", "shop"),
            "ctx/deploy.yaml": deploy("web", "web", "shop"),
        },
    )
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".cnverify.yaml").write_text("unit: cluster\n")
    res = CliRunner().invoke(main, ["prove", "one", "two", "--select", "CNV202", "--format", "json"])
    assert [r["status"] for r in json.loads(res.output)["results"]] == ["proved"]
    (tmp_path / ".cnverify.yaml").write_text("context: [ctx]\n")
    res = CliRunner().invoke(main, ["prove", "one", "--select", "CNV202", "--format", "json"])
    assert [(r["status"], r["unit"]) for r in json.loads(res.output)["results"]] == [("proved", "one")]
    (tmp_path / ".cnverify.yaml").write_text("unit: everything\n")
    res = CliRunner().invoke(main, ["prove", "one"])
    assert res.exit_code == 2 and "'unit' must be one of auto, cluster, file" in res.output


HPA = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: infra}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 3
"""
INGRESS = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: edge, namespace: infra}
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: backend, port: {number: 80}}}}
"""


def test_assumed_objects_exist_but_their_content_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path,
        {
            "app/hpa.yaml": HPA,
            "app/ingress.yaml": INGRESS,
            ".cnverify.yaml": "assume:\n- {kind: Service, namespace: infra, name: backend}\n"
            "- {kind: Deployment, namespace: infra, name: web}\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    before = CliRunner().invoke(
        main, ["prove", "app", "--select", "CNV102,CNV402,CNV403", "--format", "json", "--no-config"]
    )
    assert sorted((r["property"], r["status"]) for r in json.loads(before.output)["results"]) == [
        ("CNV102", "violated"),
        ("CNV402", "violated"),
    ]  # no target: CNV403 has nothing to check
    res = CliRunner().invoke(main, ["prove", "app", "--select", "CNV102,CNV402,CNV403", "--format", "json"])
    got = {r["property"]: r for r in json.loads(res.output)["results"]}
    assert {c: r["status"] for c, r in got.items()} == {"CNV102": "unknown", "CNV402": "proved", "CNV403": "unknown"}
    cited = [s for s in got["CNV402"]["chain"] if "assumed by" in s["claim"]]
    assert [(s["location"]["file"], s["location"]["line"]) for s in cited] == [(".cnverify.yaml", 3)]
    assert "assumed by .cnverify.yaml:3" in cited[0]["claim"]
    # what needs the content is unknown, and never judges the placeholder's (empty) content
    assert got["CNV102"]["message"] == (
        "not decided: it rests on Service infra/backend assumed by .cnverify.yaml:2; its content is not in the inputs"
    )
    assert got["CNV403"]["message"] == (
        "not decided: it rests on Deployment infra/web assumed by .cnverify.yaml:3; its content is not in the inputs"
    )
    assert [s["claim"] for s in got["CNV403"]["chain"]] == [
        "Deployment infra/web assumed by .cnverify.yaml:3; its content is not in the inputs, so this property "
        "cannot judge it"
    ]
    assert not any("containers" in s["claim"] for r in got.values() for s in r["chain"])


@pytest.mark.parametrize(
    "entry, error",
    [
        ("{kind: Service, name: backend}", "'assume' entry Service backend needs a namespace (Service is namespaced)"),
        (
            "{kind: service, namespace: infra, name: backend}",
            "'assume' entry kind 'service' is not a kind cnverify "
            "models (did you mean 'Service'?); kinds are case-sensitive (Service, Deployment, ...)",
        ),
        (
            "{kind: Widget, namespace: infra, name: w}",
            "'assume' entry kind 'Widget' is not a kind cnverify models; "
            "kinds are case-sensitive (Service, Deployment, ...)",
        ),
        (
            "{kind: Deployment, namespace: infra, name: web, apiVersion: v1}",
            "'assume' entry kind 'Deployment' in v1 is "
            "not a kind cnverify models (Deployment is in API group apps, extensions); kinds are case-sensitive (Service, Deployment, ...)",
        ),
        (
            "{kind: Namespace, namespace: infra, name: infra}",
            "'assume' entry Namespace infra has a namespace, but Namespace is cluster-scoped",
        ),
    ],
)
def test_bad_assume_entries_are_located_config_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str, error: str
) -> None:
    write(
        tmp_path,
        {
            "app/svc.yaml": service("web", "web", "shop"),
            ".cnverify.yaml": f"assume:\n- {{kind: Service, namespace: infra, name: ok}}\n- {entry}\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["prove", "app"])
    assert res.exit_code == 2
    assert f".cnverify.yaml:3:3: {error}" in res.output


VS = """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: r}}
spec:
  hosts: [{host}]
  http:
  - route:
    - destination: {{host: {host}}}
"""


@pytest.mark.parametrize("host,status", [("reviews", "proved"), ("reviews.default.svc.cluster.local", "unknown")])
def test_istio_short_names_expand_with_the_unit_namespace(tmp_path: Path, host: str, status: str) -> None:
    write(tmp_path, {"vs.yaml": VS.format(host=host), "svc.yaml": service("reviews", "reviews")})
    report = prove([str(tmp_path)], Options(select=["CNV102"]))
    assert [(f.status, f.subject["namespace"]) for f in report.results] == [(status, "(unit namespace)")]


def _violations(report: Report) -> set[tuple[str, str, str | None, str]]:
    return {
        (f.property, f.subject["kind"], f.subject["namespace"], f.subject["name"])
        for f in report.results
        if f.status == "violated"
    }


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl (kubectl kustomize) is not on PATH")
@pytest.mark.parametrize("overlay", ["dev", "prod", "qa", "staging"])
def test_no_unit_finding_disappears_after_kubectl_kustomize(overlay: str) -> None:
    import io
    import subprocess

    root = FIXTURES / "platform" / "overlays" / overlay
    rendered = subprocess.run(["kubectl", "kustomize", str(root)], check=True, capture_output=True, text=True).stdout
    built = prove(["-"], Options(), stdin=io.StringIO(rendered))  # type: ignore[arg-type]
    as_unit = prove([str(FIXTURES / "platform")], Options())
    unit_findings = {
        (f.property, f.subject["kind"], f.subject["namespace"], f.subject["name"])
        for f in as_unit.results
        if f.status == "violated" and any(u.endswith(f"overlays/{overlay}") for u in f.units)
    }
    assert unit_findings and unit_findings <= _violations(built)  # the base Service selects nothing


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl (kubectl kustomize) is not on PATH")
def test_namespace_option_rejects_what_the_kustomization_puts_elsewhere(tmp_path: Path) -> None:
    # kubectl apply -k k -n b: the object is in a (the kustomization's namespace), which does not match b
    write(
        tmp_path, {"k/kustomization.yaml": "namespace: a\nresources: [svc.yaml]\n", "k/svc.yaml": service("web", "x")}
    )
    report = prove([str(tmp_path / "k")], Options(select=["CNV202"], namespace="b"))
    assert report.results == []
    assert [(os.path.basename(e.location.file), e.location.line, e.message) for e in report.errors] == [
        (
            "kustomization.yaml",
            1,
            "Service a/web: the namespace from the provided object 'a' does not match "
            "--namespace 'b'; kubectl apply -n b rejects it (not verified)",
        )
    ]
    same = prove([str(tmp_path / "k")], Options(select=["CNV202"], namespace="a"))
    assert [(f.status, f.subject["namespace"]) for f in same.results] == [("violated", "a")] and same.errors == []


def test_a_folder_inside_a_chart_is_never_parsed(platform: Path) -> None:
    report = prove(["repo/chart/mychart/templates"], SVC)
    assert report.errors == [] and report.results == []
    assert [(u["name"], u["kind"]) for u in report.units] == [("repo/chart/mychart", "chart")]


def test_context_does_not_close_its_namespaces(tmp_path: Path) -> None:
    """A context namespace need not be complete: a missing target there is unknown, not violated."""
    vs = VS.format(host="backend.infra.svc.cluster.local").replace("{name: r}", "{name: r, namespace: shop}")
    write(tmp_path, {"app/vs.yaml": vs, "infra/other.yaml": service("other", "x", "infra")})
    report = prove([str(tmp_path / "app")], Options(select=["CNV102"], context=[str(tmp_path / "infra")]))
    assert [(f.status, f.subject["name"]) for f in report.results] == [("unknown", "r")]
    assert "not part of the inputs" in report.results[0].message


def test_a_dangling_symlink_leaves_its_unit_incomplete(tmp_path: Path) -> None:
    write(tmp_path, {"a/svc.yaml": service("web", "web", "shop"), "b/svc.yaml": service("web", "web", "shop")})
    (tmp_path / "a" / "deploy.yaml").symlink_to(tmp_path / "a" / "gone.yaml")
    report = prove([str(tmp_path)], SVC)
    assert {os.path.basename(f.units[0]): f.status for f in report.results} == {"a": "unknown", "b": "violated"}
    assert [u["errors"] for u in report.units] == [1, 0]


def test_context_under_the_arguments_is_not_also_a_unit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"app/svc.yaml": service("web", "web", "shop"), "infra/deploy.yaml": deploy("web", "web", "shop")})
    monkeypatch.chdir(tmp_path)
    report = prove(["."], Options(select=["CNV202", "CNV201"], context=[str(tmp_path / "infra")]))
    assert [(f.property, f.status, f.units) for f in report.results] == [("CNV202", "proved", ["app"])]
    assert [u["name"] for u in report.units] == ["app"]


def test_a_file_inside_a_kustomization_folder_that_it_does_not_list_is_listed(platform: Path) -> None:
    (platform / "platform" / "base" / "unused.yaml").write_text(service("unused", "x", "shop"))
    report = prove(["repo/platform"], SVC)
    assert [(i["file"], i["skipped"]) for i in report.inputs if "skipped" in i] == [
        (
            "repo/platform/base/unused.yaml",
            "inside the kustomization folder repo/platform/base, which does not list it (kustomize never reads it)",
        )
    ]
    assert "unused" not in {f.subject["name"] for f in report.results}


def test_a_named_kustomization_file_stands_for_its_unit(platform: Path) -> None:
    report = prove(["repo/platform/overlays/prod/kustomization.yaml"], SVC)
    assert [(u["name"], u["kind"]) for u in report.units] == [("repo/platform/overlays/prod", "kustomization")]
    assert [(f.status, f.subject["namespace"]) for f in report.results] == [("violated", "prod")]


def test_a_unit_not_verified_is_unknown_for_the_exit_code(platform: Path) -> None:
    args = ["prove", "repo/chart", "--no-config", "--no-color"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0 and "1 unit (1 not verified), " in res.output
    assert CliRunner().invoke(main, [*args, "--fail-on-unknown"]).exit_code == 3


def test_a_unit_object_replaces_its_context_copy_without_a_warning(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/svc.yaml": service("web", "web", "shop") + "---\n" + deploy("web", "web", "shop"),
            "infra/deploy.yaml": deploy("web", "other", "shop"),
        },
    )
    report = prove([str(tmp_path / "app")], Options(select=["CNV202"], context=[str(tmp_path / "infra")]))
    assert [f.status for f in report.results] == ["proved"]  # the unit's Deployment (app=web) is the one applied
    assert report.warnings == []


def test_namespace_flag_rejects_an_object_naming_another_as_kubectl_does(tmp_path: Path) -> None:
    write(tmp_path, {"svc.yaml": service("web", "web"), "deploy.yaml": deploy("web", "web", "other")})
    report = prove([str(tmp_path)], Options(select=["CNV202"], namespace="shop"))
    assert [(os.path.basename(e.location.file), e.location.line) for e in report.errors] == [("deploy.yaml", 3)]
    assert "does not match --namespace 'shop'" in report.errors[0].message
    assert [(f.status, f.subject["namespace"]) for f in report.results] == [("unknown", "shop")]  # unit incomplete


def test_kustomization_namespace_overrides_every_namespaced_object(platform: Path) -> None:
    base = platform / "platform" / "base" / "service.yaml"
    base.write_text(base.read_text().replace("{name: web}", "{name: web, namespace: elsewhere}"))
    report = prove(["repo/platform/overlays/prod"], SVC)
    assert [(f.status, f.subject["namespace"]) for f in report.results] == [("violated", "prod")]


def test_a_chart_unit_is_verified_as_helm_renders_it(
    platform: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = "---\n# Source: mychart/templates/svc.yaml\n" + service("release-svc", "nothing", "shop")
    fake = tmp_path / "bin" / "helm"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{rendered}EOF\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    report = prove(["repo/chart"], SVC)
    assert [(u["name"], u["kind"], u.get("not_verified")) for u in report.units] == [
        ("repo/chart/mychart", "chart", None)
    ]
    assert [(f.status, f.subject["name"], f.location.file, f.units) for f in report.results] == [
        ("violated", "release-svc", "repo/chart/mychart/templates/svc.yaml", ["repo/chart/mychart"])
    ]


HTTPROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: shop}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{name: web, port: 80}]
"""


def test_a_route_whose_gateway_is_absent_is_undecided_in_an_incomplete_unit(tmp_path: Path) -> None:
    write(tmp_path, {"a/route.yaml": HTTPROUTE, "a/broken.yaml": "kind: [\n", "b/route.yaml": HTTPROUTE})
    report = prove([str(tmp_path)], Options(select=["CNV102"]))  # the missing parent is CNV102's finding
    got = {os.path.basename(f.units[0]): f.status for f in report.results if "parentRefs" in f.subject["path"]}
    assert got == {"a": "unknown", "b": "violated"}
