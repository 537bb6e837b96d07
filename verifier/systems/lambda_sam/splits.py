"""Lambda alias weights for CNV103 (docs/SEMANTICS.md#aws-lambda-via-sam).

An ``AWS::Lambda::Alias`` routes to its ``FunctionVersion`` and at most one additional version
(``RoutingConfig.AdditionalVersionWeights``, each weight a fraction in [0, 1]; the primary gets the rest: Lambda API
``AliasRoutingConfiguration``). A SAM function's ``DeploymentPreference`` has CodeDeploy shift its alias from the old
version to the new one; the new version's weight goes through the states of the deployment configuration:
``CanaryP PercentN Minutes`` 0 → P % → 100 %, ``LinearP PercentEveryN Minute(s)`` 0 → P % → 2P % → … → 100 %,
``AllAtOnce`` 0 → 100 % (CodeDeploy ``TimeBasedCanary``/``TimeBasedLinear``). SAM maps the predefined names to
``CodeDeployDefault.Lambda<Type>`` and passes any other value through as a configuration name
(samtranslator/model/preferences/deployment_preference_collection.py ``_replace_deployment_types``), resolving a
parameter ``Ref`` to its value first (sam_resources.py ``_validate_deployment_preference_and_add_update_policy``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from cnverify.model.lambda_sam import LAMBDA_ALIAS, SAM_FUNCTION, Template
from cnverify.systems.base import Share, Split, State, Written

READS = (Template,)
DEPLOYMENT_CONFIG = "AWS::CodeDeploy::DeploymentConfig"
PREDEFINED = (  # samtranslator CODEDEPLOY_PREDEFINED_CONFIGURATIONS_LIST
    "Canary10Percent5Minutes",
    "Canary10Percent10Minutes",
    "Canary10Percent15Minutes",
    "Canary10Percent30Minutes",
    "Linear10PercentEvery1Minute",
    "Linear10PercentEvery2Minutes",
    "Linear10PercentEvery3Minutes",
    "Linear10PercentEvery10Minutes",
    "AllAtOnce",
)
_CANARY = re.compile(r"Canary(\d+)Percent(\d+)Minutes")
_LINEAR = re.compile(r"Linear(\d+)PercentEvery(\d+)Minutes?")
START, DONE = "before the shift (pre-traffic hook, or a rollback)", "shift complete"


def predefined_states(name: str) -> tuple[State, ...]:
    """The new version's weight at each state of one of SAM's predefined deployment types."""
    if m := _CANARY.fullmatch(name):
        p, n = int(m[1]), int(m[2])
        return (
            State(START, Fraction(0)),
            State(f"canary {p}% for {n} minutes", Fraction(p, 100)),
            State(DONE, Fraction(1)),
        )
    if m := _LINEAR.fullmatch(name):
        p, n = int(m[1]), int(m[2])
        steps = [State(f"{k * p}% after {(k - 1) * n} minutes", Fraction(k * p, 100)) for k in range(1, -(-100 // p))]
        return (State(START, Fraction(0)), *steps, State(DONE, Fraction(1)))
    return (State(START, Fraction(0)), State(DONE, Fraction(1)))  # AllAtOnce


def _custom_states(t: Template, rid: str) -> tuple[tuple[State, ...], str]:
    """The states of an ``AWS::CodeDeploy::DeploymentConfig`` of the template, or why they are not known."""
    base = ("Resources", rid, "Properties", "TrafficRoutingConfig")
    trc = ((t.resources[rid].get("Properties") or {}) or {}).get("TrafficRoutingConfig")
    kind = trc.get("Type") if isinstance(trc, dict) else None
    if kind == "AllAtOnce":
        return predefined_states("AllAtOnce"), ""
    field = {"TimeBasedCanary": "CanaryPercentage", "TimeBasedLinear": "LinearPercentage"}.get(str(kind))
    body = trc.get(str(kind)) if isinstance(trc, dict) else None
    if field is None or not isinstance(body, dict):
        return (), f"DeploymentConfig {rid}'s TrafficRoutingConfig is not TimeBasedCanary, TimeBasedLinear or AllAtOnce"
    p = Written(f"{rid} {field}", body.get(field), (*base, str(kind), field), scale=100)
    first = "first increment (later ones add as much, capped at 100%)" if kind == "TimeBasedLinear" else "canary"
    return (State(START, Fraction(0)), State(first, p), State(DONE, Fraction(1))), ""


def deployment_states(t: Template, kind: Any) -> tuple[tuple[State, ...], str]:
    """The states of a DeploymentPreference ``Type`` as SAM resolves it, or why they are not known."""
    if isinstance(kind, str):
        if kind in PREDEFINED:
            return predefined_states(kind), ""
        return (), f"deployment configuration {kind!r} is not one of SAM's predefined types nor in the template"
    ref = kind.get("Ref") if isinstance(kind, dict) and len(kind) == 1 else None
    if (
        isinstance(ref, str)
        and isinstance(t.resources.get(ref), dict)
        and t.resources[ref].get("Type") == DEPLOYMENT_CONFIG
    ):
        return _custom_states(t, ref)
    param = t.parameters.get(ref) if isinstance(ref, str) else None
    allowed = param.get("AllowedValues") if isinstance(param, dict) else None
    if isinstance(allowed, list) and allowed and all(a in PREDEFINED for a in allowed):
        return tuple(State(f"{a}: {s.says}", s.weight) for a in allowed for s in predefined_states(a)), ""
    return (
        (),
        f"deployment type {kind!r} is not a predefined type, a DeploymentConfig of the template or a parameter whose AllowedValues are predefined types",
    )


def _written_at(t: Template, rid: str, key: str) -> tuple[str | int, ...]:
    """Where a SAM function's property is written: its own ``Properties`` or ``Globals.Function``."""
    own = (t.resources[rid].get("Properties") or {}) if isinstance(t.resources[rid].get("Properties"), dict) else {}
    return ("Resources", rid, "Properties", key) if key in own else ("Globals", "Function", key)


