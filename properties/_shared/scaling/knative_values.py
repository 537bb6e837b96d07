"""Knative autoscaling annotation values for CNV405: which spelling wins, how the webhook parses each value
(``knative.dev/serving`` ``pkg/apis/autoscaling/annotation_validation.go``), and the bound constraints."""

from __future__ import annotations

import math
from fractions import Fraction

import z3
from cnverify.properties._shared.scaling.go_numbers import parse_float, parse_int

PREFIX = "autoscaling.knative.dev/"
KEYS = {
    "min": ("min-scale", "minScale"),
    "max": ("max-scale", "maxScale"),
    "initial": ("initial-scale", "initialScale"),
    "target": ("target",),
}
MIN_TARGET = Fraction(0.01)  # TargetMin, the float64 0.01 the webhook compares against
MAX_CONCURRENCY = 1000


def annotation(annotations: dict[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    """(key, value) of the first spelling present (the new spelling wins:
    docs/SEMANTICS.md#knative-autoscaling-annotations)."""
    for n in names:
        if PREFIX + n in annotations:
            return PREFIX + n, annotations[PREFIX + n]
    return None


def parse_value(raw: str, role: str) -> Fraction | float | None:
    """The value Knative's webhook reads, or None when it rejects the text (``annotation_validation.go``).

    min/max-scale: ``strconv.ParseInt(v, 10, 32)`` (``getIntGE0``); initial-scale: ``strconv.Atoi``
    (int64); target: ``strconv.ParseFloat(v, 64)`` — overflow (``1e400``) is an error, ``NaN`` and
    ``Inf`` are accepted (returned as floats), hex floats (``0x1p-2``) and ``_`` separators parse.
    """
    if role == "target":
        f = parse_float(raw)
        return None if f is None else f if not math.isfinite(f) else Fraction(f)
    v = parse_int(raw, 64 if role == "initial" else 32)
    return None if v is None else Fraction(v)


def violations(v: dict[str, z3.ArithRef]) -> list[z3.BoolRef]:
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


def describe(f: dict[str, Fraction]) -> list[str]:
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


def summary(f: dict[str, Fraction]) -> str:
    names = {
        "min": "min-scale",
        "max": "max-scale",
        "initial": "initial-scale",
        "target": "target",
        "cc": "containerConcurrency",
    }
    return ", ".join(
        f"{names[k]} {float(v):g}" + (" (unbounded)" if k == "max" and v == 0 else "") for k, v in f.items()
    )
