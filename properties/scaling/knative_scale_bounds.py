"""CNV405 knative-scale-bounds."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import z3
from cnverify.errors import Span
from cnverify.model import KnativeService
from cnverify.obligation import Obligation
from cnverify.properties._shared.scaling.knative_values import (
    KEYS,
    MIN_TARGET,
    PREFIX,
    annotation,
    describe,
    parse_value,
    summary,
    violations,
)
from cnverify.registry import Property, register
from cnverify.run_context import RunContext


@register
class KnativeScaleBounds(Property):
    """
    ## What it proves
    For every Knative Service: min-scale ≤ max-scale (max-scale 0 means unbounded), initial-scale within
    them, target ≥ 0.01 (> 0), 0 ≤ containerConcurrency ≤ 1000, every value a number of the right type,
    and the autoscaling annotations placed on the revision template (both the `min-scale` and the older
    `minScale` spellings; the new spelling wins when both are present).

    ## Why it matters
    Knative's webhook rejects inverted bounds, non-numeric values and autoscaling annotations on the
    Service's own metadata, so the new revision never rolls out; an initial scale outside the bounds is
    clamped and surprises capacity planning.

    ## Evidence
    Violated: the annotation values and which constraint fails, each with its line. Proved: the values.
    Each value is read as the webhook reads it (`annotation_validation.go`): min/max-scale with
    `strconv.ParseInt(v, 10, 32)`, initial-scale with `strconv.Atoi` (int64), target with
    `strconv.ParseFloat(v, 64)` (overflow such as `1e400` is rejected; `NaN` is accepted but is no target
    ≥ 0.01; hex floats and `_` separators parse).

    ## Example
    ```yaml
    spec:
      template:
        metadata:
          annotations: {autoscaling.knative.dev/min-scale: "5", autoscaling.knative.dev/max-scale: "2"}
    ```

    ## Assumes
    - The cluster's `config-autoscaler` ConfigMap keeps its defaults: `max-scale-limit` 0 (an `assumes:` chain
      step when max-scale is given) and `allow-zero-initial-scale` false (initial-scale 0 is `unknown`).
    """

    code = "CNV405"
    name = "knative-scale-bounds"
    title = "Knative autoscaling bounds are consistent"
    severity = "error"
    reads = (KnativeService,)
    remediation = "Put autoscaling annotations under spec.template.metadata with min ≤ initial ≤ max (0 = no max)."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        for ksvc in snap.all(KnativeService):
            yield self._check(ksvc)

    def _check(self, ksvc: KnativeService) -> Obligation:
        meta = ksvc.spec.template.metadata
        ann = meta.annotations or {}
        ob = self.obligation(ksvc, at=meta.at("annotations") if ann else ksvc.spec.template.at())
        problems: list[str] = []
        misplaced = sorted(k for k in ksvc.annotations if k.startswith(PREFIX))
        flags: list[z3.BoolRef] = []

        def flag(at: Span, says: str, problem: str) -> None:
            """A located defect that needs no arithmetic: a tracked Boolean that is true."""
            f = z3.Bool(f"defect{len(flags)}")
            ob.fact(f, at=at, says=says)
            flags.append(f)
            problems.append(problem)

        for k in misplaced:
            flag(
                ksvc.metadata.at("annotations", k),
                f"{k} is on the Service's metadata; Knative only accepts it under spec.template",
                f"{k} must be under spec.template.metadata.annotations",
            )
        values: dict[str, z3.ArithRef] = {}
        found: dict[str, Fraction] = {}
        for role, names in KEYS.items():
            hit = annotation(ann, names)
            if hit is None:
                continue
            key, raw = hit
            at = meta.at("annotations", key)
            value = parse_value(str(raw), role)
            if value is None:
                flag(
                    at,
                    f"{key} is {raw!r}, which the webhook rejects ("
                    + (
                        "not a float64: ParseFloat fails or overflows"
                        if role == "target"
                        else f"not an int{64 if role == 'initial' else 32}: ParseInt/Atoi fails or overflows"
                    )
                    + ")",
                    f"{key} {raw!r} is not a valid value",
                )
                continue
            if isinstance(value, float):  # NaN or ±Inf: accepted by ParseFloat, no rational to reason with
                if not value >= float(MIN_TARGET):
                    flag(
                        at,
                        f"{key} is {raw!r}: the webhook accepts it but it is not a target ≥ 0.01",
                        f"{key} {raw!r} is not a usable target",
                    )
                else:
                    ob.note(f"{key} is {raw!r} (+Inf), which is ≥ 0.01", at)
                continue
            if role == "initial" and value == 0:
                ob.only_refute(
                    f"{key} 0 is accepted only when the cluster's config-autoscaler sets "
                    "allow-zero-initial-scale (default false), which is not in the inputs"
                )
            var = z3.Real(role) if role == "target" else z3.Int(role)
            values[role], found[role] = var, value
            ob.fact(var == z3.RealVal(value) if role == "target" else var == int(value), at=at, says=f"{key} is {raw}")
        cc = ksvc.spec.template.spec.container_concurrency
        if cc is not None:
            values["cc"] = z3.Int("containerConcurrency")
            found["cc"] = Fraction(cc)
            ob.fact(
                values["cc"] == cc,
                at=ksvc.spec.template.spec.at("containerConcurrency"),
                says=f"containerConcurrency is {cc}",
            )
        bad = violations(values) + flags
        if "max" in values and not flags:
            ob.assume(
                "the cluster's config-autoscaler sets no max-scale-limit (default 0), which would also cap "
                "max-scale; that ConfigMap is not in the inputs"
            )
        ob.counterexample(
            z3.Or(bad) if bad else z3.BoolVal(False), says="a scale bound, target or concurrency is out of range"
        )
        problems += describe(found)
        ob.on(
            violated="; ".join(problems) or "autoscaling bounds are inconsistent",
            proved="autoscaling bounds are consistent" + (f" ({summary(found)})" if found else " (defaults)"),
        )
        return ob
