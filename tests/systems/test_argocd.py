"""Argo CD semantics against argo-cd's own test tables and the rules read in its source (argo-cd 37ee0097)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
import z3
from cnverify.model.argocd import Application, ApplicationSource, AppProject
from cnverify.systems.argocd.generators import Undecided, render
from cnverify.systems.argocd.globs import Unsupported, glob_match, normalize_git_url
from cnverify.systems.argocd.project import Cluster, Permission, destination_permission, source_permission
from cnverify.systems.argocd.waves import needs, slot_of

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "argocd_project_cases.yaml").read_text())


def decided(perm: Permission) -> bool:
    """The permission with every fact's value substituted: it must be a constant."""
    subs = [(f.term, z3.BoolVal(f.value)) for f in perm.facts if f.value is not None]
    value = z3.simplify(z3.substitute(perm.permitted, *subs) if subs else perm.permitted)
    assert z3.is_true(value) or z3.is_false(value), value
    return z3.is_true(value)


def project(spec: dict[str, Any]) -> AppProject:
    return AppProject.model_validate({"metadata": {"name": "p"}, "spec": spec})


@pytest.mark.parametrize("case", CASES["source"], ids=lambda c: f"{c['sourceRepos']}~{c['repoURL']}")
def test_source_permission_agrees_with_argo_cd_tests(case: dict[str, Any]) -> None:
    src = ApplicationSource.model_validate({"repoURL": case["repoURL"]})
    assert decided(source_permission(project({"sourceRepos": case["sourceRepos"]}), src, "s")) == case["permitted"]


@pytest.mark.parametrize("case", CASES["destination"], ids=lambda c: f"{c['destinations']}~{c['cluster']}")
def test_destination_permission_agrees_with_argo_cd_tests(case: dict[str, Any]) -> None:
    c = case["cluster"]
    app = Application.model_validate({"spec": {"destination": {"namespace": c["namespace"]}}})
    perm = destination_permission(
        project({"destinations": case["destinations"]}), app, Cluster(c["server"], c["name"], []), "d"
    )
    assert decided(perm) == case["permitted"]


def test_unknown_cluster_name_leaves_the_permission_open() -> None:
    app = Application.model_validate({"spec": {"destination": {"namespace": "web"}}})
    perm = destination_permission(
        project({"destinations": [{"name": "prod-*", "namespace": "*"}]}), app, Cluster("https://x", None, []), "d"
    )
    fixed = [f.term == f.value for f in perm.facts]
    assert z3.Solver().check(*fixed, perm.permitted) == z3.sat
    assert z3.Solver().check(*fixed, z3.Not(perm.permitted)) == z3.sat


@pytest.mark.parametrize(
    ("pattern", "value", "separators", "matches"),
    [
        ("a*", "a/b", "", True),
        ("a*", "a/b", "/", False),
        ("a**", "a/b", "/", True),
        ("a?c", "a/c", "/", False),
        ("[!a-c]x", "/x", "/", True),  # a negated class is one character, separators included
        ("{dev,prod}-*", "prod-eu", "", True),
        ("a}b", "a}b", "", True),  # braces and commas outside a group are text
        ("x\\*", "x*", "", True),
        ("[a-]", "a", "", False),  # does not compile: matches nothing
        ("[z-a]", "z", "", False),
    ],
)
def test_gobwas_glob(pattern: str, value: str, separators: str, matches: bool) -> None:
    assert glob_match(pattern, value, False, separators) is matches


def test_deny_pattern_that_does_not_compile_denies_nothing() -> None:
    assert glob_match("![a-]", "a", True) is True


def test_git_url_normalisation() -> None:
    assert normalize_git_url(" https://GitHub.com/Org/Repo.git ") == "https://github.com/org/repo"
    assert normalize_git_url("git@github.com:org/repo.git") == "git@github.com/org/repo"
    assert normalize_git_url("ssh://git@github.com/org/repo") == "git@github.com/org/repo"
    with pytest.raises(Unsupported):
        normalize_git_url("https://github.com/{a,b}/x")


@pytest.mark.parametrize(
    ("kind", "notes", "phases", "wave"),
    [
        ("Deployment", {}, ("Sync",), 0),
        ("Deployment", {"argocd.argoproj.io/sync-wave": "+3"}, ("Sync",), 3),
        ("Deployment", {"argocd.argoproj.io/sync-wave": "1.5", "helm.sh/hook-weight": "-2"}, ("Sync",), -2),
        ("Deployment", {"argocd.argoproj.io/sync-wave": " 2"}, ("Sync",), 0),
        ("Job", {"argocd.argoproj.io/hook": "PostSync, PreSync"}, ("PreSync", "PostSync"), 0),
        ("Job", {"argocd.argoproj.io/hook": "Skip"}, (), 0),
        ("Job", {"argocd.argoproj.io/hook": "Bogus"}, (), 0),  # a hook with no phase is never applied
        ("Job", {"helm.sh/hook": "pre-install,post-upgrade"}, ("PreSync", "PostSync"), 0),
        ("Job", {"argocd.argoproj.io/hook": "Sync", "helm.sh/hook": "pre-install"}, ("Sync",), 0),
        ("CustomResourceDefinition", {"helm.sh/hook": "crd-install"}, ("Sync",), 0),
    ],
)
def test_slots(kind: str, notes: dict[str, str], phases: tuple[str, ...], wave: int) -> None:
    slot = slot_of(kind, notes)
    assert (slot.phases, slot.wave) == (phases, wave)


def test_kind_order_puts_unknown_kinds_last() -> None:
    assert (
        slot_of("ServiceAccount", {}).kind_rank
        < slot_of("Deployment", {}).kind_rank
        < slot_of("Widget", {}).kind_rank
        == 0
    )


def test_needs_skip_optional_references() -> None:
    spec = {
        "serviceAccountName": "default",
        "volumes": [{"configMap": {"name": "a"}}, {"secret": {"secretName": "b", "optional": True}}],
        "containers": [{"env": [{"valueFrom": {"secretKeyRef": {"name": "c", "key": "k"}}}]}],
    }
    assert [(n.kind, n.name) for n in needs(spec)] == [("ConfigMap", "a"), ("Secret", "c")]


def test_rendering() -> None:
    assert render("{{ a }}-{{b}}-{{values.x}}", {"a": "1", "values.x": "v"}, False) == "1-{{b}}-v"
    assert render("{{.a.b}}-{{.n}}-{{.t}}", {"a": {"b": "x"}, "n": 7, "t": True}, True) == "x-7-true"
    for text, params in (("{{.n}}", {"n": 10**6}), ("{{ .a | upper }}", {"a": "x"}), ("{{.m}}", {})):
        with pytest.raises(Undecided):
            render(text, params, True)
