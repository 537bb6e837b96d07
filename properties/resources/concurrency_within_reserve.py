"""CNV304 concurrency-within-reserve."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import z3
from cnverify.model.lambda_sam import LAMBDA_ALIAS, LAMBDA_FUNCTION, LAMBDA_VERSION, SAM_FUNCTION, Template
from cnverify.obligation import Obligation
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
    (`MinValue`/`MaxValue`/`AllowedValues`).

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
    """

    code = "CNV304"
    name = "concurrency-within-reserve"
    title = "Provisioned concurrency within reserved concurrency"
    severity = "error"
    reads = (Template,)
    remediation = (
        "Lower the provisioned concurrency (or its parameter's MaxValue) or raise ReservedConcurrentExecutions."
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

    def _check(self, t: Template, rid: str, reserved: Any, pcs: list[tuple[Any, tuple[str, ...], str]]) -> Obligation:
        r_path = ("Resources", rid, "Properties", "ReservedConcurrentExecutions")
        ob = self.obligation(t, at=t.at(*r_path), path=f"Resources.{rid}")
        terms, why = [], None
        for value, path, holder in [(reserved, r_path, rid), *pcs]:
            term, why = self._term(ob, t, value, path, holder)
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

    @staticmethod
    def _term(
        ob: Obligation, t: Template, value: Any, path: tuple[str, ...], holder: str
    ) -> tuple[z3.ArithRef | None, str | None]:
        label = f"{holder} {path[-1]}"
        if isinstance(value, int) and not isinstance(value, bool):
            v = z3.Int(label)
            ob.fact(v == value, at=t.at(*path), says=f"{label} is {value}")
            return v, None
        ref = value.get("Ref") if isinstance(value, dict) and len(value) == 1 else None
        param = t.parameters.get(ref) if isinstance(ref, str) else None
        if not isinstance(ref, str) or not isinstance(param, dict):
            return None, f"{label} is {value!r}: not a number or a parameter of the template"
        v, p_at = z3.Int(ref), t.at("Parameters", ref)
        allowed = [int(a) for a in param.get("AllowedValues") or [] if str(a).lstrip("-").isdigit()]
        lo, hi = param.get("MinValue"), param.get("MaxValue")
        if allowed:
            ob.fact(z3.Or(*(v == a for a in allowed)), at=p_at, says=f"parameter {ref} is one of {allowed}")
        elif lo is not None or hi is not None:
            if lo is not None:
                ob.fact(v >= int(lo), at=t.at("Parameters", ref, "MinValue"), says=f"parameter {ref} ≥ {lo}")
            if hi is not None:
                ob.fact(v <= int(hi), at=t.at("Parameters", ref, "MaxValue"), says=f"parameter {ref} ≤ {hi}")
            if hi is None:
                return None, f"parameter {ref} has no MaxValue: it may take any value above {lo}"
        else:
            return (
                None,
                f"{label} is parameter {ref}, which has no MinValue/MaxValue/AllowedValues: any value is allowed",
            )
        ob.fact(v == v, at=t.at(*path), says=f"{label} is parameter {ref}")
        ob.show(ref, v)
        return v, None
