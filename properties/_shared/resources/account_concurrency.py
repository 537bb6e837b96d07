"""CNV304's account rule: Lambda keeps at least 100 of the account's concurrency unreserved, so the functions'
``ReservedConcurrentExecutions`` may total at most the account quota − 100 ("You can reserve up to the Unreserved
account concurrency value … minus 100": Lambda developer guide, configuration-concurrency). The quota is not in any
template: an ``Account`` input (``lambda.cnverify.io/v1``, model ``LambdaAccount``) declares it (docs/SEMANTICS.md#aws-lambda-via-sam); without one the rule is
``unknown``. Parameters are bounded symbols (``template_values.number``)."""

from __future__ import annotations

from typing import Any

import z3
from cnverify.model.lambda_sam import LAMBDA_FUNCTION, SAM_FUNCTION, LambdaAccount, Template
from cnverify.obligation import Obligation
from cnverify.properties._shared.resources.template_values import number
from cnverify.registry import Property
from cnverify.run_context import RunContext

UNRESERVED = 100
OUTSIDE = "functions outside these templates reserve no concurrency in the account (any would only add to the total)"


def _reserves(ctx: RunContext) -> list[tuple[Template, str, Any, bool]]:
    """(template, function id, ReservedConcurrentExecutions, created under a Condition) of every function."""
    out = []
    for t in ctx.snap.all(Template):
        for rid, props in t.of_type(SAM_FUNCTION, LAMBDA_FUNCTION):
            if "ReservedConcurrentExecutions" in props:
                out.append((t, rid, props["ReservedConcurrentExecutions"], "Condition" in t.resources[rid]))
    return out


def account_obligation(prop: Property, ctx: RunContext) -> Obligation | None:
    """The account rule over every function of the unit that reserves concurrency, or None when none does."""
    reserves = _reserves(ctx)
    if not reserves:
        return None
    t0, rid0 = reserves[0][0], reserves[0][1]
    ob = prop.obligation(t0, at=t0.at("Resources", rid0, "Properties", "ReservedConcurrentExecutions"), path="account")
    accounts = ctx.snap.all(LambdaAccount)
    if len(accounts) != 1:
        ob.unknown(
            "the account's concurrency quota is not known: declare it with one Account "
            "(apiVersion lambda.cnverify.io/v1, spec.concurrentExecutions)"
            if not accounts
            else f"{len(accounts)} Account objects (lambda.cnverify.io): one account per unit is modelled"
        )
        return ob
    acct = accounts[0]
    quota = z3.Int("account quota")
    ob.fact(
        quota == acct.spec.concurrent_executions,
        at=acct.spec.at("concurrentExecutions"),
        says=f"Account {acct.name} declares a quota of {acct.spec.concurrent_executions} concurrent executions",
    )
    terms: list[z3.ArithRef] = []
    for t, rid, value, conditional in reserves:
        label = f"{rid} ReservedConcurrentExecutions"
        path = ("Resources", rid, "Properties", "ReservedConcurrentExecutions")
        term, why = (None, f"{rid} is created only under its Condition") if conditional else (None, None)
        if not conditional:
            term, why = number(ob, t, value, path, label)
        if term is None:  # counted as 0 (reserves are ≥ 0): a violation stands, a proof would not
            ob.note(f"{label} counted as 0: {why}", t.at(*path))
            ob.only_refute(why or f"{label} is not known")
            continue
        terms.append(term)
    total = z3.Sum(terms) if terms else z3.IntVal(0)
    ob.assume(OUTSIDE)
    ob.counterexample(total > quota - UNRESERVED, says=f"less than {UNRESERVED} of the quota stays unreserved")
    ob.show("reserved", total)
    ob.show("quota", quota)
    ob.on(
        violated=lambda w: (
            f"the functions reserve {w['reserved']} of the account's {w['quota']} concurrent executions, leaving "
            f"{w['quota'] - w['reserved']} unreserved: Lambda keeps at least {UNRESERVED} unreserved and refuses the reserve"
        ),
        proved=lambda _: (
            f"the functions' reserved concurrency leaves at least {UNRESERVED} of the account's quota unreserved"
        ),
    )
    return ob
