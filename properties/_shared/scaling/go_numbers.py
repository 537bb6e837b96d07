"""Go's ``strconv`` number parsing, exactly as Knative's webhook applies it to annotation text.

Checked against Go ``src/strconv/atof.go`` (``special``, ``readFloat``: optional sign, ``inf``/
``infinity``/``nan`` case-insensitively, decimal or ``0x`` mantissa, a hex mantissa needs a ``p``
exponent, ``_`` only between digits (``underscoreOK``), overflow is ``ErrRange``, underflow is 0) and
``atoi.go`` (``ParseInt(s, 10, bits)``: sign and decimal digits only, no ``_`` in base 10;
``Atoi`` = ``ParseInt(s, 10, 0)``, int64 on 64-bit platforms).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

_DEC = re.compile(r"(?P<int>[0-9_]*)(?:\.(?P<frac>[0-9_]*))?(?:[eE](?P<exp>[+-]?[0-9_]+))?")
_HEX = re.compile(r"0[xX](?P<int>[0-9a-fA-F_]*)(?:\.(?P<frac>[0-9a-fA-F_]*))?[pP](?P<exp>[+-]?[0-9_]+)")
_INT = re.compile(r"[+-]?[0-9]+")


def _underscore_ok(s: str) -> bool:
    """``underscoreOK``: every ``_`` sits between digits (a base prefix counts as a digit)."""
    if s[:1] in "+-" and s:
        s = s[1:]
    saw, i, hexa = "^", 0, False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i, saw, hexa = 2, "0", s[1].lower() == "x"
    for c in s[i:]:
        if c.isdigit() or (hexa and c.lower() in "abcdef"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
    return saw != "_"


def _special(s: str) -> float | None:
    body, sign = (s[1:], -1.0 if s[0] == "-" else 1.0) if s[:1] in ("+", "-") else (s, 1.0)
    if body.lower() in ("inf", "infinity"):
        return math.copysign(math.inf, sign)
    if s.lower() == "nan":  # no sign: ``special`` only falls through to "inf" after a sign
        return math.nan
    return None


def parse_float(s: str) -> float | None:
    """``strconv.ParseFloat(s, 64)``: the float64 value, or None on ErrSyntax / ErrRange."""
    if not s:
        return None
    special = _special(s)
    if special is not None:
        return special
    sign, body = (-1 if s[0] == "-" else 1, s[1:]) if s[0] in "+-" else (1, s)
    m = _HEX.fullmatch(body) or _DEC.fullmatch(body)
    if m is None or ("_" in body and not _underscore_ok(body)):
        return None
    digits_int, digits_frac = (m.group("int") or "").replace("_", ""), (m.group("frac") or "").replace("_", "")
    if not digits_int and not digits_frac:
        return None
    exp = int((m.group("exp") or "0").replace("_", "")[:12])  # beyond 12 digits it is 0 or ErrRange anyway
    hexa = m.re is _HEX
    mant_text = (digits_int + digits_frac).lstrip("0")
    scale = exp - (4 if hexa else 1) * len(digits_frac)
    # position of the leading digit in bits (hex) or decimal digits: beyond these bounds the value is
    # far above MaxFloat64 (2^1024 ≈ 1.8e308: ErrRange) or far below the smallest subnormal (0)
    magnitude = scale + (
        int(mant_text, 16).bit_length() if hexa and mant_text else 4 * len(mant_text) if hexa else len(mant_text)
    )
    if not mant_text or magnitude < (-1200 if hexa else -400):
        return math.copysign(0.0, sign)
    if magnitude > (1100 if hexa else 400):
        return None
    value = Fraction(int(mant_text, 16)) * Fraction(2) ** scale if hexa else Fraction(Decimal(f"{mant_text}E{scale}"))
    try:
        return sign * (value.numerator / value.denominator)  # correctly rounded; OverflowError past max
    except OverflowError:
        return None


def parse_int(s: str, bits: int) -> int | None:
    """``strconv.ParseInt(s, 10, bits)``: the value, or None on ErrSyntax / ErrRange."""
    if not _INT.fullmatch(s) or len(s.lstrip("+-").lstrip("0")) > 20:  # beyond any int64: ErrRange
        return None
    v = int(s)
    return v if -(2 ** (bits - 1)) <= v < 2 ** (bits - 1) else None


def exact(value: float) -> Fraction:
    """The exact rational value of a finite float64."""
    return Fraction(value)
