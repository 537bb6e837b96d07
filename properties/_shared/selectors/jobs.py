"""The ``job`` label values the targets of one Prometheus get (no property here), as the operator's generated
relabelling sets them (prometheus-operator 6adcebc5 ``pkg/prometheus/promcfg.go``):

* ServiceMonitor: ``job`` = the Service's name, replaced by the value of the Service label ``spec.jobLabel``
  names when that value is non-empty (regex ``(.+)``);
* PodMonitor: ``job`` = ``<namespace>/<name>`` of the PodMonitor, replaced likewise by the pod label;
* then the endpoint's ``relabelings`` (and ``metricRelabelings``, ``honorLabels``: the exporter's own ``job``);
  recording rules may set ``job`` in their ``labels`` (alerting rules on their ``ALERTS`` series).

``open`` lists why values the inputs do not show may exist (then no "never matches" verdict); a value that
relabelling may drop is not used to prove a match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cnverify.errors import Span
from cnverify.model import Resource
from cnverify.model.prometheus import (
    Endpoint,
    PodMonitor,
    Probe,
    Prometheus,
    PrometheusRule,
    ScrapeConfig,
    ServiceMonitor,
)
from cnverify.properties._shared.selectors.monitors import READS as MONITOR_READS
from cnverify.properties._shared.selectors.monitors import targets
from cnverify.run_context import RunContext
from cnverify.systems.prometheus.scrape import port_filter, port_kept, service_port_names
from cnverify.systems.prometheus.select import RULE_READS, selecting

READS: tuple[type[Resource], ...] = (*MONITOR_READS, *RULE_READS, PrometheusRule, Probe, ScrapeConfig)
REWRITING = frozenset({"labelmap", "labeldrop", "labelkeep"})
LITERAL = re.compile(r"[A-Za-z0-9_-]+")
"""A selector value with no RE2 metacharacter: the regex the operator makes of it matches only itself."""
DROPPING = frozenset({"keep", "drop", "keepequal", "dropequal"})
"""Relabel actions that may drop a target (its job value then proves nothing); metric relabelings drop series,
never the target's ``up``."""


@dataclass(frozen=True)
class JobValue:
    value: str
    where: Span
    says: str


@dataclass
class Jobs:
    """Job values the inputs show (``values``), values targets outside the inputs would have (``possible``), and
    why other values may exist (``open``)."""

    values: list[JobValue] = field(default_factory=list)
    possible: list[JobValue] = field(default_factory=list)
    open: list[str] = field(default_factory=list)


def jobs_of(ctx: RunContext, prom: Resource) -> Jobs:
    """The job values of ``prom``'s targets and rules (memoized per evaluator)."""
    return ctx.memo(("jobs.jobs_of", prom.ref), lambda: _jobs(ctx, prom), reads=READS)


def _selected_by(ctx: RunContext, cls: type[Resource], prom: Resource) -> list[Resource]:
    return [o for o in ctx.snap.all(cls) if prom in selecting(ctx.snap, o).by]


def _jobs(ctx: RunContext, prom: Resource) -> Jobs:
    out = Jobs()
    if not isinstance(prom, Prometheus):
        out.open.append(f"{prom.ref} evaluates rules against a query API, whose series are not in the inputs")
        return out
    spec = prom.spec
    if spec.additional_scrape_configs is not None:
        out.open.append(f"{prom.ref} has additionalScrapeConfigs (a Secret's scrape configuration)")
    if spec.scrape_classes:
        out.open.append(f"{prom.ref} has scrapeClasses, whose relabelings are not read")
    if all(
        s is None
        for s in (
            spec.service_monitor_selector,
            spec.pod_monitor_selector,
            spec.probe_selector,
            spec.scrape_config_selector,
        )
    ):
        out.open.append(f"{prom.ref} selects no monitor: its configuration is unmanaged (the user's own)")
    for cls in (Probe, ScrapeConfig):
        out.open += [
            f"{o.ref} (selected by {prom.ref}): its job labels are not modelled" for o in _selected_by(ctx, cls, prom)
        ]
    for mon in _selected_by(ctx, ServiceMonitor, prom) + _selected_by(ctx, PodMonitor, prom):
        _monitor(ctx, mon, prom, out)  # type: ignore[arg-type]
    for rule in _selected_by(ctx, PrometheusRule, prom):
        _rule_labels(rule, out)  # type: ignore[arg-type]
    return out


