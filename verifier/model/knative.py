"""Knative Serving Service (serving.knative.dev/v1)."""

from __future__ import annotations

from cnverify.model.base import Node, ObjectMeta, Resource, register_kind
from cnverify.model.core import PodSpec
from cnverify.model.types import Int64
from pydantic import Field


class RevisionSpec(PodSpec):
    container_concurrency: Int64 | None = None


class RevisionTemplate(Node):
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: RevisionSpec = Field(default_factory=RevisionSpec)


class TrafficTarget(Node):
    revision_name: str | None = None
    configuration_name: str | None = None
    latest_revision: bool | None = None
    percent: Int64 | None = None
    tag: str | None = None


class KnativeServiceSpec(Node):
    template: RevisionTemplate = Field(default_factory=RevisionTemplate)
    traffic: list[TrafficTarget] | None = None


@register_kind("serving.knative.dev", "Service")
class KnativeService(Resource):
    spec: KnativeServiceSpec = Field(default_factory=KnativeServiceSpec)
