"""AppProject permissions as Argo CD evaluates them (argo-cd 37ee0097).

``app_project_types.go``: ``IsSourcePermitted`` (normalised repo URL against ``sourceRepos`` globs with ``/``
as separator; a deny entry that does not match rejects at once, any other match permits),
``isDestinationMatched`` (per ``destinations`` entry: (server or name) and namespace match; the deny cases
in Go's precedence ``A || (B && C)``), ``IsAppNamespacePermitted``. ``util/argo/argo.go``:
``validateSourcePermissions``, ``GetDestinationServer`` (not both name and server; a trailing ``/`` of the
server is trimmed), ``ValidatePermissions``. ``server/server.go`` ``initializeDefaultProject``: the
``default`` project Argo CD creates when it is missing permits every source and destination.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3
from cnverify.errors import Span
from cnverify.model.argocd import (
    DEFAULT_PROJECT,
    Application,
    ApplicationDestination,
    ApplicationSource,
    AppProject,
)
from cnverify.snapshot import Snapshot
from cnverify.systems.argocd.globs import Unsupported, glob_match, normalize_git_url

IN_CLUSTER_SERVER = "https://kubernetes.default.svc"  # v1alpha1.KubernetesInternalAPIServerAddr
IN_CLUSTER_NAME = "in-cluster"  # v1alpha1.KubernetesInClusterName
DEFAULT_SPEC = (["*"], [("*", "", "*")])  # initializeDefaultProject: sourceRepos, (server, name, namespace)


@dataclass
class Fact:
    """One tracked boolean: its term, its value when the inputs fix it (None: free), where and what it says."""

    term: z3.BoolRef
    value: bool | None
    at: Span | None
    says: str


@dataclass
class Permission:
    """``permitted`` over the facts; ``assumes`` lists what the verdict rests on outside the inputs."""

    permitted: z3.BoolRef
    facts: list[Fact] = field(default_factory=list)
    assumes: list[str] = field(default_factory=list)


def find_project(snap: Snapshot, app: Application) -> tuple[AppProject | None, str | None]:
    """The app's AppProject in the unit, else (None, why not: None when it is Argo CD's built-in default)."""
    found = [p for p in snap.all(AppProject) if p.name == app.project]
    if len(found) == 1:
        return found[0], None
    if len(found) > 1:
        same = [p for p in found if p.namespace == app.namespace]
        if len(same) == 1:
            return same[0], None
        return (
            None,
            f"{len(found)} AppProjects named {app.project!r} in different namespaces: which is Argo CD's is not known",
        )
    if app.project == DEFAULT_PROJECT:
        return None, None
    return None, f"AppProject {app.project!r} is not in the inputs"


def source_repos(project: AppProject | None) -> list[tuple[str, Span | None]]:
    if project is None:
        return [(p, None) for p in DEFAULT_SPEC[0]]
    return [(p, project.spec.at("sourceRepos", i)) for i, p in enumerate(project.spec.source_repos or [])]


def source_permission(project: AppProject | None, src: ApplicationSource, label: str) -> Permission:
    """``IsSourcePermitted``; raises :class:`Unsupported` when a URL's normalisation is not modelled."""
    entries = source_repos(project)
    try:
        url: str | None = normalize_git_url(src.repo_url)
    except Unsupported:
        if any(p != "*" for p, _ in entries):
            raise
        url = None
    out = Permission(z3.BoolVal(False))
    matched, deny_ok = [], []
    for i, (pattern, at) in enumerate(entries):
        deny = pattern.startswith("!")
        norm = "!" + normalize_git_url(pattern[1:]) if deny else normalize_git_url(pattern)
        value = True if norm == "*" else glob_match(norm, url or "", True, "/")
        term = z3.Bool(f"{label}.sourceRepos[{i}]")
        says = (
            f"sourceRepos[{i}] {pattern!r}: {src.repo_url!r} " + ("is not denied" if value else "is denied")
            if deny
            else f"sourceRepos[{i}] {pattern!r} " + ("matches" if value else "does not match") + f" {src.repo_url!r}"
        )
        out.facts.append(Fact(term, value, at, says))
        matched.append(term)
        if deny:
            deny_ok.append(term)
    out.permitted = z3.And(z3.Or(*matched) if matched else z3.BoolVal(False), *deny_ok)
    if project is None:
        out.assumes.append(_DEFAULT_ASSUMED)
    return out


@dataclass
class Cluster:
    """The destination cluster as Argo CD resolves it: each of server and name, None when not in the inputs."""

    server: str | None
    name: str | None
    assumes: list[str]
    error: str | None = None


