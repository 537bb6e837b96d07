"""Which Prometheus (or ThanosRuler) selects a monitor or a rule, as the operator's ``selectObjects`` does.

* The object selector: ``metav1.LabelSelectorAsSelector`` — null selects nothing, ``{}`` everything
  (pkg/prometheus/resource_selector.go ``selectObjects``; the field docs of prometheus_types.go).
* The namespace selector: null = the Prometheus object's own namespace, ``{}`` = every namespace, otherwise the
  labels of the Namespace objects (pkg/operator/operator.go ``SelectNamespacesFromCache``). Every Namespace
  carries ``kubernetes.io/metadata.name=<name>`` (set by the API server since Kubernetes 1.21).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnverify.encodings.labels import selector_keys, selector_matches
from cnverify.errors import Span
from cnverify.model import Namespace, Resource
from cnverify.model.apps import LabelSelector
from cnverify.model.base import UNIT_NAMESPACE
from cnverify.model.prometheus import (
    PodMonitor,
    Probe,
    Prometheus,
    PrometheusRule,
    ScrapeConfig,
    ServiceMonitor,
    ThanosRuler,
)
from cnverify.snapshot import Snapshot

FIELDS: dict[type[Resource], str] = {
    ServiceMonitor: "serviceMonitor",
    PodMonitor: "podMonitor",
    Probe: "probe",
    ScrapeConfig: "scrapeConfig",
    PrometheusRule: "rule",
}
"""The selector pair of a Prometheus that selects each kind: ``<f>Selector`` and ``<f>NamespaceSelector``."""
MONITOR_READS = (Prometheus, Namespace)
RULE_READS = (Prometheus, ThanosRuler, Namespace)
NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass
class Selection:
    """The evaluators that select an object, those that cannot be decided (with why), and the others (why not)."""

    by: list[Resource] = field(default_factory=list)
    undecided: list[tuple[Resource, str]] = field(default_factory=list)
    refused: list[tuple[Resource, str, Span]] = field(default_factory=list)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def evaluators(snap: Snapshot, obj: Resource) -> list[Resource]:
    """Every object that may select ``obj``: the Prometheus objects (and ThanosRulers for a rule)."""
    found: list[Resource] = list(snap.all(Prometheus))
    return found + list(snap.all(ThanosRuler)) if isinstance(obj, PrometheusRule) else found


def namespace_labels(snap: Snapshot, name: str) -> dict[str, str] | None:
    """The labels of Namespace ``name`` (None when it is not in the inputs)."""
    ns = snap.get(Namespace, "", name)
    return None if ns is None else {**ns.labels, NAME_LABEL: name}


def selecting(snap: Snapshot, obj: Resource) -> Selection:
    """Which evaluators of the unit select ``obj``."""
    out = Selection()
    what = FIELDS[type(obj)]
    for ev in evaluators(snap, obj):
        sel_name, ns_name = f"{what}Selector", f"{what}NamespaceSelector"
        sel: LabelSelector | None = getattr(ev.spec, _snake(sel_name))  # type: ignore[attr-defined]
        ns_sel: LabelSelector | None = getattr(ev.spec, _snake(ns_name))  # type: ignore[attr-defined]
        if sel is None:
            out.refused.append((ev, f"{ev.ref}: {sel_name} is null (selects no {obj.KIND})", ev.at("spec")))
            continue
        if not selector_matches(sel, obj.labels, nil_matches=False, empty_matches=True):
            out.refused.append(
                (ev, f"{ev.ref}: {sel_name} does not match the labels of {obj.ref}", ev.at("spec", sel_name))
            )
            continue
        if ns_sel is None:
            if ev.namespace != obj.namespace:
                why = f"{ev.ref}: {ns_name} is null (its own namespace {ev.namespace} only)"
                out.refused.append((ev, why, ev.at("spec", sel_name)))
            else:
                out.by.append(ev)
            continue
        labels = namespace_labels(snap, obj.namespace)
        keys = selector_keys(ns_sel)
        if labels is None and (keys - {NAME_LABEL} or (keys and obj.namespace == UNIT_NAMESPACE)):
            out.undecided.append(
                (ev, f"{ev.ref}: {ns_name} selects by labels and Namespace {obj.namespace} is not in the inputs")
            )
        elif selector_matches(ns_sel, labels or {NAME_LABEL: obj.namespace}, nil_matches=False, empty_matches=True):
            out.by.append(ev)
        else:
            out.refused.append(
                (ev, f"{ev.ref}: {ns_name} does not match Namespace {obj.namespace}", ev.at("spec", ns_name))
            )
    return out
