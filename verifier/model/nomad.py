"""HashiCorp Nomad: a job file's task groups as workloads (docs/SEMANTICS.md#nomad).

hashicorp/nomad (MPL-2.0 at a4cc76bd) ``api/tasks.go`` ``TaskGroup.Canonicalize`` (count defaults to
``scaling.min``, else 1), ``api/scaling.go`` (``min`` defaults to the count), ``nomad/structs/structs.go``
(``Resources.Validate``: ``memory_max`` 0 or at least ``memory``). A group's allocation runs its tasks; each task
is modelled as a container whose memory request is ``memory`` (MB) and whose limit is ``memory_max`` when set, so
CNV301 reads them. A value that is an expression (``${var.n}``) is known only when Nomad evaluates the job.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cnverify.model.apps import LabelSelector, OwnReplicas, Workload
from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.core import PodTemplateSpec
from cnverify.model.synthesized import CONTAINER, bind_synthesized
from cnverify.source import Path
from pydantic import PrivateAttr

DEFAULT_MEMORY_MB = 300  # api/resources.go DefaultResources: a task's memory when the job sets none
NOMAD_GROUP = "nomad.hashicorp.com"  # not an API group: the kind cnverify gives a job's task groups
Value = int | float | str | bool | None


class NomadPort(Node):
    name: str = ""
    static: Value = None
    to: Value = None


class NomadNetwork(Node):
    ports: list[NomadPort] | None = None


class NomadResources(Node):
    cpu: Value = None
    cores: Value = None
    memory: Value = None
    memory_max: Value = None
    network: NomadNetwork | None = None  # deprecated task network: its port labels count for services too


class NomadSidecarTask(Node):
    resources: NomadResources | None = None


class NomadConnect(Node):
    sidecar_service: Any = None
    sidecar_task: NomadSidecarTask | None = None
    gateway: Any = None


class NomadService(Node):
    name: str | None = None
    port: Value = None
    connect: NomadConnect | None = None


class NomadTask(Node):
    name: str = ""
    driver: str | None = None
    kind: str | None = None  # "connect-proxy:<service>": a sidecar the job defines itself
    resources: NomadResources | None = None
    services: list[NomadService] | None = None


class NomadValidation(Node):
    condition: str = ""
    error_message: str = ""


class NomadVariable(Node):
    """An input variable without a value (``variable "n" {}``) that the group's values refer to."""

    name: str = ""
    type: str | None = None
    validation: list[NomadValidation] | None = None


class NomadScaling(Node):
    min: Value = None
    max: Value = None
    enabled: Value = None


class NomadUpdate(Node):
    max_parallel: Value = None
    canary: Value = None
    auto_promote: Value = None