def cluster_of(app: Application) -> Cluster:
    """``GetDestinationServer`` / ``GetDestinationCluster``: the cluster the destination names."""
    d = app.spec.destination
    if d.name and d.server:
        return Cluster(
            None, None, [], f"application destination can't have both name and server defined: {d.name} {d.server}"
        )
    if d.server:
        server = d.server.rstrip("/")
        if server == IN_CLUSTER_SERVER:
            return Cluster(server, IN_CLUSTER_NAME, [_IN_CLUSTER])
        return Cluster(
            server,
            None,
            [
                f"a cluster with server {server!r} is registered in Argo CD (cluster secrets are not in the inputs); its name is not known"
            ],
        )
    if d.name:
        if d.name == IN_CLUSTER_NAME:
            return Cluster(IN_CLUSTER_SERVER, d.name, [_IN_CLUSTER])
        return Cluster(
            None,
            d.name,
            [
                f"exactly one cluster named {d.name!r} is registered in Argo CD (cluster secrets are not in the inputs); its server is not known"
            ],
        )
    return Cluster(None, None, [], "the destination names neither a server nor a cluster name")


_IN_CLUSTER = f"the in-cluster destination is enabled and keeps its default name {IN_CLUSTER_NAME!r} and server {IN_CLUSTER_SERVER!r}"


def _attr_match(
    attr: str, pattern: str, value: str | None, label: str, free: dict[str, z3.BoolRef]
) -> tuple[z3.BoolRef, bool | None]:
    """``dst.<attr> != "" && globMatch(pattern, dst.<attr>, true)``: known, or a term over the unknown value."""
    if value is not None:
        known = value != "" and glob_match(pattern, value, True)
        return z3.BoolVal(known), known
    deny, inner = pattern.startswith("!"), pattern.removeprefix("!")
    nonempty = (
        free.setdefault(f"{attr}≠''", z3.Bool(f"{label}: the cluster {attr} is not empty"))
        if attr == "name"
        else z3.BoolVal(True)
    )
    if pattern == "*" or inner == "*" and deny:
        return (nonempty if not deny else z3.BoolVal(False)), None
    base = free.setdefault(inner, z3.Bool(f"{label}: the cluster {attr} matches {inner!r}"))
    return z3.And(nonempty, z3.Not(base) if deny else base), None


def destination_permission(project: AppProject | None, app: Application, cluster: Cluster, label: str) -> Permission:
    """``isDestinationMatched`` over the project's destinations (the default project's when it is None)."""
    ns = app.spec.destination.namespace
    entries: list[tuple[str, str, str, ApplicationDestination | None]]
    if project is None:
        entries = [(srv, name, nsp, None) for srv, name, nsp in DEFAULT_SPEC[1]]
    else:
        entries = [(d.server, d.name, d.namespace, d) for d in project.spec.destinations or []]
    out = Permission(z3.BoolVal(False), assumes=list(cluster.assumes))
    free: dict[str, z3.BoolRef] = {}
    any_matched, all_ok = [], []
    for i, (srv, name, nsp, node) in enumerate(entries):
        terms = []
        for attr, pattern, value in (("server", srv, cluster.server), ("name", name, cluster.name)):
            term, known = _attr_match(attr, pattern, value, label, free)
            if known is not None and pattern:
                fact = z3.Bool(f"{label}.destinations[{i}].{attr}")
                says = (
                    f"destinations[{i}].{attr} {pattern!r} "
                    + ("matches" if known else "does not match")
                    + f" the cluster {attr} {value!r}"
                )
                out.facts.append(Fact(fact, known, node.at(attr) if node else None, says))
                term = fact
            terms.append(term)
        s, n = terms
        ns_ok = glob_match(nsp, ns, True)
        ns_term = z3.Bool(f"{label}.destinations[{i}].namespace")
        says = (
            f"destinations[{i}].namespace {nsp!r} " + ("matches" if ns_ok else "does not match") + f" namespace {ns!r}"
        )
        out.facts.append(Fact(ns_term, ns_ok, node.at("namespace") if node else None, says))
        matched = z3.And(z3.Or(s, n), ns_term)
        reject_a = z3.Or(z3.And(z3.Not(n), name.startswith("!")), z3.And(z3.Not(s), srv.startswith("!"), ns_term))
        reject_b = z3.And(z3.Not(ns_term), nsp.startswith("!"), s)
        any_matched.append(matched)
        all_ok.append(z3.Or(matched, z3.Not(z3.Or(reject_a, reject_b))))
    out.permitted = z3.And(z3.Or(*any_matched) if any_matched else z3.BoolVal(False), *all_ok)
    if project is None:
        out.assumes.append(_DEFAULT_ASSUMED)
    return out


_DEFAULT_ASSUMED = (
    "AppProject 'default' is not in the inputs: it is the one Argo CD creates when missing (sourceRepos ['*'], "
    "destinations [{server: '*', namespace: '*'}]; server.go initializeDefaultProject), unedited"
)