def _monitor(ctx: RunContext, mon: ServiceMonitor | PodMonitor, prom: Prometheus, out: Jobs) -> None:
    found = targets(ctx, mon, [prom])
    label = mon.spec.job_label
    fixed = _fixed_job(mon)
    if found.open and not found.error and fixed is not None:
        says = f"{mon.ref}: jobLabel {label} is {fixed} on every target it keeps, but {found.open[0]}"
        out.possible.append(JobValue(fixed, mon.spec.at("jobLabel"), says))
    elif found.error or found.open:  # first the reasons of monitors whose targets are not in the inputs at all
        out.open.insert(len(out.open) if found.found else 0, f"{mon.ref}: {found.error or found.open[0]}")
    for ep in mon.endpoints:
        why = _rewrites(ep)
        if why:
            out.open.append(f"{mon.ref}: {why}")
    certain = not any(
        (rc.action or "replace").lower() in DROPPING for ep in mon.endpoints for rc in ep.relabelings or []
    )
    for svc in found.services:
        if not _scraped(mon, svc):
            continue
        value = (svc.labels.get(label) if label else None) or svc.name
        says = f"{svc.ref} gives job={value} ({'label ' + label if label and value != svc.name else 'its name'})"
        if certain:
            out.values.append(JobValue(value, svc.metadata.at("labels" if value != svc.name else "name"), says))
    for shape in found.shapes:
        if label and label in shape.free_keys([label]):
            out.open.append(f"{mon.ref}: jobLabel {label} of {shape.owner.ref} is set by its controller")
            continue
        value = (shape.labels.get(label) if label else None) or f"{mon.namespace}/{mon.name}"
        if certain:
            out.values.append(JobValue(value, shape.where, f"the pods of {shape.owner.ref} give job={value}"))


def _fixed_job(mon: ServiceMonitor | PodMonitor) -> str | None:
    """The job of every target the monitor may keep, when its selector pins the ``jobLabel`` label to a literal."""
    label = mon.spec.job_label
    value = (mon.spec.selector.match_labels or {}).get(label or "")
    return value if value and LITERAL.fullmatch(value) else None


def _scraped(mon: ServiceMonitor | PodMonitor, svc: Resource) -> bool:
    """Does some endpoint keep a port of the Service (a filter on container ports: assumed yes)?"""
    for ep in mon.endpoints:
        want = port_filter(mon, ep)
        if want is None or want[0] != "service-port" or port_kept(want[0], want[1], service_port_names(svc), []):  # type: ignore[arg-type]
            return True
    return False


def _rewrites(ep: Endpoint) -> str | None:
    if ep.honor_labels:
        return "honorLabels keeps the job label the exporter sends"
    for rc in (ep.relabelings or []) + (ep.metric_relabelings or []):
        if rc.target_label == "job" or (rc.action or "replace").lower() in REWRITING:
            return "its relabelings may rewrite the job label"
    return None


def _rule_labels(rule: PrometheusRule, out: Jobs) -> None:
    for group in rule.spec.groups:
        for r in group.rules:
            job = (r.labels or {}).get("job")
            if job is not None and r.alert:
                out.open.append(f"{rule.ref}: alert {r.alert} sets job={job} on its ALERTS series")
            elif job is not None and "{{" not in job:
                out.values.append(JobValue(job, r.at("labels", "job"), f"rule {r.record or r.alert} sets job={job}"))
            elif job is not None:
                out.open.append(f"{rule.ref}: rule {r.record or r.alert} sets job from a template")
            if "label_replace" in str(r.expr) or "label_join" in str(r.expr):
                out.open.append(f"{rule.ref}: rule {r.record or r.alert} may rewrite labels (label_replace/label_join)")
