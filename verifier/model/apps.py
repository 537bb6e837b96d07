"""Workload controllers (apps/v1, batch/v1) with their pod templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from cnverify.errors import Span
from cnverify.model.base import Node, ObjectMeta, Resource, register_kind
from cnverify.model.core import PersistentVolumeClaimTemplate, Pod, PodTemplateSpec
from cnverify.model.types import Int32, IntOrString
from pydantic import Field


class LabelSelectorRequirement(Node):
    key: str
    operator: str
    values: list[str] | None = None


class LabelSelector(Node):
    match_labels: dict[str, str] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None


class RollingUpdate(Node):
    max_surge: IntOrString | None = None
    max_unavailable: IntOrString | None = None


class DeploymentStrategy(Node):
    type: str = "RollingUpdate"
    rolling_update: RollingUpdate | None = None


class WorkloadSpec(Node):
    replicas: Int32 | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = Field(default_factory=PodTemplateSpec)


class DeploymentSpec(WorkloadSpec):
    strategy: DeploymentStrategy | None = None
    revision_history_limit: int | None = None


@dataclass
class OwnReplicas:
    """The replica counts a workload's own scaler allows (``high`` None: unbounded), with chain sentences;
    ``unknown`` says why they are not known."""

    low: int
    high: int | None
    why: list[tuple[str, Span]] = field(default_factory=list)
    unknown: str | None = None


class Workload(Resource):
    """A controller that owns pods built from ``template`` (``TEMPLATE_PATH`` in the manifest)."""

    TEMPLATE_PATH: ClassVar[tuple[str, ...]] = ("spec", "template")
    SCALABLE: ClassVar[bool] = True
    if TYPE_CHECKING:  # each controller declares its own spec model (a pydantic field)
        spec: Node

    @property
    def template(self) -> PodTemplateSpec:
        return self.spec.template  # type: ignore[attr-defined]

    @property
    def selector(self) -> LabelSelector | None:
        return getattr(self.spec, "selector", None)

    @property
    def template_known(self) -> bool:
        """Is :attr:`template` what the pods are made from? False when it lives in an object the inputs lack
        (a Rollout's unresolved ``workloadRef``): such a workload's pods are a pod creator's
        (``Snapshot.pod_creators``), and code reading templates skips it."""
        return True

    def own_replicas(self) -> OwnReplicas | None:
        """The replica range of a workload that its own system scales (an OpenFaaS function), or None: the
        range is ``spec.replicas`` and the HPAs that target it (``cnverify.encodings.replicas``)."""
        return None


@register_kind("apps", "Deployment", aliases=("extensions",))
class Deployment(Workload):
    spec: DeploymentSpec = Field(default_factory=DeploymentSpec)


class StatefulSetOrdinals(Node):
    start: int = 0


class StatefulSetSpec(WorkloadSpec):
    volume_claim_templates: list[PersistentVolumeClaimTemplate] | None = None
    ordinals: StatefulSetOrdinals | None = None


@register_kind("apps", "StatefulSet")
class StatefulSet(Workload):
    spec: StatefulSetSpec = Field(default_factory=StatefulSetSpec)


@register_kind("apps", "ReplicaSet", aliases=("extensions",))
class ReplicaSet(Workload):
    spec: WorkloadSpec = Field(default_factory=WorkloadSpec)


@register_kind("apps", "DaemonSet", aliases=("extensions",))
class DaemonSet(Workload):
    SCALABLE = False
    spec: WorkloadSpec = Field(default_factory=WorkloadSpec)


class JobSpec(WorkloadSpec):
    parallelism: Int32 | None = None
    completions: Int32 | None = None
    manual_selector: bool | None = None
    completion_mode: str | None = None


@register_kind("batch", "Job")
class Job(Workload):
    SCALABLE = False
    spec: JobSpec = Field(default_factory=JobSpec)


class JobTemplateSpec(Node):
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: JobSpec = Field(default_factory=JobSpec)


class CronJobSpec(Node):
    schedule: str = ""
    job_template: JobTemplateSpec = Field(default_factory=JobTemplateSpec)


@register_kind("batch", "CronJob")
class CronJob(Workload):
    TEMPLATE_PATH = ("spec", "jobTemplate", "spec", "template")
    SCALABLE = False
    spec: CronJobSpec = Field(default_factory=CronJobSpec)

    @property
    def template(self) -> PodTemplateSpec:
        return self.spec.job_template.spec.template

    @property
    def selector(self) -> LabelSelector | None:
        return self.spec.job_template.spec.selector


class ReplicationControllerSpec(Node):
    replicas: Int32 | None = None
    selector: dict[str, str] | None = None
    template: PodTemplateSpec = Field(default_factory=PodTemplateSpec)


@register_kind("", "ReplicationController")
class ReplicationController(Workload):
    """core/v1 ReplicationController: an equality-map selector that, when empty or absent, defaults to
    the template labels (``SetDefaults_ReplicationController``)."""

    spec: ReplicationControllerSpec = Field(default_factory=ReplicationControllerSpec)

    @property
    def selector(self) -> LabelSelector | None:
        """The selector map after defaulting, as a LabelSelector of matchLabels (no source spans)."""
        labels = self.spec.selector or self.spec.template.metadata.labels
        return LabelSelector(match_labels=dict(labels)) if labels else None


WORKLOAD_KINDS: tuple[type[Resource], ...] = (
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    ReplicationController,
    Job,
    CronJob,
    Pod,
)


def pod_template(obj: Resource) -> PodTemplateSpec | Pod:
    """What ``obj``'s pods are created from: a workload's ``spec.template`` (a CronJob's
    ``spec.jobTemplate.spec.template``), a bare Pod itself; both have ``metadata`` and ``spec`` (PodSpec).
    The one way code reaches a pod template (``WORKLOAD_KINDS``; any other kind is a TypeError)."""
    if isinstance(obj, Pod):
        return obj
    if isinstance(obj, Workload):
        return obj.template
    raise TypeError(f"{obj.KIND} creates no pods from a template")


def template_known(obj: Resource) -> bool:
    """Are ``obj``'s pods made from ``pod_template(obj)``? (False: a workload whose template the inputs lack.)"""
    return not isinstance(obj, Workload) or obj.template_known
