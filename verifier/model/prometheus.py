"""The Prometheus operator (``monitoring.coreos.com``): Prometheus, ThanosRuler, ServiceMonitor, PodMonitor,
PrometheusRule; Probe and ScrapeConfig by identity only.

Source: prometheus-operator/prometheus-operator 6adcebc5 ``pkg/apis/monitoring/v1/{prometheus,thanos,
servicemonitor,podmonitor,types}_types.go``. Selector fields keep null and ``{}`` apart (``None`` vs an empty
``LabelSelector``): they mean different things (docs/SEMANTICS.md#prometheus-operator).
"""

from __future__ import annotations

from typing import Any, ClassVar

from cnverify.encodings.promql import RuleError, group_errors, rule_errors
from cnverify.model.apps import LabelSelector
from cnverify.model.base import Node, Resource, register_kind
from cnverify.model.types import IntOrString
from cnverify.source import format_path
from pydantic import Field, field_validator, model_validator

MONITORING = "monitoring.coreos.com"
RULE_FILES = "rules.prometheus.io"
"""The group cnverify gives a bare rule file (it has no apiVersion): never written by users."""


class PrometheusSpec(Node):
    service_monitor_selector: LabelSelector | None = None
    service_monitor_namespace_selector: LabelSelector | None = None
    pod_monitor_selector: LabelSelector | None = None
    pod_monitor_namespace_selector: LabelSelector | None = None
    probe_selector: LabelSelector | None = None
    probe_namespace_selector: LabelSelector | None = None
    scrape_config_selector: LabelSelector | None = None
    scrape_config_namespace_selector: LabelSelector | None = None
    rule_selector: LabelSelector | None = None
    rule_namespace_selector: LabelSelector | None = None
    ignore_namespace_selectors: bool | None = None
    additional_scrape_configs: Any = None
    scrape_classes: list[Any] | None = None
    shards: int | None = None


@register_kind(MONITORING, "Prometheus")
class Prometheus(Resource):
    spec: PrometheusSpec = Field(default_factory=PrometheusSpec)


class ThanosRulerSpec(Node):
    rule_selector: LabelSelector | None = None
    rule_namespace_selector: LabelSelector | None = None


@register_kind(MONITORING, "ThanosRuler")
class ThanosRuler(Resource):
    """Evaluates PrometheusRules against a query API (not a scrape configuration of the inputs)."""

    spec: ThanosRulerSpec = Field(default_factory=ThanosRulerSpec)


class MonitorNamespaces(Node):
    """``namespaceSelector`` of a monitor: ``any``, ``matchNames``; neither = the monitor's own namespace."""

    any: bool | None = None
    match_names: list[str] | None = None


class RelabelConfig(Node):
    action: str | None = None
    source_labels: list[str] | None = None
    target_label: str | None = None
    regex: str | None = None
    replacement: str | None = None


class Endpoint(Node):
    """A ServiceMonitor endpoint or a PodMonitor podMetricsEndpoint (the fields the operator's port filter and
    job label read)."""

    port: str | None = None
    port_number: int | None = None
    target_port: IntOrString | None = None
    honor_labels: bool | None = None
    relabelings: list[RelabelConfig] | None = None
    metric_relabelings: list[RelabelConfig] | None = None


class MonitorSpec(Node):
    selector: LabelSelector = Field(default_factory=LabelSelector)
    namespace_selector: MonitorNamespaces | None = None
    job_label: str | None = None
    selector_mechanism: str | None = None
    scrape_class_name: str | None = None


class ServiceMonitorSpec(MonitorSpec):
    endpoints: list[Endpoint] = Field(default_factory=list)


class PodMonitorSpec(MonitorSpec):
    pod_metrics_endpoints: list[Endpoint] = Field(default_factory=list)


@register_kind(MONITORING, "ServiceMonitor")
class ServiceMonitor(Resource):
    spec: ServiceMonitorSpec

    @property
    def endpoints(self) -> list[Endpoint]:
        return self.spec.endpoints


@register_kind(MONITORING, "PodMonitor")
class PodMonitor(Resource):
    spec: PodMonitorSpec

    @property
    def endpoints(self) -> list[Endpoint]:
        return self.spec.pod_metrics_endpoints


Monitor = ServiceMonitor | PodMonitor


def _raise(problems: list[RuleError], where: str = "") -> None:
    if problems:
        raise ValueError("; ".join(f"{where}{format_path(p)}: {m}" if p else m for p, m in problems))


class Rule(Node):
    """One rule of a group; ``expr`` is an int or a string in the CRD (``intstr.IntOrString``)."""

    STRICT: ClassVar[bool] = False  # unknown keys are errors (a rule file as promtool reads it)
    record: str | None = None
    alert: str | None = None
    expr: IntOrString | None = None
    for_: str | None = Field(default=None, alias="for")
    keep_firing_for: str | None = Field(default=None, alias="keep_firing_for")  # snake_case in the CRD too
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _promtool(cls, data: Any) -> Any:
        """``promtool check rules`` / the operator's admission webhook (pkg/admission → rulefmt)."""
        if isinstance(data, dict):
            _raise(rule_errors(data, strict_fields=cls.STRICT))
        return data


class RuleGroup(Node):
    name: str = ""
    rules: list[Rule] = Field(default_factory=list)
    labels: dict[str, str] | None = None


def _groups_valid(groups: Any, strict: bool) -> Any:
    """The checks of the group list (located at ``groups``; each message names its group)."""
    if isinstance(groups, list):
        _raise([((), f"group {p[0] + 1}: {m}") for p, m in group_errors(groups, strict_fields=strict)])  # type: ignore[operator]
    return groups


class PrometheusRuleSpec(Node):
    groups: list[RuleGroup] = Field(default_factory=list)

    @field_validator("groups", mode="before")
    @classmethod
    def _groups(cls, groups: Any) -> Any:
        return _groups_valid(groups, False)


@register_kind(MONITORING, "PrometheusRule")
class PrometheusRule(Resource):
    spec: PrometheusRuleSpec = Field(default_factory=PrometheusRuleSpec)


class FileRule(Rule):
    STRICT: ClassVar[bool] = True


class FileRuleGroup(RuleGroup):
    rules: list[FileRule] = Field(default_factory=list)  # type: ignore[assignment]


@register_kind(RULE_FILES, "RuleFile")
class RuleFile(Resource):
    """A Prometheus rule file (``groups:`` at the top, no apiVersion), read as ``promtool check rules`` reads it
    (the loader's raw shape: ``cnverify.systems.prometheus.raw``)."""

    NAMESPACED: ClassVar[bool] = False
    groups: list[FileRuleGroup] = Field(default_factory=list)

    @field_validator("groups", mode="before")
    @classmethod
    def _groups(cls, groups: Any) -> Any:
        return _groups_valid(groups, True)


@register_kind(MONITORING, "Probe")
class Probe(Resource):
    """Only its identity: a Prometheus's ``probeSelector`` may select it (its job labels are not modelled)."""


@register_kind(MONITORING, "ScrapeConfig")
class ScrapeConfig(Resource):
    """Only its identity: a Prometheus's ``scrapeConfigSelector`` may select it (its targets are not modelled)."""
