"""CNV202 service-selects-pods."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.encodings.labels import UnsupportedSelector, format_labels
from cnverify.model import Service
from cnverify.obligation import Obligation
from cnverify.properties._shared.selectors.pod_facts import labels_of, require_selected, selector_text
from cnverify.properties._shared.selectors.pods import POD, SHAPE_READS, label_terms, selecting_services, shapes_of
from cnverify.registry import Property, register
from cnverify.run_context import RunContext


@register
class ServiceSelectsPods(Property):
    """
    ## What it proves
    A Service with a selector selects the pod template of at least one workload (or a bare Pod)
    in its own namespace. Services without a selector (`{}` is the same as none) and
    ExternalName Services are not subjects.

    ## Why it matters
    A selector that matches no pod leaves the Service without endpoints: clients get connection
    refused or 503s while every object applies cleanly. Typos in a label value or a label key
    renamed in the Deployment but not in the Service are the usual causes.

    ## Evidence
    Proved: a pod that it selects (`@pod` names its owner; `null` = label absent). Violated: the
    selector's requirements and the labels of every pod template that carries its keys.
    Controller-added labels (`pod-template-hash`, `statefulset.kubernetes.io/pod-name`, `job-name` …)
    are present with a value the solver chooses.

    ## Example
    ```yaml
    kind: Service
    spec: {selector: {app: web}}          # violated if no template in the namespace has app=web
    ```

    ## Assumes
    - Pods of the namespace come from the workloads and bare Pods of the inputs; kinds cnverify does not model
      that may create pods (Argo Rollouts, Knative revisions, Gateway proxies, operators) make "selects
      nothing" `unknown`.
    - Controllers add only the labels they document (`pod-template-hash`, `statefulset.kubernetes.io/pod-name`,
      `apps.kubernetes.io/pod-index`, `controller-revision-hash`, `batch.kubernetes.io/*`); a selector pinned
      to a value the manifests cannot determine is `unknown`. Mutating webhooks that relabel pods are not read.
    """

    code = "CNV202"
    name = "service-selects-pods"
    title = "Service selects at least one pod"
    severity = "error"
    reads = (Service, *SHAPE_READS)
    remediation = "Make spec.selector equal the labels of the intended pod template (same namespace)."
    closed_world = frozenset({"violated"})  # absent here may be in an unread document

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        shapes, terms = shapes_of(ctx), label_terms(ctx)
        for svc, sel in selecting_services(snap):
            ob = self.obligation(svc, at=svc.spec.at("selector"))
            try:
                require_selected(
                    ob,
                    [(sel, svc.spec, ("selector",), "the Service selector")],
                    shapes.get(svc.namespace, []),
                    svc.namespace,
                    snap.pod_creators(svc.namespace),
                    terms,
                )
            except UnsupportedSelector as exc:  # pragma: no cover - a map selector is always equality
                ob.unknown(str(exc))
            text = selector_text(sel)
            ob.on(
                proved=lambda w, t=text: (
                    f"selector {{{t}}} selects the pods of {w[POD]} ({format_labels(labels_of(w))})"
                ),
                violated=f"selector {{{text}}} selects no pod template in namespace {svc.namespace}",
            )
            yield ob
