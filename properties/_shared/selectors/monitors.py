"""The targets of a ServiceMonitor / PodMonitor in the unit (no property here): the Services or pod templates its
compiled selector keeps in its namespaces, and why the inputs may not show them all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cnverify.encodings.labels import selector_keys, selector_matches
from cnverify.encodings.regex import RegexError
from cnverify.model import Namespace, Resource, Service
from cnverify.model.base import group_of
from cnverify.model.prometheus import MONITORING, Monitor, PodMonitor, Prometheus, PrometheusRule, ServiceMonitor
from cnverify.obligation import Obligation
from cnverify.opaque import Opaque
from cnverify.proof import Verdict
from cnverify.properties._shared.selectors.pods import SHAPE_READS, PodShape, shapes_of
from cnverify.run_context import RunContext
from cnverify.systems.prometheus.scrape import GOVERNING, keeps, namespaces
from cnverify.systems.prometheus.select import FIELDS, MONITOR_READS, evaluators, selecting

READS: tuple[type[Resource], ...] = (ServiceMonitor, PodMonitor, Service, *MONITOR_READS, *SHAPE_READS)


@dataclass
class Targets:
    """What a monitor keeps: Services (ServiceMonitor) or pod shapes (PodMonitor); ``open`` says why targets the
    inputs do not show may exist (namespaces outside the inputs, controllers that create Services or pods)."""

    services: list[Service] = field(default_factory=list)
    shapes: list[PodShape] = field(default_factory=list)
    near: list[Service | PodShape] = field(default_factory=list)  # in scope, not kept
    open: list[str] = field(default_factory=list)
    error: str | None = None  # a selector value that is not a regex RE2 (or cnverify) accepts

    @property
    def found(self) -> list[Service] | list[PodShape]:
        return self.services or self.shapes


def conclude(ob: Obligation, verdict: Verdict, claim: str, witness: Mapping[str, object] | None = None) -> None:
    """Decide ``ob`` without the solver, the claim also its message."""
    ob.decide(verdict, claim, witness=witness)
    ob.on(**{verdict: claim})


def selected(ctx: RunContext, ob: Obligation, obj: Resource) -> list[Resource]:
    """The Prometheus (ThanosRuler) objects that select ``obj``, the first noted on ``ob``; none: ``ob`` is
    decided (``unknown`` without evaluators or when a namespace cannot be read, else violated)."""
    who = "Prometheus or ThanosRuler" if isinstance(obj, PrometheusRule) else "Prometheus"
    if not evaluators(ctx.snap, obj):
        ob.unknown(f"no {who} object in the inputs: which one selects {obj.ref} is not known")
        return []
    sel = selecting(ctx.snap, obj)
    if sel.by:
        ob.note(f"{sel.by[0].ref} selects {obj.ref}", sel.by[0].at("spec", f"{FIELDS[type(obj)]}Selector"))
        return sel.by
    for _, why, at in sel.refused:
        ob.note(why, at)
    if sel.undecided:
        ob.unknown("; ".join(why for _, why in sel.undecided))
    else:
        conclude(ob, "violated", f"no {who} of the inputs selects {obj.ref}")
    return []


def _present(ctx: RunContext) -> set[str]:
    """Namespaces the inputs show (a Namespace object, or any object of the kinds read here)."""
    snap = ctx.snap
    out = {n.name for n in snap.all(Namespace)}
    for cls in (Service, ServiceMonitor, PodMonitor, Prometheus):
        out |= {r.namespace for r in snap.all(cls)}
    return out | set(shapes_of(ctx))


def _created(mon: Monitor, creators: list[Opaque]) -> list[str]:
    """Why objects ``creators`` create may be targets: pods of any creator (for a PodMonitor), Services of a
    controller cnverify does not model, or the operator's governing Service when the selector keeps it."""
    out = []
    for c in creators:
        governing = GOVERNING.get(c.kind) if group_of(c.api_version) == MONITORING else None
        if isinstance(mon, PodMonitor) or governing is None:
            out.append(f"{c.who} may create {'pods' if isinstance(mon, PodMonitor) else 'Services'}")
        elif keeps(mon, governing[1]):
            out.append(f"the operator creates Service {governing[0]} (labels {governing[1]}) for {c.ref}")
    return out


def targets(ctx: RunContext, mon: Monitor, proms: list[Prometheus]) -> Targets:
    """The monitor's targets in the unit, given the Prometheus objects that select it."""
    snap, out = ctx.snap, Targets()
    scope = namespaces(mon, proms)
    present = ctx.memo(("monitors.present",), lambda: _present(ctx), reads=READS)
    if scope is None:
        scope = sorted(present)
        out.open.append("namespaceSelector.any selects every namespace of the cluster, not only those in the inputs")
    for ns in scope:
        if ns not in present:
            out.open.append(f"namespace {ns} has no object in the inputs (its Services exist only in a live cluster)")
        out.open += _created(mon, snap.pod_creators(ns))
        try:
            if isinstance(mon, PodMonitor):
                for shape in shapes_of(ctx).get(ns, []):
                    if shape.free_keys(selector_keys(mon.spec.selector)):
                        out.open.append(f"{shape.owner.ref}: its controller sets labels the selector reads")
                    (out.shapes if keeps(mon, shape.labels) else out.near).append(shape)
            else:
                for svc in snap.in_namespace(Service, ns):
                    (out.services if keeps(mon, svc.labels) else out.near).append(svc)
        except RegexError as exc:
            out.error = f"a selector value is not a regex cnverify reads as RE2: {exc}"
            return out
    return out


def backing(ctx: RunContext, svc: Service) -> list[PodShape] | str:
    """The pod templates of the inputs a Service selects (a ``targetPort`` filter reads their container ports), or
    why they are not known."""
    sel = svc.spec.selector
    if not sel:
        return "it has no selector (its endpoints are not in the inputs)"
    shapes = shapes_of(ctx).get(svc.namespace, [])
    if any(s.free_keys(sel) for s in shapes):
        return "its selector reads labels a controller sets"
    picked = [s for s in shapes if selector_matches(sel, s.labels, nil_matches=False, empty_matches=False)]
    return picked or "it selects no pod template of the inputs"
