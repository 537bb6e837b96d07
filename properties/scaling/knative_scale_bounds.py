"""CNV405 knative-scale-bounds."""
from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction

import z3

from cnverify.errors import Span
from cnverify.model import KnativeService
from cnverify.obligation import Obligation
from cnverify.registry import Property, register
from cnverify.snapshot import Snapshot

PREFIX = "autoscaling.knative.dev/"
KEYS = {"min": ("min-scale", "minScale"), "max": ("max-scale", "maxScale"),
        "initial": ("initial-scale", "initialScale"), "target": ("target",)}
MIN_TARGET = Fraction(1, 100)
MAX_CONCURRENCY = 1000
INTEGER = re.compile(r"[+-]?[0-9]+")


def _annotation(annotations: dict[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    """(key, value) of the first spelling present (the new spelling wins, SEMANTICS §7.2)."""
    for n in names:
        if PREFIX + n in annotations:
            return PREFIX + n, annotations[PREFIX + n]
    return None


def _number(raw: str, integral: bool) -> Fraction | None:
    """The value Knative's webhook reads, or None when it rejects the text.

    Integers go through ``strconv.ParseInt(v, 10, 32)`` (no spaces, no decimals or exponents,
    int32 range); ``target`` through ``strconv.ParseFloat`` (no surrounding spaces).
    """
    if integral:
        if not INTEGER.fullmatch(raw) or len(raw) > 11 or not -(2**31) <= int(raw) < 2**31:
            return None
        return Fraction(int(raw))
    if raw != raw.strip():
        return None
    try:
        return Fraction(raw)
    except (ValueError, ZeroDivisionError):
        return None


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

    ## Example
    ```yaml
    spec:
      template:
        metadata:
          annotations: {autoscaling.knative.dev/min-scale: "5", autoscaling.knative.dev/max-scale: "2"}
    ```
    """

    code = "CNV405"
    name = "knative-scale-bounds"
    title = "Knative autoscaling bounds are consistent"
    severity = "error"
    reads = (KnativeService,)
    remediation = "Put autoscaling annotations under spec.template.metadata with min ≤ initial ≤ max (0 = no max)."

    def obligations(self, snap: Snapshot) -> Iterator[Obligation]:
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
            flag(ksvc.metadata.at("annotations", k), f"{k} is on the Service's metadata; Knative only accepts "
                 "it under spec.template", f"{k} must be under spec.template.metadata.annotations")
        values: dict[str, z3.ArithRef] = {}
        found: dict[str, Fraction] = {}
        for role, names in KEYS.items():
            hit = _annotation(ann, names)
            if hit is None:
                continue
            key, raw = hit
            at = meta.at("annotations", key)
            number = _number(str(raw), integral=role != "target")
            if number is None:
                flag(at, f"{key} is {raw!r}, not {'a number' if role == 'target' else 'an integer'}",
                     f"{key} {raw!r} is not a valid value")
                continue
            var = z3.Real(role) if role == "target" else z3.Int(role)
            values[role], found[role] = var, number
            ob.fact(var == z3.RealVal(number) if role == "target" else var == int(number), at=at,
                    says=f"{key} is {raw}")
        cc = ksvc.spec.template.spec.container_concurrency
        if cc is not None:
            values["cc"] = z3.Int("containerConcurrency")
            found["cc"] = Fraction(cc)
            ob.fact(values["cc"] == cc, at=ksvc.spec.template.spec.at("containerConcurrency"),
                    says=f"containerConcurrency is {cc}")
        bad = _violations(values) + flags
        ob.counterexample(z3.Or(bad) if bad else z3.BoolVal(False),
                          says="a scale bound, target or concurrency is out of range")
        problems += _describe(found)
        ob.on(violated="; ".join(problems) or "autoscaling bounds are inconsistent",
              proved="autoscaling bounds are consistent" + (f" ({_summary(found)})" if found else " (defaults)"))
        return ob


def _violations(v: dict[str, z3.ArithRef]) -> list[z3.BoolRef]:
    out: list[z3.BoolRef] = [x < 0 for k, x in v.items() if k in ("min", "max", "initial", "cc")]
    if "min" in v and "max" in v:
        out.append(z3.And(v["max"] != 0, v["min"] > v["max"]))
    if "initial" in v and "min" in v:
        out.append(v["initial"] < v["min"])
    if "initial" in v and "max" in v:
        out.append(z3.And(v["max"] != 0, v["initial"] > v["max"]))
    if "target" in v:
        out.append(v["target"] < z3.RealVal(MIN_TARGET))
    if "cc" in v:
        out.append(v["cc"] > MAX_CONCURRENCY)
    return out


def _describe(f: dict[str, Fraction]) -> list[str]:
    """The same constraints as :func:`_violations`, evaluated on values, for the message."""
    out = [f"{k}-scale {f[k]} is negative" for k in ("min", "max", "initial") if k in f and f[k] < 0]
    lo, hi, init = f.get("min"), f.get("max"), f.get("initial")
    if lo is not None and hi not in (None, 0) and lo > hi:
        out.append(f"min-scale {lo} > max-scale {hi}")
    if init is not None and lo is not None and init < lo:
        out.append(f"initial-scale {init} < min-scale {lo}")
    if init is not None and hi not in (None, 0) and init > hi:
        out.append(f"initial-scale {init} > max-scale {hi}")
    if "target" in f and f["target"] < MIN_TARGET:
        out.append(f"target {float(f['target']):g} is below 0.01")
    if "cc" in f and not 0 <= f["cc"] <= MAX_CONCURRENCY:
        out.append(f"containerConcurrency {f['cc']} is outside [0, {MAX_CONCURRENCY}]")
    return out


def _summary(f: dict[str, Fraction]) -> str:
    names = {"min": "min-scale", "max": "max-scale", "initial": "initial-scale", "target": "target",
             "cc": "containerConcurrency"}
    return ", ".join(f"{names[k]} {float(v):g}" + (" (unbounded)" if k == "max" and v == 0 else "")
                     for k, v in f.items())


