"""Knative Eventing (eventing.knative.dev/v1): Broker and Trigger."""

from __future__ import annotations

from typing import Any

from cnverify.model.base import Node, Resource, register_kind
from pydantic import Field

EVENTING = "eventing.knative.dev"


class KReference(Node):
    api_version: str = ""
    kind: str = ""
    name: str = ""
    namespace: str | None = None


class Destination(Node):
    ref: KReference | None = None
    uri: str | None = None


class TriggerFilter(Node):
    attributes: dict[str, str] | None = None


class TriggerSpec(Node):
    broker: str = ""
    filter: TriggerFilter | None = None
    filters: list[dict[str, Any]] | None = None
    subscriber: Destination = Field(default_factory=Destination)


@register_kind(EVENTING, "Trigger")
class Trigger(Resource):
    spec: TriggerSpec = Field(default_factory=TriggerSpec)


class BrokerSpec(Node):
    config: KReference | None = None
    delivery: dict[str, Any] | None = None


@register_kind(EVENTING, "Broker")
class Broker(Resource):
    spec: BrokerSpec = Field(default_factory=BrokerSpec)
