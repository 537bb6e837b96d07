"""The Prometheus operator adapter: selectors as the operator compiles them, null vs {} selection."""

from __future__ import annotations

from typing import Any

import pytest
from cnverify.model.prometheus import Prometheus, ServiceMonitor
from cnverify.snapshot import Snapshot
from cnverify.systems.prometheus.scrape import keeps, namespaces
from cnverify.systems.prometheus.select import selecting


def _sm(spec: dict[str, Any], ns: str = "shop", labels: dict[str, str] | None = None) -> ServiceMonitor:
    meta = {"name": "m", "namespace": ns, "labels": labels or {}}
    return ServiceMonitor.model_validate({"metadata": meta, "spec": spec})


def _prom(spec: dict[str, Any], ns: str = "monitoring") -> Prometheus:
    return Prometheus.model_validate({"metadata": {"name": "p", "namespace": ns}, "spec": spec})


@pytest.mark.parametrize(
    ("selector", "labels", "kept"),
    [
        ({"matchLabels": {"app": "web"}}, {"app": "web"}, True),
        ({"matchLabels": {"app": "web"}}, {"app": "webx"}, False),  # anchored
        ({"matchLabels": {"app": "my.app"}}, {"app": "myXapp"}, True),  # unescaped: . is any character
        ({"matchLabels": {"app": ""}}, {"app": ""}, True),
        ({"matchLabels": {"app": ""}}, {}, False),  # the presence flag must be "true"
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]}, {"app": "b"}, True),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]}, {}, True),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]}, {"app": "a"}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, {"app": ""}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, {"app": "x"}, False),
    ],
)
def test_selector_compiled_to_relabel_rules(selector: dict[str, Any], labels: dict[str, str], kept: bool) -> None:
    assert keeps(_sm({"selector": selector}), labels) is kept


def test_role_selector_is_the_api_servers() -> None:
    sm = _sm({"selector": {"matchLabels": {"app": "my.app"}}, "selectorMechanism": "RoleSelector"})
    assert not keeps(sm, {"app": "myXapp"}) and keeps(sm, {"app": "my.app"})


def test_monitor_namespaces() -> None:
    assert namespaces(_sm({}), []) == ["shop"]
    assert namespaces(_sm({"namespaceSelector": {"any": True}}), []) is None
    assert namespaces(_sm({"namespaceSelector": {"matchNames": ["a", "b"]}}), []) == ["a", "b"]
    ignoring = _prom({"ignoreNamespaceSelectors": True})
    assert namespaces(_sm({"namespaceSelector": {"any": True}}), [ignoring]) == ["shop"]


@pytest.mark.parametrize(
    ("spec", "selected"),
    [
        ({}, False),  # null selector: none
        ({"serviceMonitorSelector": {}}, False),  # null namespace selector: the Prometheus's own namespace only
        ({"serviceMonitorSelector": {}, "serviceMonitorNamespaceSelector": {}}, True),
        ({"serviceMonitorSelector": {"matchLabels": {"team": "x"}}, "serviceMonitorNamespaceSelector": {}}, False),
        (
            {
                "serviceMonitorSelector": {},
                "serviceMonitorNamespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}},
            },
            True,
        ),
    ],
)
def test_prometheus_selects_monitor(spec: dict[str, Any], selected: bool) -> None:
    sm, prom = _sm({}), _prom(spec)
    assert (prom in selecting(Snapshot([sm, prom]), sm).by) is selected
