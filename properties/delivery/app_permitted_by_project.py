"""CNV501 app-permitted-by-project."""

from __future__ import annotations

from collections.abc import Iterator

import z3
from cnverify.model.argocd import Application, AppProject
from cnverify.model.base import UNIT_NAMESPACE, Node
from cnverify.obligation import Obligation
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.argocd import project as perms
from cnverify.systems.argocd.globs import Unsupported, glob_match


@register
class AppPermittedByProject(Property):
    """
    ## What it proves
    Every Argo CD Application's sources and destination are permitted by its AppProject, as Argo CD's
    `ValidatePermissions` decides: each source's repository URL (normalised: lower case, no `.git`,
    `git@host:path` as `host/path`) matches a `sourceRepos` glob and no `!` deny entry rejects it; the
    destination names a server or a cluster name (not both), and its cluster (server or name) and namespace
    match a `destinations` entry with no deny entry rejecting it (Go's precedence, `A || (B && C)`); a
    source names `repoURL` and `path` or `chart` (`ref` too with `sources`), a chart a `targetRevision`;
    an Application outside the project's namespace is in one of its `sourceNamespaces`. Globs are
    gobwas/glob's (`*` stops at `/` in repository URLs, `**` does not). Project `default` absent from the
    inputs is the one Argo CD creates (permits everything); any other absent project makes it `unknown`.

    ## Why it matters
    Argo CD does not sync an Application its project forbids: it records an `InvalidSpecError`
    condition ("application repo … is not permitted in project", "application destination server … and
    namespace … do not match any of the allowed destinations") and deploys nothing, so a typo in a project
    glob or a forgotten destination silently stops delivery.

    ## Evidence
    Violated: the source or destination and the project entries that reject it (no entry matching, or the
    deny entry). Proved: the entry that admits it and the deny entries it passes.

    ## Example
    ```yaml
    kind: AppProject
    spec: {sourceRepos: ["https://github.com/org/*"], destinations: [{server: "*", namespace: "!kube-system"}]}
    ---
    kind: Application
    spec: {source: {repoURL: https://github.com/other/x, path: .}}   # violated: no sourceRepos entry matches
    ```

    ## Assumes
    - The destination cluster is registered in Argo CD (cluster secrets are not read); a cluster's name
      (given its server) or server (given its name) is not known, so a verdict that depends on it is `unknown`;
      the in-cluster cluster keeps its default name `in-cluster` (an `assumes:` step).
    - Project `default`, when not in the inputs, is the unedited one Argo CD creates (an `assumes:` step).
    - `permitOnlyProjectScopedClusters` needs the project's cluster secrets: a proof becomes `unknown`.
    """

    code = "CNV501"
    name = "app-permitted-by-project"
    title = "Application permitted by its AppProject"
    severity = "error"
    reads = (Application, AppProject)
    remediation = "Add the repository or destination to the AppProject, or point the Application at a permitted one."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        for app in ctx.snap.all(Application):
            project, why = perms.find_project(ctx.snap, app)
            if why is not None:
                ob = self.obligation(app, at=app.spec.at("project"))
                ob.unknown(why)
                yield ob
                continue
            if app.spec.source_hydrator is not None:
                ob = self.obligation(app, at=app.spec.at("sourceHydrator"), path="spec.sourceHydrator")
                ob.unknown("spec.sourceHydrator is not modelled")
                yield ob
            else:
                yield from self.sources(ctx, app, project)
            yield self.destination(ctx, app, project)
            if project is not None and app.namespace != project.namespace:
                yield self.app_namespace(app, project)

    def sources(self, ctx: RunContext, app: Application, project: AppProject | None) -> Iterator[Obligation]:
        multi = app.multiple_sources
        for i, src in enumerate(app.sources()):
            path = f"spec.sources[{i}]" if multi else "spec.source"
            ob = self.obligation(app, at=src.at("repoURL"), path=path)
            if not src.repo_url or not (src.path or src.chart or (multi and src.ref)):
                needs = "path, chart or ref" if multi else "path or chart"
                self.rejects(ob, f"{path} needs repoURL and {needs}", src)
            elif src.chart and not src.target_revision:
                self.rejects(ob, f"{path} names chart {src.chart!r} without targetRevision", src)
            else:
                try:
                    perm = perms.source_permission(project, src, path)
                except Unsupported as exc:
                    ob.unknown(str(exc))
                    yield ob
                    continue
                self.solve(ctx, ob, perm, f"repository {src.repo_url!r}", app.project)
            yield ob
        if not app.sources():
            ob = self.obligation(app, at=app.spec.at("source"), path="spec.source")
            self.rejects(ob, "the Application has no source", app.spec)
            yield ob

    def destination(self, ctx: RunContext, app: Application, project: AppProject | None) -> Obligation:
        dest = app.spec.destination
        ob = self.obligation(app, at=dest.at(), path="spec.destination")
        cluster = perms.cluster_of(app)
        if cluster.error is not None:
            self.rejects(ob, cluster.error, dest)
            return ob
        where = cluster.server if dest.server else cluster.name
        perm = perms.destination_permission(project, app, cluster, "destination")
        self.solve(ctx, ob, perm, f"destination {where!r} namespace {dest.namespace!r}", app.project)
        if project is not None and project.spec.permit_only_project_scoped_clusters:
            ob.only_refute(
                "permitOnlyProjectScopedClusters: the cluster must also belong to the project (cluster secrets are not in the inputs)"
            )
        return ob

    def app_namespace(self, app: Application, project: AppProject) -> Obligation:
        """``IsAppNamespacePermitted``: an Application outside Argo CD's namespace (the project's) needs it listed."""
        ob = self.obligation(app, at=app.metadata.at("namespace"), path="metadata.namespace")
        if UNIT_NAMESPACE in (app.namespace, project.namespace):
            ob.unknown(
                f"the Application or AppProject {project.name!r} names no namespace: whether the Application is in Argo CD's namespace is not known"
            )
            return ob
        patterns = project.spec.source_namespaces or []
        if any(len(p) > 1 and p.startswith("/") and p.endswith("/") for p in patterns):
            ob.unknown("sourceNamespaces holds a regular expression (not modelled)")
            return ob
        hit = next((i for i, p in enumerate(patterns) if glob_match(p, app.namespace, False)), None)
        ob.note(f"AppProject {project.name!r} is in namespace {project.namespace!r}", project.metadata.at("namespace"))
        if hit is None:
            self.rejects(
                ob,
                f"namespace {app.namespace!r} matches no sourceNamespaces entry of project {project.name!r}",
                app.metadata,
            )
        else:
            ob.note(f"sourceNamespaces[{hit}] {patterns[hit]!r} matches", project.spec.at("sourceNamespaces", hit))
            ob.decide("proved", f"namespace {app.namespace!r} is a source namespace of project {project.name!r}")
        return ob

    @staticmethod
    def rejects(ob: Obligation, why: str, node: Node) -> None:
        """A spec Argo CD rejects before any project glob is matched (an ``InvalidSpecError`` condition)."""
        ob.note(f"{node.path_str or 'the object'} as written", node)
        ob.on(violated=f"{why}: Argo CD rejects the spec")
        ob.decide("violated", f"{why}: Argo CD rejects the spec")

    def solve(self, ctx: RunContext, ob: Obligation, perm: perms.Permission, what: str, project: str) -> None:
        """Violated when no cluster consistent with the inputs is permitted, proved when every one is."""
        for a in perm.assumes:
            ob.assume(a)
        fixed = []
        for f in perm.facts:
            assert f.value is not None
            ob.fact(f.term == f.value, at=f.at, says=f.says)
            fixed.append(f.term == f.value)
        can, cannot = ctx.check([*fixed, perm.permitted]), ctx.check([*fixed, z3.Not(perm.permitted)])
        ob.on(
            violated=f"{what} is not permitted in project {project!r}",
            proved=f"{what} is permitted in project {project!r}",
        )
        if can.result == "unsat":
            ob.example(perm.permitted, says=f"project {project!r} permits the {what}")
        elif cannot.result == "unsat":
            ob.counterexample(z3.Not(perm.permitted), says=f"project {project!r} rejects the {what}")
        elif "unknown" in (can.result, cannot.result):
            ob.unknown(can.reason or cannot.reason)
        else:
            ob.unknown(
                f"whether project {project!r} permits the {what} depends on the cluster, whose other identity is not in the inputs"
            )