def _version(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("Fn::GetAtt"), list) and value["Fn::GetAtt"]:
        return f"version {value['Fn::GetAtt'][0]}"
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        return f"version {value['Ref']}"
    return f"version {value}"


def splits(snap: Any) -> Iterator[Split]:
    for t in snap.all(Template):
        for rid, props in t.of_type(LAMBDA_ALIAS):
            routing = props.get("RoutingConfig")
            if routing is None:
                continue
            base = ("Resources", rid, "Properties", "RoutingConfig")
            weights = routing.get("AdditionalVersionWeights") if isinstance(routing, dict) else routing
            sp = Split(
                t, f"Resources.{rid}.Properties.RoutingConfig", t.at(*base), [], rule="fraction", field="FunctionWeight"
            )
            if not isinstance(weights, list):
                sp.unknown = f"AdditionalVersionWeights is {weights!r}: not a list of versions"
            for i, w in enumerate(weights if isinstance(weights, list) else []):
                path = (*base, "AdditionalVersionWeights", i)
                label = _version(w.get("FunctionVersion") if isinstance(w, dict) else w)
                sp.shares.append(Share(label, None, t.at(*path, "FunctionWeight"), t.at(*path)))
                value = w.get("FunctionWeight") if isinstance(w, dict) else w
                sp.fractions += (Written(f"{label} FunctionWeight", value, (*path, "FunctionWeight")),)
            yield sp
        for rid, props in t.of_type(SAM_FUNCTION):
            pref, alias = props.get("DeploymentPreference"), props.get("AutoPublishAlias")
            if not isinstance(pref, dict) or pref.get("Enabled") in (False, "false", "False") or not alias:
                continue
            where = _written_at(t, rid, "DeploymentPreference")
            states, why = deployment_states(t, pref.get("Type"))
            if isinstance(pref.get("Enabled"), dict):
                states, why = (
                    (),
                    f"DeploymentPreference.Enabled is {pref['Enabled']!r}: whether CodeDeploy shifts is not known",
                )
            yield Split(
                t,
                f"Resources.{rid}.Properties.DeploymentPreference",
                t.at(*where),
                [Share(f"{rid}'s new version", None, t.at(*where, "Type"))],
                rule="fraction",
                field="weight",
                total_at=t.at(*where, "Type"),
                states=states,
                unknown=why,
            )
