"""CNV201 selector-matches-template."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.encodings import zterms
from cnverify.encodings.labels import (
    LabelSpace,
    Terms,
    UnsupportedSelector,
    format_labels,
    is_empty,
    selector_keys,
)
from cnverify.model import DaemonSet, Deployment, Job, ReplicaSet, Rollout, StatefulSet, Workload, pod_template
from cnverify.model.apps import ReplicationController
from cnverify.obligation import Obligation
from cnverify.properties._shared.selectors.pod_facts import selector_facts, selector_text
from cnverify.properties._shared.selectors.pods import label_terms
from cnverify.registry import Property, register
from cnverify.run_context import RunContext

DEFAULTED_FROM_TEMPLATE = ("extensions/v1beta1", "apps/v1beta1")
"""API versions whose Deployment/ReplicaSet/DaemonSet selector defaults to the template labels."""


@register
class SelectorMatchesTemplate(Property):
    """
    ## What it proves
    A workload's `spec.selector` (matchLabels AND matchExpressions) selects the labels of its own
    `spec.template` (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job with a selector,
    ReplicationController, whose empty selector defaults to the template labels; an Argo Rollout, whose
    template and — when it has none — selector may come from its `workloadRef` target).

    ## Why it matters
    The API server rejects a workload whose selector does not match its template ("selector does
    not match template labels"), and apps/v1 requires a non-empty selector; the object never exists.
    A Job without a selector gets a generated one and is not a subject. Argo Rollouts has no admission
    webhook: its controller marks such a Rollout `InvalidSpec` and never progresses it.

    ## Evidence
    Violated: the template's label set (witness; `null` = label absent) and every requirement.
    Proved: the minimal set of requirements and template labels that make it match.

    ## Example
    ```yaml
    selector: {matchLabels: {app: web}}
    template: {metadata: {labels: {app: api}}}   # violated: app=api ≠ web
    ```

    ## Assumes
    - Only the API server's selector semantics on the object itself: no cluster input is assumed.
    """

    code = "CNV201"
    name = "selector-matches-template"
    title = "Workload selector selects its pod template"
    severity = "error"
    reads = (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, ReplicationController, Rollout)
    remediation = "Make spec.template.metadata.labels satisfy every requirement of spec.selector."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap, terms = ctx.snap, label_terms(ctx)
        for cls in self.reads:
            for w in snap.all(cls):
                if isinstance(w, Job) and w.selector is None:
                    continue  # generated selector
                yield self.check(w, terms)

    def check(self, w: Workload | ReplicationController, terms: Terms) -> Obligation:
        tmeta, spec = pod_template(w).metadata, w.spec
        rc = isinstance(w, ReplicationController)
        sel = (w.spec.selector or None) if isinstance(w, ReplicationController) else w.selector
        ob = self.obligation(w, at=spec.at("selector"))
        if isinstance(w, Rollout) and w.unresolved:
            ob.unknown(w.unresolved)  # its template (and maybe selector) are the workloadRef target's
            return ob
        labels = tmeta.labels or {}
        if sel is None:
            if (rc or w.api_version in DEFAULTED_FROM_TEMPLATE) and labels:
                ob.note(
                    f"{w.api_version} {w.KIND} defaults spec.selector to the template labels {format_labels(labels)}",
                    tmeta.at("labels"),
                )
                ob.decide("proved", "the defaulted selector is the template's own labels")
                ob.on(proved=f"spec.selector defaults to the template labels {format_labels(labels)}")
            else:
                ob.note("spec has no selector", spec.at())
                ob.decide("violated", f"spec.selector is required for {w.api_version} {w.KIND}")
                ob.on(violated=f"{w.ref} has no spec.selector (required in {w.api_version})")
            return ob
        if is_empty(sel):
            ob.note("spec.selector is {}", spec.at("selector"))
            ob.decide("violated", "an empty selector is rejected (it would select every pod)")
            ob.on(violated=f"{w.ref} has an empty spec.selector, which the API server rejects")
            return ob
        try:
            space = LabelSpace("pod", selector_keys(sel), terms)
            matches = selector_facts(ob, space, sel, spec, ("selector",), tag="sel")
        except UnsupportedSelector as exc:
            ob.unknown(str(exc))
            return ob
        for k in space.keys:
            if k in labels:
                ob.fact(
                    space.label_is(k, labels), at=tmeta.at("labels", k), says=f"the template has label {k}={labels[k]}"
                )
            else:
                ob.fact(space.label_is(k, labels), at=tmeta.at("labels"), says=f"the template has no label {k}")
        ob.counterexample(zterms.neg(matches), says="the selector does not select the template's labels")
        space.show_on(ob)
        text = selector_text(sel)
        ob.on(
            violated=lambda wit: f"selector {{{text}}} does not select the template labels {format_labels(wit)}",
            proved=f"selector {{{text}}} selects the template labels",
        )
        return ob
