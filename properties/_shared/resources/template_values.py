"""A number of a CloudFormation template as a Z3 term (CNV103, CNV304): a constant, or a template parameter
bounded by its ``AllowedValues`` or ``MinValue``/``MaxValue`` — one symbol standing for every value the template
allows, so that a proof holds for all of them and a violation names the value that breaks it. Anything else (a
parameter without bounds, ``Fn::If``, another intrinsic) is not a value: the caller's verdict is ``unknown``."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import z3
from cnverify.model.lambda_sam import Template
from cnverify.obligation import Obligation

Path = tuple[str | int, ...]


def constant(value: Any) -> Fraction | None:
    """A number as written (CloudFormation also takes numbers as strings: ``"0.1"``), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Fraction(value)
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            return None
    return None


def _val(x: Fraction, integer: bool) -> z3.ArithRef:
    return z3.IntVal(int(x)) if integer else z3.RealVal(f"{x.numerator}/{x.denominator}")


def _shown(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else format(float(x), "g")


def number(
    ob: Obligation, t: Template, value: Any, path: Path, label: str, *, integer: bool = True, scale: int = 1
) -> tuple[z3.ArithRef | None, str | None]:
    """``value`` (at ``path`` of ``t``) as a term with its facts added to ``ob``, or (None, why not).

    ``integer``: the field takes whole numbers (a non-integer constant or allowed value is not modelled);
    ``scale``: the term is the written number divided by it (a percentage read as a fraction: 100).
    """
    fixed = constant(value)
    if fixed is not None:
        if integer and fixed.denominator != 1:
            return None, f"{label} is {value}: not a whole number"
        whole = integer and scale == 1
        v = z3.Int(label) if whole else z3.Real(label)
        ob.fact(v == _val(fixed / scale, whole), at=t.at(*path), says=f"{label} is {_shown(fixed)}")
        return v, None
    ref = value.get("Ref") if isinstance(value, dict) and len(value) == 1 else None
    param = t.parameters.get(ref) if isinstance(ref, str) else None
    if not isinstance(ref, str) or not isinstance(param, dict):
        return None, f"{label} is {value!r}: not a number or a parameter of the template"
    v, p_at = (z3.Int(ref) if integer else z3.Real(ref)), t.at("Parameters", ref)
    allowed = [constant(a) for a in param.get("AllowedValues") or []]
    lo, hi = constant(param.get("MinValue")), constant(param.get("MaxValue"))
    bounds = [x for x in (*allowed, lo, hi) if x is not None]
    if None in allowed or (integer and any(x.denominator != 1 for x in bounds)):
        return None, f"parameter {ref} allows values that are not {'whole ' if integer else ''}numbers"
    known = [a for a in allowed if a is not None]
    if known:
        shown = [int(a) if a.denominator == 1 else float(a) for a in known]
        ob.fact(
            z3.Or(*(v == _val(a, integer) for a in known)),
            at=p_at,
            says=f"parameter {ref} is one of {shown}",
        )
    elif lo is not None or hi is not None:
        if lo is not None:
            ob.fact(
                v >= _val(lo, integer), at=t.at("Parameters", ref, "MinValue"), says=f"parameter {ref} ≥ {_shown(lo)}"
            )
        if hi is not None:
            ob.fact(
                v <= _val(hi, integer), at=t.at("Parameters", ref, "MaxValue"), says=f"parameter {ref} ≤ {_shown(hi)}"
            )
        if hi is None:
            return None, f"parameter {ref} has no MaxValue: it may take any value above {_shown(lo)}"  # type: ignore[arg-type]
    else:
        return None, f"{label} is parameter {ref}, which has no MinValue/MaxValue/AllowedValues: any value is allowed"
    ob.show(ref, v)
    if scale == 1:
        ob.fact(v == v, at=t.at(*path), says=f"{label} is parameter {ref}")
        return v, None
    scaled = z3.Real(f"{label} / {scale}")
    ob.fact(
        scaled == (z3.ToReal(v) if integer else v) / scale,
        at=t.at(*path),
        says=f"{label} is parameter {ref} (a percentage)",
    )
    return scaled, None
