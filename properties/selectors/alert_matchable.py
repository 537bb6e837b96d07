"""CNV209 alert-matchable."""

from __future__ import annotations

from collections.abc import Iterator

import z3
from cnverify.encodings.promql import RegexError, Selector, matcher_z3, selectors
from cnverify.encodings.regex import sval
from cnverify.model.prometheus import PrometheusRule, Rule
from cnverify.obligation import Obligation
from cnverify.properties._shared.selectors.jobs import READS, JobValue, jobs_of
from cnverify.properties._shared.selectors.monitors import selected
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.prometheus.scrape import full_match

JOB = "job"


@register
class AlertMatchable(Property):
    """
    ## What it proves
    Each alerting rule's selectors that constrain `job` (`=`, `!=`, `=~`, `!~`; regexes anchored RE2 as
    Prometheus compiles them) are satisfiable by a `job` value the targets of the Prometheus loading the rule
    produce: the Service's name (or the value of its `jobLabel` label) for a ServiceMonitor, `<namespace>/<name>`
    (or the pod's `jobLabel` label) for a PodMonitor, or a recording rule's `job` label. Selectors whose `job`
    matchers also match the empty string (only negative ones) are not constrained and not checked.

    ## Why it matters
    An alert on `up{job="kube-schedulr"}` never fires: no series has that job. `absent(up{job="x"})` with a
    dangling job fires forever. Prometheus accepts both silently.

    ## Evidence
    Proved: one job value per selector (witness `job[i]`). Violated: every job value of the targets and the
    matchers of the selector no value satisfies (the unsat core).

    ## Example
    ```yaml
    expr: up{job="node-exportr"} == 0    # the node-exporter Service gives job=node-exporter
    ```

    ## Assumes
    - The Prometheus that loads the rule and every monitor it selects are in the inputs; a monitor whose Services
      are not in the inputs (namespaces outside them, `namespaceSelector.any`), `honorLabels`, relabelings
      that write `job`, Probes, ScrapeConfigs, `additionalScrapeConfigs`, scrape classes or a ThanosRuler make
      "no value matches" `unknown`; values from endpoints with relabelings (which may drop targets) prove nothing.
      A monitor whose selector pins its `jobLabel` label to a literal gives that job to every target it may
      have, in the inputs or not: an alert matching only such a job is `unknown`, one matching none is violated.
    - Only the `job` label is checked, not that the selected metric carries it.
    """

    code = "CNV209"
    name = "alert-matchable"
    title = "Alert job matchers match a job the targets produce"
    severity = "warning"
    reads = READS
    remediation = "Match the job value the monitor produces (the Service name or its jobLabel label's value)."
    closed_world = frozenset({"violated"})

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        for rule in ctx.snap.all(PrometheusRule):
            for g, group in enumerate(rule.spec.groups):
                for i, r in enumerate(group.rules):
                    sels = _constrained(r)
                    if r.alert and sels:
                        ob = self.obligation(rule, at=r.at("expr"), path=f"spec.groups[{g}].rules[{i}]")
                        _decide(ctx, ob, rule, r, sels)
                        yield ob


def _constrained(r: Rule) -> list[Selector]:
    """The selectors of the rule whose every alternative requires a non-empty job."""
    try:
        sels = selectors(str(r.expr))
    except ValueError:
        return []  # an input error already
    return [s for s in sels if all(_requires_job(alt) for alt in s.alternatives)]


def _accepts(alt: tuple[tuple[str, str, str], ...], value: str) -> bool:
    """Do the alternative's job matchers all accept ``value`` (Prometheus's ``Matcher.Matches``)?"""
    return all(
        value == v if op == "=" else value != v if op == "!=" else full_match(v, value) == (op == "=~")
        for name, op, v in alt
        if name == JOB
    )


def _requires_job(alt: tuple[tuple[str, str, str], ...]) -> bool:
    """The alternative constrains job: it has job matchers and they reject a series without job (value "")."""
    try:
        return any(name == JOB for name, _, _ in alt) and not _accepts(alt, "")
    except RegexError:
        return False  # not decided here: the selector is not a subject


def _decide(ctx: RunContext, ob: Obligation, rule: PrometheusRule, r: Rule, sels: list[Selector]) -> None:
    by = selected(ctx, ob, rule)
    if not by:
        if ob.decision is not None and ob.decision.verdict == "violated":
            ob.unknown(f"no Prometheus of the inputs loads {rule.ref} (CNV208): the job values are not known")
        return
    values: list[JobValue] = []
    possible: list[JobValue] = []
    open_: list[str] = []
    for ev in by:
        jobs = jobs_of(ctx, ev)
        values, possible, open_ = values + jobs.values, possible + jobs.possible, open_ + jobs.open
    try:
        matched = all(any(_accepts(alt, v.value) for v in values for alt in s.alternatives) for s in sels)
        maybe = [v for v in possible if any(_accepts(alt, v.value) for s in sels for alt in s.alternatives)]
        if not matched and maybe:
            ob.note(maybe[0].says, maybe[0].where)
            ob.unknown(f"only targets outside the inputs could give job={maybe[0].value}")
            return
        if not matched and open_:
            more = f" (and {len(open_) - 1} more such reasons)" if len(open_) > 1 else ""
            ob.unknown(f"no job value of the inputs matches, but {open_[0]}{more}")
            return
        for v in possible if not matched else []:
            ob.note(v.says, v.where)
        _encode(ob, r, sels, values, possible)
    except RegexError as exc:
        ob.unknown(f"a job regex cannot be translated: {exc}")


def _encode(ob: Obligation, r: Rule, sels: list[Selector], values: list[JobValue], possible: list[JobValue]) -> None:
    goals = []
    for k, sel in enumerate(sels):
        job = z3.String(f"job[{k}]")
        picks = []
        for n, v in enumerate(values):
            pick = z3.Bool(f"job[{k}].from[{n}]")
            picks.append(pick)
            ob.fact(z3.Implies(pick, job == sval(v.value)), at=v.where, says=v.says)
        ob.fact(z3.Or(picks), at=None, says=f"job[{k}] is the job of one of the targets")
        alts = [z3.And([matcher_z3(job, op, val) for name, op, val in alt if name == JOB]) for alt in sel.alternatives]
        m = z3.Bool(f"sel[{k}]")
        why = "absent() fires forever unless one matches" if sel.in_absent else "the alert reads it"
        ob.fact(m == z3.Or(alts), at=r.at("expr"), says=f"selector {sel.text} requires job[{k}] to match ({why})")
        goals.append(m)
        ob.show(f"job[{k}]", job)
    ob.example(z3.And(goals), says="every job-constrained selector matches a target's job")
    jobs = ", ".join(sorted({v.value for v in values + possible})) or "none"
    forever = " (absent() over it fires forever)" if any(sel.in_absent for sel in sels) else ""
    ob.on(
        proved=lambda w: (
            f"alert {r.alert}: its job matchers match " + ", ".join(f"{k}={v}" for k, v in (w or {}).items())
        ),
        violated=f"alert {r.alert}: no target's job ({jobs}) matches its job matchers{forever}",
    )
