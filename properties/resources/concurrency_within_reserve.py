"""CNV304 concurrency-within-reserve."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import z3
from cnverify.model.lambda_sam import (
    LAMBDA_ALIAS,
    LAMBDA_FUNCTION,
    LAMBDA_VERSION,
    SAM_FUNCTION,
    LambdaAccount,
    Template,
)
from cnverify.obligation import Obligation
from cnverify.properties._shared.resources.account_concurrency import account_obligation
from cnverify.properties._shared.resources.template_values import number
from cnverify.registry import Property, register
from cnverify.run_context import RunContext


def _target(props: dict[str, Any]) -> str | None:
    """The function an alias or version belongs to (``FunctionName: !Ref F`` or ``!GetAtt F.Arn``)."""
    name = props.get("FunctionName")
    if isinstance(name, dict) and isinstance(name.get("Ref"), str):
        return name["Ref"]
    att = name.get("Fn::GetAtt") if isinstance(name, dict) else None
    return att[0] if isinstance(att, list) and att and isinstance(att[0], str) else None


@register
class ConcurrencyWithinReserve(Property):
    """
    ## What it proves
    For every Lambda function of a CloudFormation/SAM template with `ReservedConcurrentExecutions`, the
    provisioned concurrency of its aliases and versions (`ProvisionedConcurrencyConfig` of
    `AWS::Lambda::Alias`/`Version` resources naming it, and of a SAM function's own alias, where SAM moves it)
    sums to at most the reserved concurrency, for every value the template's parameters allow
    (`MinValue`/`MaxValue`/`AllowedValues`). With the account's concurrency quota declared (an `Account`,
    `apiVersion: lambda.cnverify.io/v1`, `spec.concurrentExecutions`), the reserved concurrency of all the
    functions of the unit totals at most the quota − 100: Lambda keeps 100 unreserved (without one: `unknown`).

    ## Why it matters
    Provisioned concurrency counts towards the function's reserved concurrency; Lambda refuses a provisioned
    configuration beyond it, at deploy time, after the stack has started updating. Neither CloudFormation's
    schema nor SAM compares the two.

    ## Evidence
    Violated: each provisioned amount and the reserve, with the parameter values that break it. Proved: the
    largest total the parameters allow.

    ## Example
    ```yaml
    ReservedConcurrentExecutions: 10
    ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: !Ref PC}   # PC: MaxValue 20 → violated at PC = 11
    ```

    ## Assumes
    - A parameter without `MinValue`/`MaxValue`/`AllowedValues` may take any value: such a verdict is `unknown`.
    - Values behind conditions (`Fn::If`) or other intrinsics are `unknown`.
    - Account rule: the quota an `Account` declares (no template shows it), and no function outside the inputs
      reserves concurrency in the account (an `assumes:` step); a function created under a `Condition`, or a reserve
      that is not a known value, counts as 0 and a proof becomes `unknown`.
    """

    code = "CNV304"
    name = "concurrency-within-reserve"
    title = "Provisioned concurrency within reserved concurrency"
    severity = "error"
    reads = (Template, LambdaAccount)
    remediation = (
        "Lower the provisioned concurrency (or its parameter's MaxValue) or raise ReservedConcurrentExecutions; keep "
        "the functions' total reserve within the account quota − 100."
    )

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        for t in ctx.snap.all(Template):
            provisioned: dict[str, list[tuple[Any, tuple[str, ...], str]]] = {}
            for rid, props in t.of_type(LAMBDA_ALIAS, LAMBDA_VERSION):
                pc = (props.get("ProvisionedConcurrencyConfig") or {}).get("ProvisionedConcurrentExecutions")
                fn = _target(props)
                if pc is not None and fn is not None:
                    path = (
                        "Resources",
                        rid,
                        "Properties",
                        "ProvisionedConcurrencyConfig",
                        "ProvisionedConcurrentExecutions",
                    )
                    provisioned.setdefault(fn, []).append((pc, path, rid))
            for rid, props in t.of_type(SAM_FUNCTION, LAMBDA_FUNCTION):
                pc = (props.get("ProvisionedConcurrencyConfig") or {}).get("ProvisionedConcurrentExecutions")
                if pc is not None:
                    path = (
                        "Resources",
                        rid,
                        "Properties",
                        "ProvisionedConcurrencyConfig",
                        "ProvisionedConcurrentExecutions",
                    )
                    provisioned.setdefault(rid, []).append((pc, path, f"{rid}'s alias {props.get('AutoPublishAlias')}"))
                reserved = props.get("ReservedConcurrentExecutions")
                if reserved is not None and provisioned.get(rid):
                    yield self._check(t, rid, reserved, provisioned[rid])
        account = account_obligation(self, ctx)
        if account is not None:
            yield account

    def _check(self, t: Template, rid: str, reserved: Any, pcs: list[tuple[Any, tuple[str, ...], str]]) -> Obligation:
        r_path = ("Resources", rid, "Properties", "ReservedConcurrentExecutions")
        ob = self.obligation(t, at=t.at(*r_path), path=f"Resources.{rid}")
        terms, why = [], None
        for value, path, holder in [(reserved, r_path, rid), *pcs]:
            term, why = number(ob, t, value, path, f"{holder} {path[-1]}")
            if term is None:
                ob.unknown(why or "a value is not known")
                return ob
            terms.append(term)
        total = z3.Sum(terms[1:])
        ob.counterexample(total > terms[0], says="the provisioned concurrency exceeds the reserve")
        ob.show("reserved", terms[0])
        ob.show("provisioned", total)
        ob.on(
            violated=lambda w: f"{rid}: provisioned concurrency {w['provisioned']} > reserved {w['reserved']}",
            proved=lambda _: f"{rid}: provisioned concurrency stays within its reserved concurrency",
        )
        return ob
