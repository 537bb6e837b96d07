"""CNV208 rule-selected."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.model.prometheus import PrometheusRule
from cnverify.obligation import Obligation
from cnverify.properties._shared.selectors.monitors import conclude, selected
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.prometheus.select import RULE_READS


@register
class RuleSelected(Property):
    """
    ## What it proves
    Every PrometheusRule is selected by some Prometheus or ThanosRuler of the inputs: its `ruleSelector`
    matches the rule's labels (null selects nothing, `{}` everything) and its `ruleNamespaceSelector` the
    rule's namespace (null: the evaluator's own namespace; `{}`: every namespace).

    ## Why it matters
    An unselected PrometheusRule is accepted by the API server and never loaded: its alerts never fire and
    nothing reports it.

    ## Evidence
    Proved: the Prometheus (ThanosRuler) that selects it. Violated: for each one, which selector refuses it.

    ## Example
    ```yaml
    kind: Prometheus
    spec: {ruleSelector: {matchLabels: {role: alert-rules}}}   # the PrometheusRule has role: alerts
    ```

    ## Assumes
    - The Prometheus and ThanosRuler objects of the inputs are all that may load the rule: with none in the
      inputs the verdict is `unknown`. Namespace labels come from Namespace objects of the inputs (plus
      `kubernetes.io/metadata.name`); a selector on other labels of an absent Namespace is `unknown`.
    """

    code = "CNV208"
    name = "rule-selected"
    title = "PrometheusRule is selected by a Prometheus"
    severity = "error"
    reads = (PrometheusRule, *RULE_READS)
    remediation = "Label the PrometheusRule (and its namespace) as the Prometheus ruleSelector expects."
    closed_world = frozenset({"violated"})

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        for rule in ctx.snap.all(PrometheusRule):
            ob = self.obligation(rule, at=rule.metadata.at("labels"))
            by = selected(ctx, ob, rule)
            if by:
                conclude(ob, "proved", f"{by[0].ref} loads {rule.ref}")
            yield ob