@register_kind(NOMAD_GROUP, "TaskGroup")
class TaskGroup(Workload):
    """One ``group`` of a job; its name is ``<job>.<group>``, its namespace the job's (``nomad:default``)."""

    TEMPLATE_PATH: ClassVar[tuple[str, ...]] = ()
    SCALABLE: ClassVar[bool] = False
    APPLY_IDENTITY: ClassVar[bool] = False
    count: Value = None
    scaling: NomadScaling | None = None
    update: NomadUpdate | None = None
    network: NomadNetwork | None = None
    services: list[NomadService] | None = None
    tasks: list[NomadTask] | None = None
    job_type: str | None = None
    job_region: Value = None
    job_update: NomadUpdate | None = None  # the job-level update block (merged under the group's own)
    multiregion: Any = None
    generated: bool = False  # it holds (or is) a dynamic block: jobspec2 generates blocks cnverify does not see
    variables: list[NomadVariable] | None = None
    _template: PodTemplateSpec | None = PrivateAttr(default=None)

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[-1]

    @property
    def expressions(self) -> list[str]:
        """Values of the count, scaling and resources that are expressions (``${var.n}``, ``${attr.x}``): known
        only when the job is run (input variables without a default) or on the client."""
        return self.count_expressions + self.resource_expressions

    @property
    def count_expressions(self) -> list[str]:
        values: list[Any] = [self.count, *(vars(self.scaling).values() if self.scaling else ())]
        return [v for v in values if isinstance(v, str) and "${" in v]

    @property
    def resource_expressions(self) -> list[str]:
        values: list[Any] = []
        for t in self.tasks or []:
            values += list(vars(t.resources).values()) if t.resources else []
        return [v for v in values if isinstance(v, str) and "${" in v]

    @property
    def template_known(self) -> bool:
        return not self.resource_expressions

    @property
    def selector(self) -> LabelSelector | None:
        return LabelSelector.model_validate({"matchLabels": self._labels()})

    def _labels(self) -> dict[str, str]:
        return {"nomad/job": self.name.split(".", 1)[0], "nomad/group": self.group}

    @property
    def template(self) -> PodTemplateSpec:
        if self._template is None:
            containers: list[dict[str, Any]] = []
            routes: list[tuple[Path, Path]] = []
            for i, t in enumerate(self.tasks or []):
                r = t.resources
                res: dict[str, dict[str, str]] = {}
                limited = r is not None and isinstance(r.memory_max, int) and r.memory_max > 0
                if r is not None and (isinstance(r.memory, int) or limited and r.memory is None):
                    # unset: api/resources.go Canonicalize gives DefaultResources' memory, which memory_max must reach
                    memory = r.memory if isinstance(r.memory, int) else DEFAULT_MEMORY_MB
                    res["requests"] = {"memory": f"{memory}Mi"}
                    written: Path = ("tasks", i, "resources", *(("memory",) if isinstance(r.memory, int) else ()))
                    routes.append(((*CONTAINER[:2], i, "resources", "requests", "memory"), written))
                if limited:
                    assert r is not None
                    res["limits"] = {"memory": f"{r.memory_max}Mi"}
                    routes.append(
                        ((*CONTAINER[:2], i, "resources", "limits", "memory"), ("tasks", i, "resources", "memory_max"))
                    )
                routes.append(((*CONTAINER[:2], i), ("tasks", i)))
                containers.append({"name": t.name, "resources": res})
            self._template = PodTemplateSpec.model_validate(
                {"metadata": {"labels": self._labels()}, "spec": {"containers": containers}}
            )
            if self._doc is not None:
                bind_synthesized(self._template, self._doc, [(p, self._path + q) for p, q in routes], self._path)
        return self._template

    def own_replicas(self) -> OwnReplicas:
        """``count`` (default ``scaling.min``, else 1); with an enabled ``scaling`` block the autoscaler may move it
        within ``min..max`` (``nomad job scale`` enforces them)."""
        s = self.scaling
        if self.count_expressions:
            written = ", ".join(v[2:-1] for v in self.count_expressions[:3])
            return OwnReplicas(
                0, None, [], unknown=f"the count or scaling bounds are known only when the job is run ({written})"
            )
        count = self.count if isinstance(self.count, int) else (s.min if s and isinstance(s.min, int) else 1)
        why = [(f"count is {count}" + ("" if isinstance(self.count, int) else " (default)"), self.at("count"))]
        if s is None or s.enabled is False or not isinstance(s.max, int):
            return OwnReplicas(count, count, why)
        low = s.min if isinstance(s.min, int) else count
        why.append((f"the autoscaler moves it within scaling.min {low} and scaling.max {s.max}", s.at()))
        return OwnReplicas(min(low, count), max(s.max, count), why)


class NomadRegionLimit(Node):
    cpu: Value = None
    memory: Value = None
    memory_max: Value = None


class NomadQuotaLimit(Node):
    region: Value = None
    region_limit: NomadRegionLimit | None = None


@register_kind(NOMAD_GROUP, "QuotaSpec")
class QuotaSpec(Resource):
    """A quota specification (``nomad quota apply``, Enterprise): per region, limits on the sum of the
    ``resources`` of the allocations of the namespaces that name it. Its namespace is ``nomad:*`` (cluster-wide)."""

    NAMESPACED: ClassVar[bool] = False
    limits: list[NomadQuotaLimit] | None = None


@register_kind(NOMAD_GROUP, "NamespaceSpec")
class NomadNamespace(Resource):
    """A namespace specification (``nomad namespace apply``): its ``quota`` names a QuotaSpec."""

    NAMESPACED: ClassVar[bool] = False
    quota: Value = None
