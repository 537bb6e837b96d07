"""Service-splitter weights, computed exactly as Go computes them in float32.

Consul (agent/structs/config_entry_discoverychain.go): ``Normalize`` rounds each weight to 0.01
(``scaleWeight(w) = int(math.Round(float64(w * 100.0)))`` with a float32 product, then ``float32(n) / 100``) and
``Validate`` requires the scaled weights to sum to exactly 10000. The consul-k8s webhook
(control-plane/api/v1alpha1/servicesplitter_types.go ``ServiceSplits.validate``) instead adds the unrounded
float32 weights in order and requires the float32 sum to equal 100, and each weight to be 0 or in [0.01, 100].
Every float32 operation here is one IEEE operation on doubles followed by one rounding to float32, which is
exact for +, × and ÷ (a double holds 2·24+2 bits), so the results are Go's.
"""

from __future__ import annotations

import math
import struct
from fractions import Fraction


def f32(x: float) -> float:
    """``x`` rounded to the nearest float32 (ties to even), as a Python float."""
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


def scale(w: float) -> int:
    """Consul's ``scaleWeight``: the float32 product ``w * 100``, rounded half away from zero (Go ``math.Round``)."""
    p = f32(f32(w) * 100.0)
    return int(math.copysign(math.floor(abs(p) + 0.5), p))


def consul_scaled(w: float) -> int:
    """The weight in hundredths after ``Normalize`` (rounded to 0.01) as ``Validate`` scales it again."""
    normalized = f32(f32(float(scale(w))) / 100.0)
    return scale(normalized)


def webhook_sum(weights: list[float]) -> Fraction:
    """The consul-k8s webhook's float32 running sum of the weights, exactly."""
    total = 0.0
    for w in weights:
        total = f32(total + f32(w))
    return Fraction(total)


def webhook_bad_weight(w: float) -> bool:
    """The webhook's per-weight rule: 0, or within [0.01, 100] (compared in float32)."""
    x = f32(w)
    return x != 0 and (x > 100 or x < f32(0.01))
