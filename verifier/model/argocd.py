"""Argo CD (``argoproj.io/v1alpha1``): Application, AppProject, ApplicationSet.

docs/SEMANTICS.md#argo-cd; argoproj/argo-cd 37ee0097 ``pkg/apis/application/v1alpha1/types.go`` (Application:
``spec.project`` defaulting to ``default``, ``source`` or ``sources``, ``destination``),
``app_project_types.go`` (AppProject), ``applicationset_types.go`` (ApplicationSet: generators and
template are kept as written; ``cnverify.systems.argocd.generators`` reads them).
"""

from __future__ import annotations

from typing import Any

from cnverify.model.base import Node, Resource, register_kind
from pydantic import Field

GROUP = "argoproj.io"
DEFAULT_PROJECT = "default"  # v1alpha1.DefaultAppProjectName: an empty spec.project means it


class ApplicationSource(Node):
    repo_url: str = Field(default="", alias="repoURL")
    path: str = ""
    target_revision: str = ""
    chart: str = ""
    ref: str = ""


class ApplicationDestination(Node):
    server: str = ""
    name: str = ""
    namespace: str = ""


class ApplicationSpec(Node):
    project: str = ""
    source: ApplicationSource | None = None
    sources: list[ApplicationSource] | None = None
    source_hydrator: dict[str, Any] | None = None
    destination: ApplicationDestination = Field(default_factory=ApplicationDestination)


@register_kind(GROUP, "Application")
class Application(Resource):
    spec: ApplicationSpec = Field(default_factory=ApplicationSpec)

    @property
    def project(self) -> str:
        """The project name (``GetProject``: ``default`` when ``spec.project`` is empty)."""
        return self.spec.project or DEFAULT_PROJECT

    @property
    def multiple_sources(self) -> bool:
        """``HasMultipleSources``: ``spec.sources`` has an entry (then ``spec.source`` is ignored)."""
        return bool(self.spec.sources)

    def sources(self) -> list[ApplicationSource]:
        """The sources Argo CD validates: every ``spec.sources`` entry, else ``spec.source``."""
        if self.spec.sources:
            return list(self.spec.sources)
        return [self.spec.source] if self.spec.source is not None else []


class GroupKind(Node):
    group: str = ""
    kind: str = ""


class AppProjectSpec(Node):
    source_repos: list[str] | None = None
    source_namespaces: list[str] | None = None
    destinations: list[ApplicationDestination] | None = None  # the same type in Argo CD
    cluster_resource_whitelist: list[GroupKind] | None = None
    cluster_resource_blacklist: list[GroupKind] | None = None
    namespace_resource_whitelist: list[GroupKind] | None = None
    namespace_resource_blacklist: list[GroupKind] | None = None
    permit_only_project_scoped_clusters: bool = False


@register_kind(GROUP, "AppProject")
class AppProject(Resource):
    spec: AppProjectSpec = Field(default_factory=AppProjectSpec)


class ApplicationSetSpec(Node):
    go_template: bool = False
    go_template_options: list[str] | None = None
    generators: list[dict[str, Any]] = Field(default_factory=list)
    template: dict[str, Any] = Field(default_factory=dict)
    template_patch: str | None = None


@register_kind(GROUP, "ApplicationSet")
class ApplicationSet(Resource):
    spec: ApplicationSetSpec = Field(default_factory=ApplicationSetSpec)
