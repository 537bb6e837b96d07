"""Docker Compose: a compose file's services as workloads, and the names the file declares.

docs/SEMANTICS.md#docker-compose. compose-spec ``schema/compose-spec.json`` (fields), compose-go
``types/bytes.go`` (memory: docker/go-units ``RAMInBytes``, binary multiples), docker/compose
``pkg/compose/create.go`` (``NanoCPUs = cpus × 10^9``). A service's container is modelled as a pod template
(one container; ``limits`` from ``deploy.resources.limits`` or the legacy ``cpus``/``mem_limit``, requests
from ``reservations`` or ``mem_reservation``) so the resource properties read it. Values holding ``${…}``
come from the environment at ``docker compose`` time (:mod:`cnverify.systems.compose.interpolate`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from cnverify.model.apps import LabelSelector, OwnReplicas, Workload
from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.core import PodTemplateSpec
from cnverify.model.synthesized import CONTAINER, bind_synthesized
from cnverify.source import Path
from pydantic import Field, PrivateAttr

COMPOSE_GROUP = "compose.docker.com"  # not an API group: the kinds cnverify gives a compose file's parts
PROJECT_LABEL, SERVICE_LABEL = "com.docker.compose.project", "com.docker.compose.service"
_RAM = re.compile(r"([0-9]+(?:\.[0-9]+)?) ?([kmgtp])?i?b?", re.I)
_RAM_UNITS = {None: 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50}
_CPUS = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")


def ram_in_bytes(value: str | int) -> int | None:
    """docker/go-units ``RAMInBytes``: ``{amount}{unit}`` with binary k/m/g/t/p (case-insensitive), an integer
    is bytes; None when it does not parse (compose-go rejects the file)."""
    if isinstance(value, int):
        return value
    m = _RAM.fullmatch(value.strip())
    if m is None:
        return None
    return int(Fraction(m.group(1)) * 2 ** _RAM_UNITS[m.group(2).lower() if m.group(2) else None])


def cpus_in_milli(value: str | int | float) -> Fraction | None:
    """A ``cpus`` value (a fractional number of cores) in milli-cores, exactly; None when it is not a number."""
    text = str(value).strip()
    return Fraction(text) * 1000 if _CPUS.fullmatch(text) else None


@dataclass
class Effective:
    """A service's container resources as Kubernetes quantities, and where each value is written."""

    limits: dict[str, str] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    written: dict[tuple[str, str], Path] = field(default_factory=dict)  # ("limits", "cpu") → its field path
    exact: dict[tuple[str, str], Fraction] = field(default_factory=dict)  # cpu in milli-cores, memory in bytes


class ComposeLimits(Node):
    cpus: str | int | float | None = None
    memory: str | int | None = None
    pids: str | int | None = None


class ComposeResources(Node):
    limits: ComposeLimits | None = None
    reservations: ComposeLimits | None = None


class ComposeUpdate(Node):
    parallelism: str | int | None = None
    order: str | None = None


class ComposePlacement(Node):
    constraints: list[str] | None = None
    max_replicas_per_node: str | int | None = Field(default=None, alias="max_replicas_per_node")


class ComposeDeploy(Node):
    mode: str | None = None
    replicas: str | int | None = None
    resources: ComposeResources | None = None
    placement: ComposePlacement | None = None
    update_config: ComposeUpdate | None = Field(default=None, alias="update_config")
    rollback_config: ComposeUpdate | None = Field(default=None, alias="rollback_config")
    endpoint_mode: str | None = Field(default=None, alias="endpoint_mode")


class ComposeServiceFields(Node):
    image: str | None = None
    deploy: ComposeDeploy | None = None
    scale: str | int | None = None
    cpus: str | int | float | None = None
    mem_limit: str | int | None = Field(default=None, alias="mem_limit")
    mem_reservation: str | int | None = Field(default=None, alias="mem_reservation")
    container_name: str | None = Field(default=None, alias="container_name")
    networks: list[Any] | dict[str, Any] | None = None
    ports: list[Any] | None = None
    volumes: list[Any] | None = None
    secrets: list[Any] | None = None
    configs: list[Any] | None = None
    depends_on: list[Any] | dict[str, Any] | None = Field(default=None, alias="depends_on")
    network_mode: str | None = Field(default=None, alias="network_mode")
    extends: Any = None


