"""What a ServiceMonitor / PodMonitor scrapes, as the operator compiles it into Kubernetes SD and relabelling
(prometheus-operator 6adcebc5 ``pkg/prometheus/promcfg.go``):

* namespaces: ``namespaceSelector.any`` = every namespace, ``matchNames`` = those, neither = the monitor's own;
  the Prometheus's ``ignoreNamespaceSelectors`` = its own (``getNamespacesFromNamespaceSelector``);
* the selector (default ``selectorMechanism: RelabelSelector``) becomes ``keep``/``drop`` rules over the target's
  labels: ``matchLabels`` k=v keeps ``<value>;<present>`` matching ``(v);true`` — the value is an unescaped
  RE2 regex, anchored (``^(?s:…)$``) — ``In`` joins the values with ``|``, ``NotIn`` drops, ``Exists`` /
  ``DoesNotExist`` keep / drop on presence; ``RoleSelector`` is the API server's label selector;
* ServiceMonitor endpoint ``port`` keeps the Service ports whose *name* matches it (a regex), else ``targetPort``
  the pod's container port name or number; PodMonitor ``port`` the container port name, else ``portNumber``,
  else ``targetPort``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cnverify.encodings.labels import requirements, selector_matches
from cnverify.encodings.regex import to_python
from cnverify.model import Container, Service
from cnverify.model.apps import LabelSelector
from cnverify.model.prometheus import Endpoint, Monitor, PodMonitor, Prometheus

GOVERNING: dict[str, tuple[str, dict[str, str]]] = {
    "Prometheus": ("prometheus-operated", {"operated-prometheus": "true"}),
    "PrometheusAgent": ("prometheus-agent-operated", {"operated-prometheus": "true"}),
    "Alertmanager": ("alertmanager-operated", {"operated-alertmanager": "true"}),
    "ThanosRuler": ("thanos-ruler-operated", {"operated-thanos-ruler": "true"}),
}
"""The Service the operator creates beside each StatefulSet it runs, with its labels (pkg/prometheus/common.go
``BuildStatefulSetService``, pkg/alertmanager/statefulset.go and pkg/thanos/statefulset.go
``makeStatefulSetService``; plus the operator's ``--labels``, assumed empty)."""
ANY = None
"""A namespace scope of every namespace (``namespaceSelector.any``)."""


def namespaces(mon: Monitor, proms: Iterable[Prometheus]) -> list[str] | None:
    """The namespaces the monitor's targets are discovered in (None: every namespace)."""
    ps = list(proms)
    ns = mon.spec.namespace_selector
    if ps and all(p.spec.ignore_namespace_selectors for p in ps):
        return [mon.namespace]
    if ns is not None and ns.any:
        return ANY
    return list(ns.match_names) if ns is not None and ns.match_names else [mon.namespace]


def full_match(pattern: str, value: str) -> bool:
    """Prometheus's relabel regex: RE2, anchored ``^(?s:pattern)$`` (raises ``RegexError``)."""
    return re.fullmatch(to_python(f"(?s:{pattern})"), value.encode().decode("latin-1")) is not None


def keeps(mon: Monitor, labels: dict[str, str]) -> bool:
    """Does the monitor's compiled selector keep a target with these (Service or pod) labels?"""
    sel: LabelSelector = mon.spec.selector
    if (mon.spec.selector_mechanism or "RelabelSelector") == "RoleSelector":
        return selector_matches(sel, labels, nil_matches=False, empty_matches=True)
    for key, value in sorted((sel.match_labels or {}).items()):
        if not full_match(f"({value});true", f"{labels.get(key, '')};{'true' if key in labels else ''}"):
            return False
    for key, op, values in requirements(sel)[len(sel.match_labels or {}) :]:
        present = f"{labels.get(key, '')};{'true' if key in labels else ''}"
        if op in ("In", "NotIn"):
            hit = full_match(f"({'|'.join(values)});true", present)
        else:
            hit = key in labels
        if hit != (op in ("In", "Exists")):
            return False
    return True


def port_filter(mon: Monitor, ep: Endpoint) -> tuple[str, str | int] | None:
    """What the endpoint filters on: ``("service-port", regex)``, ``("container-port", regex)``,
    ``("container-number", n)``, or None (every port)."""
    if isinstance(mon, PodMonitor):
        if ep.port:
            return ("container-port", ep.port)
        if ep.port_number:
            return ("container-number", ep.port_number)
    elif ep.port:
        return ("service-port", ep.port)
    if isinstance(ep.target_port, str) and ep.target_port:
        return ("container-port", ep.target_port)
    if isinstance(ep.target_port, int) and ep.target_port:
        return ("container-number", ep.target_port)
    return None


def service_port_names(svc: Service) -> list[str]:
    return [p.name or "" for p in svc.spec.ports or []]


def container_ports(containers: Iterable[Container]) -> list[tuple[str, int]]:
    return [(p.name or "", p.container_port) for c in containers for p in c.ports or []]


def port_kept(kind: str, want: str | int, names: list[str], ports: list[tuple[str, int]]) -> bool:
    """Is some port kept by the filter (Service port names, or container ports)?"""
    if kind == "service-port":
        return any(full_match(str(want), n) for n in names)
    if kind == "container-port":
        return any(full_match(str(want), n) for n, _ in ports)
    return any(str(num) == str(want) for _, num in ports)
