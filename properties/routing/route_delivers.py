"""CNV104 route-delivers."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.model import WORKLOAD_KINDS, HorizontalPodAutoscaler
from cnverify.obligation import Obligation
from cnverify.properties._shared.pod_creators import unmodelled_creators
from cnverify.properties._shared.routing.workloads import delivery
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.routing.targets import Check, iter_targets, kinds_read


@register
class RouteDelivers(Property):
    """
    ## What it proves
    End to end, a route's destination Service selects at least one workload whose pods expose the
    target port and that runs at least one replica in some reachable state (replicas, HPA bounds).
    Traefik: IngressRoute and TraefikService references to Services.

    ## Why it matters
    A route can name an existing Service that selects nothing (a label typo), whose named
    targetPort no container declares, or whose only workload is scaled to zero: every request then
    fails with 503 although all references resolve.

    ## Evidence
    One located step per hop: route → Service → selector → workload → target port → replicas.
    Services without a selector are `unknown` (their endpoints are managed elsewhere). Targets
    that do not resolve are CNV102's.

    ## Example
    ```yaml
    kind: Service
    spec: {selector: {app: reviews}, ports: [{port: 80, targetPort: http}]}
    # violated: the Deployment labelled app=reviews names its port "web"
    ```

    ## Assumes
    - Pods come from the workloads and bare Pods of the inputs; kinds cnverify does not model that may create
      pods (custom resources, Gateway API implementations) make "selects nothing" `unknown`.
    - A workload with a replica in some reachable state delivers: scheduling, image pulls and readiness are
      not modelled.
    - Route resolution as in CNV102 (the objects the route refers to are in the inputs).
    - Consul: the instances of a Consul service are the pods behind the Kubernetes Service of the same name
      (consul-k8s registers injected pods under it); a subset's catalog filter makes delivery `unknown`.
    """

    code = "CNV104"
    name = "route-delivers"
    title = "Routes reach a running workload"
    severity = "error"
    reads = (*kinds_read(), *WORKLOAD_KINDS, HorizontalPodAutoscaler)
    remediation = "Fix the Service selector / targetPort, or give the workload at least one replica."
    closed_world = frozenset({"violated"})  # absent here may be in an unread document

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        for c in iter_targets(snap):
            if c.verdict == "proved" and c.service is not None:
                yield self._one(ctx, c)

    def _one(self, ctx: RunContext, c: Check) -> Obligation:
        snap = ctx.snap
        svc = c.service
        assert svc is not None
        at = c.location
        ob = self.obligation(c.subject, at=at, path=c.path)
        ob.note(c.hop, at)
        ob.note(f"Service {svc.namespace}/{svc.name}", svc.metadata.at("name"))
        if svc.spec.type == "ExternalName" or not svc.spec.selector:
            ob.unknown(f"Service {svc.namespace}/{svc.name} has no selector: its endpoints are managed elsewhere")
            return ob
        if c.port is None:
            ob.unknown(c.port_unknown or "the Service port is not determined")
            return ob
        d = delivery(ctx, svc, c.port, c.labels)
        for says, where in d.notes:
            ob.note(says, where)
        for term, where, says in d.facts:
            ob.fact(term, at=where, says=says)
        for key, n in d.counts:
            ob.show(key, n)
        shown = d.shown
        if d.runs is None and unmodelled_creators(ob, [d.wanted], snap.pod_creators(svc.namespace)):
            return ob
        if d.runs is None:
            ob.decide(
                "violated",
                f"no workload in {svc.namespace} both carries {shown} and exposes "
                f"Service port {c.port.port}'s target port",
            )
            ob.on(
                violated=lambda _: (
                    f"Service {svc.namespace}/{svc.name} port {c.port.port} reaches no pod "
                    f"of any workload (selector {shown})"
                )
            )
            return ob
        ob.example(d.runs, says="a selected workload runs at least one replica")
        ob.on(
            violated=f"every workload behind Service {svc.namespace}/{svc.name} runs 0 replicas",
            proved=lambda w: (
                f"Service {svc.namespace}/{svc.name} port {c.port.port} delivers to "
                + ", ".join(f"{k} ({v} replica{'s' * (v != 1)})" for k, v in (w or {}).items() if v)
            ),
        )
        return ob
