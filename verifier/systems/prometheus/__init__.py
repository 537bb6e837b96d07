"""The Prometheus operator (``monitoring.coreos.com``): which Prometheus selects which monitor and rule, what a
monitor scrapes as the operator compiles it, the ``job`` values its targets get.

Sources (prometheus-operator/prometheus-operator 6adcebc5): ``pkg/prometheus/resource_selector.go``
(``selectObjects``), ``pkg/operator/operator.go`` (``SelectNamespacesFromCache``), ``pkg/prometheus/promcfg.go``
(``generateServiceMonitorConfig``, ``generatePodMonitorConfig``, ``getNamespacesFromNamespaceSelector``).
Semantics: docs/SEMANTICS.md#prometheus-operator.
"""

from __future__ import annotations

from typing import Any

from cnverify.loader import LoadResult, RawObject
from cnverify.model.base import Resource
from cnverify.model.prometheus import (
    MONITORING,
    RULE_FILES,
    PodMonitor,
    Probe,
    Prometheus,
    PrometheusRule,
    RuleFile,
    ScrapeConfig,
    ServiceMonitor,
    ThanosRuler,
)
from cnverify.opaque import Opaque
from cnverify.source import Document, Path
from cnverify.systems.base import Group, System

CREATOR = "the Prometheus operator (a StatefulSet per Prometheus / Alertmanager)"


class PrometheusOperator(System):
    name = "prometheus"
    title = "Prometheus operator (Prometheus, monitors, rules)"
    order = 89
    kinds = (Prometheus, ThanosRuler, ServiceMonitor, PodMonitor, PrometheusRule, Probe, ScrapeConfig, RuleFile)
    # the operator runs a StatefulSet per Prometheus, Alertmanager, ThanosRuler and PrometheusAgent; its monitors,
    # rules and AlertmanagerConfigs only configure them
    groups = {
        MONITORING: Group(
            True,
            frozenset(
                {"ServiceMonitor", "PodMonitor", "PrometheusRule", "Probe", "AlertmanagerConfig", "ScrapeConfig"}
            ),
            CREATOR,
        ),
        RULE_FILES: Group(creates_pods=False),  # cnverify's name for bare rule files (no apiVersion)
    }
    declines = {
        "links": "monitors and rules are matched by label selectors, resolved by the properties",
        "route_tables": "no routes",
        "targets": "scrape targets are not routes: CNV207 resolves them",
        "weighted_splits": "no weights",
        "diff_actions": "no routing table",
    }

    def split_raw(self, doc: Document, data: dict[str, Any], path: Path, out: LoadResult) -> bool:
        """A Prometheus rule file: a mapping whose only key is ``groups``, a list of mappings."""
        groups = data.get("groups")
        if set(data) != {"groups"} or not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            return False
        out.objects.append(RawObject(doc, path, data, f"{RULE_FILES}/v1", "RuleFile"))
        return True

    def modelled_creator(self, resource: Resource) -> Opaque | None:
        """A Prometheus or ThanosRuler runs a StatefulSet the operator generates (its pods' labels are the
        operator's, not in the inputs)."""
        if isinstance(resource, (Prometheus, ThanosRuler)):
            return Opaque.of_modelled(resource, None, CREATOR)
        return None


SYSTEM = PrometheusOperator()
