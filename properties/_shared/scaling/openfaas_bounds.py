"""CNV401's OpenFaaS part: a function's ``com.openfaas.scale.min`` ≤ ``com.openfaas.scale.max`` (docs/SEMANTICS.md#openfaas)."""

from __future__ import annotations

from collections.abc import Callable

import z3
from cnverify.errors import Span
from cnverify.model.openfaas import CE_MAX, PRO_MAX_DEFAULT, SCALE_MAX, SCALE_MIN, Function, atoi
from cnverify.obligation import Obligation


def _read(fn: Function, key: str) -> tuple[int | None, str, Span]:
    """The label's value as OpenFaaS reads it (None: the default applies), the sentence and its span."""
    raw, f = fn.scale_labels.get(key), fn.fields
    if raw is None:
        return None, f"{key} is not set", f.at()
    value = atoi(raw)
    if value is None:
        return None, f"{key} {raw!r} is not an integer: OpenFaaS ignores it", f.at("labels", key)
    return value, f"{key} is {value}", f.at("labels", key)


def function_bounds(obligation: Callable[..., Obligation], fn: Function) -> Obligation:
    """min ≤ max for one function: proved, violated, or ``unknown`` when the answer depends on the edition."""
    labels = fn.scale_labels
    has = [k for k in (SCALE_MIN, SCALE_MAX) if k in labels]
    ob = obligation(fn, at=fn.fields.at("labels", has[0]) if has else fn.fields.at())
    if any("${" in labels[k] for k in has):
        ob.unknown("the scale labels take values from the deploy environment (faas-cli substitutes ${…})")
        return ob
    lo_v, hi_v = z3.Int("scale.min"), z3.Int("scale.max")
    lo, lo_says, lo_at = _read(fn, SCALE_MIN)
    ob.fact(lo_v == (1 if lo is None else lo), at=lo_at, says=lo_says + ("; the minimum is 1" if lo is None else ""))
    hi, hi_says, hi_at = _read(fn, SCALE_MAX)
    low = 1 if lo is None else lo
    if hi is not None:
        ob.fact(hi_v == hi, at=hi_at, says=hi_says)
    elif fn.pro_only:
        ob.fact(
            hi_v == PRO_MAX_DEFAULT, at=hi_at, says=hi_says + f"; OpenFaaS Pro's default maximum is {PRO_MAX_DEFAULT}"
        )
    elif CE_MAX < low <= PRO_MAX_DEFAULT:
        ob.unknown(
            f"{hi_says}: the default maximum is {CE_MAX} in Community Edition (which also rejects a minimum above "
            f"{CE_MAX}) and {PRO_MAX_DEFAULT} in Pro, and the edition is not in the inputs"
        )
        return ob
    else:
        ob.fact(
            hi_v == (CE_MAX if low <= CE_MAX else PRO_MAX_DEFAULT),
            at=hi_at,
            says=hi_says + f"; the default maximum is {CE_MAX} (Community Edition) or {PRO_MAX_DEFAULT} (Pro)",
        )
    ob.counterexample(lo_v > hi_v, says="scale.min > scale.max")
    ob.show("scale.min", lo_v)
    ob.show("scale.max", hi_v)
    ob.on(
        violated=lambda w: f"com.openfaas.scale.min {w['scale.min']} > com.openfaas.scale.max {w['scale.max']}",
        proved=lambda _: "com.openfaas.scale.min ≤ com.openfaas.scale.max holds",
    )
    return ob


__all__ = ["function_bounds"]