@register_kind(COMPOSE_GROUP, "ComposeService")
class ComposeService(Workload, ComposeServiceFields):
    """One entry of a compose file's ``services`` map; its namespace is ``compose:<project>``."""

    TEMPLATE_PATH: ClassVar[tuple[str, ...]] = ()
    SCALABLE: ClassVar[bool] = False
    APPLY_IDENTITY: ClassVar[bool] = False  # several compose files merge; `kubectl apply` replacement is not it
    _template: PodTemplateSpec | None = PrivateAttr(default=None)
    _unknown: str | None = PrivateAttr(default=None)
    _limits: dict[str, str] = PrivateAttr(default_factory=dict)
    _requests: dict[str, str] = PrivateAttr(default_factory=dict)
    _replicas: OwnReplicas | None = PrivateAttr(default=None)
    _written: dict[tuple[str, str], Path] = PrivateAttr(default_factory=dict)
    _effective: Effective = PrivateAttr(default_factory=Effective)

    def settle(self, effective: Effective, replicas: OwnReplicas, why: str | None) -> None:
        """Set the effective resources and replicas (the adapter reads them after interpolation), or why the
        container is not known (a value from the environment, a service merged from several files)."""
        self._limits, self._requests, self._written = effective.limits, effective.requests, effective.written
        self._effective = effective
        self._replicas, self._unknown, self._template = replicas, why, None

    def reservation(self, name: str, kind: str = "requests") -> tuple[Fraction, Path] | None:
        """The exact reservation (``kind="limits"``: limit) of ``cpu`` (milli-cores) or ``memory`` (bytes) and
        where it is written."""
        value = self._effective.exact.get((kind, name))
        return None if value is None else (value, self._effective.written[(kind, name)])

    @property
    def unknown(self) -> str | None:
        return self._unknown

    @property
    def settled(self) -> bool:
        return self._replicas is not None

    @property
    def template_known(self) -> bool:
        return self._unknown is None

    @property
    def selector(self) -> LabelSelector | None:
        return LabelSelector.model_validate({"matchLabels": self._labels()})

    def _labels(self) -> dict[str, str]:
        return {PROJECT_LABEL: self.namespace.removeprefix("compose:"), SERVICE_LABEL: self.name}

    @property
    def template(self) -> PodTemplateSpec:
        if self._template is None:
            resources = {k: v for k, v in (("limits", self._limits), ("requests", self._requests)) if v}
            container = {"name": self.name, "image": self.image, "resources": resources}
            self._template = PodTemplateSpec.model_validate(
                {"metadata": {"labels": self._labels()}, "spec": {"containers": [container]}}
            )
            if self._doc is not None:
                routes = [
                    (CONTAINER + ("resources", kind, name), self._path + written)
                    for (kind, name), written in self._written.items()
                ]
                bind_synthesized(self._template, self._doc, routes, self._path)
        return self._template

    def own_replicas(self) -> OwnReplicas:
        return self._replicas or OwnReplicas(1, 1, [("the service runs one container", self.at())])


@register_kind(COMPOSE_GROUP, "ComposeFile")
class ComposeFile(Resource):
    """A compose file's top-level declarations (the names its services may reference)."""

    APPLY_IDENTITY: ClassVar[bool] = False
    services: dict[str, Any] = Field(default_factory=dict)
    networks: dict[str, Any] | None = None
    volumes: dict[str, Any] | None = None
    secrets: dict[str, Any] | None = None
    configs: dict[str, Any] | None = None
    swarm: dict[str, Any] | None = Field(default=None, alias="x-cnverify-swarm")  # the Swarm node inventory
