"""CNV207 monitor-selects-targets."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.model import Service
from cnverify.model.prometheus import Monitor, PodMonitor, Prometheus, ServiceMonitor
from cnverify.obligation import Obligation
from cnverify.properties._shared.selectors.monitors import READS, Targets, backing, conclude, selected, targets
from cnverify.properties._shared.selectors.pods import PodShape
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.prometheus.scrape import container_ports, port_filter, port_kept, service_port_names


@register
class MonitorSelectsTargets(Property):
    """
    ## What it proves
    Every ServiceMonitor and PodMonitor is selected by some Prometheus of the inputs (its `…Selector` and
    `…NamespaceSelector`: a null selector selects nothing, `{}` everything; a null namespace selector is the
    Prometheus's own namespace), selects at least one Service (pod template) as the operator compiles its
    selector (relabel rules whose values are anchored RE2 regexes, in the namespaces of its `namespaceSelector`),
    and each endpoint's `port` names a port of every selected Service (`targetPort` / `portNumber`: a container
    port of the pods).

    ## Why it matters
    Nothing checks a monitor: one that no Prometheus selects, that selects no Service, or whose port name is
    not the Service's, yields zero targets, silently; dashboards and alerts go quiet with no error anywhere.

    ## Evidence
    Proved: the Prometheus that selects it and the Services (pod templates) it scrapes. Violated: why each
    Prometheus does not select it, or the Services in its namespaces and their labels, or the Service and its
    port names (witness `{service, ports}`).

    ## Example
    ```yaml
    kind: ServiceMonitor
    spec: {selector: {matchLabels: {app: web}}, endpoints: [{port: metrics}]}  # the Service's port is "http"
    ```

    ## Assumes
    - The Prometheus objects of the inputs are all that may select the monitor: with none in the inputs the
      verdict is `unknown`. Namespace labels come from Namespace objects of the inputs (plus
      `kubernetes.io/metadata.name`); a selector on other labels of an absent Namespace is `unknown`.
    - The monitor's namespaces hold only the Services (pods) of the inputs: a namespace with no object in the
      inputs (kube-system's kubelet, CoreDNS …), `namespaceSelector.any`, or a controller that may create
      Services or pods there (gateways, Knative, operators) makes "selects nothing" `unknown`; the Prometheus
      operator's own governing Services (`prometheus-operated`, `alertmanager-operated`, …) carry only their
      documented labels (the operator's `--labels` flag adds none). Scrape classes and endpoint relabelings that filter further are not read.
    """

    code = "CNV207"
    name = "monitor-selects-targets"
    title = "Monitor is selected and scrapes at least one target on a named port"
    severity = "error"
    reads = READS
    remediation = "Align the Prometheus selectors, the monitor's selector and its endpoint ports with the objects."
    closed_world = frozenset({"violated"})

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        monitors: list[Monitor] = [*ctx.snap.all(ServiceMonitor), *ctx.snap.all(PodMonitor)]
        for mon in monitors:
            ob = self.obligation(mon, at=mon.spec.at("selector"))
            _decide(ctx, ob, mon)
            yield ob


def _decide(ctx: RunContext, ob: Obligation, mon: Monitor) -> None:
    proms = [p for p in selected(ctx, ob, mon) if isinstance(p, Prometheus)]
    if not proms:
        return
    found = targets(ctx, mon, proms)
    if found.error:
        ob.unknown(found.error)
    elif not found.found:
        _none(ob, mon, found)
    else:
        _ports(ctx, ob, mon, found)


def _none(ob: Obligation, mon: Monitor, found: Targets) -> None:
    noun = "pod template" if isinstance(mon, PodMonitor) else "Service"
    for t in found.near[:8]:
        if isinstance(t, PodShape):
            ob.note(t.describe(), t.where)
        else:
            ob.note(f"{t.ref} has labels {t.labels or {}}", t.metadata.at("labels"))
    if found.open:
        ob.unknown(f"the selector keeps no {noun} of the inputs, but {found.open[0]}")
    else:
        conclude(ob, "violated", f"the selector keeps no {noun} in the monitor's namespaces")


def _ports(ctx: RunContext, ob: Obligation, mon: Monitor, found: Targets) -> None:
    targets_: list[Service | PodShape] = list(found.found)
    for i, ep in enumerate(mon.endpoints):
        want = port_filter(mon, ep)
        if want is None:
            continue
        kind, value = want
        for t in targets_:
            if isinstance(t, Service) and kind == "service-port":
                names = service_port_names(t)
                if not port_kept(kind, value, names, []):
                    ob.note(f"endpoint {i} keeps Service ports named {value!r}", ep.at())
                    ob.note(f"{t.ref} has ports named {names}", t.spec.at("ports"))
                    witness: dict[str, object] = {"service": t.ref, "ports": names}
                    conclude(ob, "violated", f"{t.ref} has no port named {value!r}", witness)
                    return
                continue
            pods: list[PodShape] | str = backing(ctx, t) if isinstance(t, Service) else [t]
            if isinstance(pods, str):
                ob.unknown(f"endpoint {i} keeps the container ports {value!r} of the pods behind {_ref(t)}, but {pods}")
                return
            creators = ctx.snap.pod_creators(t.namespace) if isinstance(t, Service) else []
            if creators:
                ob.only_refute(f"{creators[0].who} may create pods {_ref(t)} selects")
            for shape in pods:
                ports = container_ports(shape.containers())
                if not port_kept(kind, value, [], ports):
                    ob.note(f"endpoint {i} keeps container ports {value!r}", ep.at())
                    ob.note(f"{shape.owner.ref} has container ports {ports}", shape.spec.at("containers"))
                    shown: list[str | int] = [f"{n}:{num}" if n else num for n, num in ports]
                    witness = {"pods": shape.owner.ref, "ports": shown}
                    conclude(ob, "violated", f"the pods of {shape.owner.ref} have no container port {value!r}", witness)
                    return
    for t in targets_[:3]:
        ob.note(f"the selector keeps {_ref(t)}", t.where if isinstance(t, PodShape) else t.metadata.at("labels"))
    refs = ", ".join(_ref(t) for t in found.found[:3])
    conclude(ob, "proved", f"{mon.ref} scrapes {refs}" + (" …" if len(found.found) > 3 else ""))


def _ref(t: Service | PodShape) -> str:
    return f"the pods of {t.owner.ref}" if isinstance(t, PodShape) else t.ref
