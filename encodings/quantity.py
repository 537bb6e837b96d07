"""Kubernetes ``resource.Quantity``: exact parsing and milli-unit defaulting (docs/SEMANTICS.md#quantity).

Checked against kubernetes/apimachinery ``pkg/api/resource``: ``parseQuantityString`` and
``ParseQuantity`` (quantity.go), ``suffixHandler.interpret`` (suffix.go), ``UnmarshalJSON``
(the decoder path a manifest takes), and kubernetes ``pkg/apis/core/v1/defaults.go``
(``SetDefaults_ResourceList`` = ``RoundUp(-3)``, away from zero).

Values are exact :class:`fractions.Fraction` objects; stored API values are ``int`` milli-units.
Two error kinds, which callers must keep apart:

* :class:`QuantityError` -- the API server rejects the value (a real finding);
* :class:`QuantityUnsupported` -- the outcome is not modelled (absurd exponents, integers beyond
  int64, ``null``, encoding-dependent whitespace); callers must answer ``unknown``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

import z3

__all__ = [
    "BINARY_SUFFIXES",
    "DECIMAL_SUFFIXES",
    "MAX_BINARY",
    "MAX_EXPONENT",
    "QuantityError",
    "QuantityUnsupported",
    "format_milli",
    "milli",
    "parse_quantity",
    "parse_quantity_string",
    "to_milli",
    "z3_milli",
]

#: Decimal SI suffixes -> power of ten (``""`` is the bare number).
DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
#: Binary SI suffixes -> power of two.
BINARY_SUFFIXES: dict[str, int] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}

#: ParseQuantity silently caps the magnitude of binary-suffixed values here (``8Ei`` -> 2^63-1).
MAX_BINARY = 2**63 - 1
#: Largest |decimal exponent| modelled; Go accepts (or hangs on) larger ones, we answer unknown.
MAX_EXPONENT = 1000
MAX_DIGITS = 4000  # integer digits of a decimal value (below Python's 4300-digit int/str conversion limit)

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_NANO_PER_UNIT = 10**9
_DIGITS = frozenset("0123456789")
_SUFFIX_LETTERS = frozenset("eEinumkKMGTP")
# A number without digits ("", ".", "+", "-.") is only accepted on ParseQuantity's int64 fast
# path: decimal exponents >= -9, binary suffixes up to Ti (its precision estimate turns
# negative from Pi on, and the inf.Dec fallback rejects a digit-less number).
_DIGITLESS_MIN_EXPONENT = -9
_DIGITLESS_MAX_BINARY_POWER = 40

# Go's unicode.IsSpace, which strings.TrimSpace uses in Quantity.UnmarshalJSON / UnmarshalCBOR.
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + ("\u2028\u2029\u202f\u205f\u3000")
# encoding/json escapes these ("\t", "\u2028", ...); UnmarshalJSON sees the escape, not a space.
_JSON_ESCAPED_SPACE = frozenset("\t\n\v\f\r\u2028\u2029")
_JSON_RAW_SPACE = "".join(c for c in _GO_SPACE if c not in _JSON_ESCAPED_SPACE)

_BYTE_RESOURCES = frozenset({"memory", "ephemeral-storage", "storage"})
_QUOTA_PREFIXES = ("requests.", "limits.")


class QuantityError(ValueError):
    """The API server rejects ``raw`` as a quantity."""

    def __init__(self, raw: object, reason: str) -> None:
        self.raw = raw
        self.reason = reason
        super().__init__(f"invalid quantity {_shown(raw)}: {reason}")


class QuantityUnsupported(ValueError):
    """The API server's outcome for ``raw`` is not modelled; report ``unknown``, never a verdict."""

    def __init__(self, raw: object, reason: str) -> None:
        self.raw = raw
        self.reason = reason
        super().__init__(f"quantity {_shown(raw)} is not modelled: {reason}")


def _shown(raw: object) -> str:
    """``repr(raw)``, cut to 60 characters (a hostile value may be thousands long)."""
    text = repr(raw) if not isinstance(raw, int) or abs(raw) < 10**50 else f"<{raw.bit_length()}-bit integer>"
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class _Parts:
    negative: bool
    integer: str
    fraction: str
    suffix: str


def _split(text: str) -> _Parts:
    """``parseQuantityString``: sign, digits, optional ``.digits``, letters, sign, digits."""
    pos, end = 0, len(text)
    negative = False
    if pos < end and text[pos] in "+-":
        negative = text[pos] == "-"
        pos += 1
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    integer, fraction = text[start:pos], ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        fraction = text[start:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_LETTERS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise QuantityError(text, f"unexpected character {text[pos]!r} at offset {pos}")
    return _Parts(negative, integer, fraction, text[suffix_start:])


def _go_parse_int64(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``: optional sign, ASCII digits, int64 range."""
    body = text[1:] if text.startswith(("+", "-")) else text
    if not body or not set(body) <= _DIGITS:
        return None
    if len(body) > 19:  # past int64 (and past Python's int-from-str digit limit)
        return None
    value = int(text)
    return value if _INT64_MIN <= value <= _INT64_MAX else None


def _wrap_int32(value: int) -> int:
    """Go's ``int32(value)`` conversion (two's-complement truncation)."""
    return (value + 2**31) % 2**32 - 2**31


def _interpret(text: str, suffix: str) -> tuple[int, int]:
    """``suffixHandler.interpret``: tables first, then ``e``/``E`` + int64 exponent."""
    if suffix in DECIMAL_SUFFIXES:
        return 10, DECIMAL_SUFFIXES[suffix]
    if suffix in BINARY_SUFFIXES:
        return 2, BINARY_SUFFIXES[suffix]
    if len(suffix) > 1 and suffix[0] in "eE":
        exponent = _go_parse_int64(suffix[1:])
        if exponent is None:
            raise QuantityError(text, f"exponent {suffix!r} is not an int64 integer")
        return 10, _wrap_int32(exponent)  # interpret() returns int32(parsed): it wraps
    hint = ""
    for known in (*DECIMAL_SUFFIXES, *BINARY_SUFFIXES):
        if known and known.lower() == suffix.lower():
            hint = f" (suffixes are case-sensitive: did you mean {known!r}?)"
    if suffix == "e":
        hint = " (a lower-case e starts an exponent and needs digits; exa is 'E')"
    raise QuantityError(text, f"unknown suffix {suffix!r}{hint}")


#: Distinct texts whose parsed value is remembered (a run sees a few hundred; the bound keeps hostile input small).
MEMO_SIZE = 1 << 14


def parse_quantity_string(text: str) -> Fraction:
    """Exact value of bare ``ParseQuantity(text)`` (no whitespace trimming)."""
    if type(text) is str:
        return _parse_text(text)
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    return _parse_text.__wrapped__(text)


@lru_cache(maxsize=MEMO_SIZE)
def _parse_text(text: str) -> Fraction:
    """``parse_quantity_string`` of a ``str`` (remembered for plain ``str``: the value is a function of the text
    alone; errors are raised afresh each time)."""
    if text == "":
        raise QuantityError(text, "empty string")
    parts = _split(text)
    base, exponent = _interpret(text, parts.suffix)
    digits = parts.integer + parts.fraction
    if not digits:
        if (base == 10 and exponent >= _DIGITLESS_MIN_EXPONENT) or (
            base == 2 and exponent <= _DIGITLESS_MAX_BINARY_POWER
        ):
            return Fraction(0)
        raise QuantityError(text, "the numeric part has no digits")
    mantissa = int(digits) if len(digits) <= 4000 else int(Decimal(digits))  # no int-from-str digit limit
    if mantissa == 0:
        return Fraction(0)
    if base == 10 and abs(exponent) > MAX_EXPONENT:
        raise QuantityUnsupported(text, f"decimal exponent {exponent} beyond ±{MAX_EXPONENT}")
    if base == 10 and len(parts.integer.lstrip("0")) + exponent > MAX_DIGITS:
        raise QuantityUnsupported(text, f"a value of more than {MAX_DIGITS} digits")
    magnitude = Fraction(mantissa, 10 ** len(parts.fraction)) * Fraction(base) ** exponent
    # Parse-time rounding: up in magnitude to a multiple of 10^-9 (inf.RoundUp on |value|).
    magnitude = Fraction(math.ceil(magnitude * _NANO_PER_UNIT), _NANO_PER_UNIT)
    if base == 2 and magnitude > MAX_BINARY:
        magnitude = Fraction(MAX_BINARY)
    return -magnitude if parts.negative else magnitude


def _decoder_trim(raw: str) -> str:
    """``strings.TrimSpace`` as ``UnmarshalJSON`` applies it to the still-escaped JSON text."""
    over_json = raw.strip(_JSON_RAW_SPACE)
    over_cbor = raw.strip(_GO_SPACE)
    if over_json == over_cbor:
        return over_json
    # Escaped control whitespace at an edge: JSON rejects it, the CBOR decoder would trim it.
    try:
        parse_quantity_string(over_cbor)
    except QuantityError:
        raise QuantityError(raw, "not a quantity even with its whitespace trimmed") from None
    raise QuantityUnsupported(raw, "surrounding control whitespace: rejected over JSON, accepted over CBOR")


def parse_quantity(raw: str | int | float) -> Fraction:
    """Exact value of a manifest's quantity field, as the API server's JSON decoder parses it.

    Strings get ``UnmarshalJSON``'s whitespace trim, then ``ParseQuantity``; YAML/JSON numbers are
    parsed from their decimal text (a float from its shortest repr: ``0.1`` -> 1/10).
    """
    if isinstance(raw, bool):
        raise QuantityError(raw, "a boolean is not a quantity")
    if isinstance(raw, int):
        if not _INT64_MIN <= raw <= _INT64_MAX:
            raise QuantityUnsupported(raw, "integer literal outside int64 (clients may round it)")
        return parse_quantity_string(int.__repr__(raw))  # subclasses may override repr/str
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise QuantityError(raw, "NaN and infinities have no JSON encoding")
        return parse_quantity_string(float.__repr__(raw))
    if isinstance(raw, str):
        return _parse_raw(raw) if type(raw) is str else parse_quantity_string(_decoder_trim(raw))
    if raw is None:
        raise QuantityUnsupported(raw, "null (decoded as a zero quantity, not modelled)")
    raise QuantityError(raw, f"a {type(raw).__name__} is not a quantity")


@lru_cache(maxsize=MEMO_SIZE)
def _parse_raw(raw: str) -> Fraction:
    return parse_quantity_string(_decoder_trim(raw))


def to_milli(value: Fraction) -> int:
    """``SetDefaults_ResourceList``: round to milli-units away from zero (``RoundUp(-3)``)."""
    scaled = Fraction(value) * 1000
    magnitude = math.ceil(abs(scaled))
    return magnitude if scaled >= 0 else -magnitude


def milli(raw: str | int | float) -> int:
    """Stored value of a ResourceList entry, in integer milli-units."""
    if type(raw) is str:  # the common case, remembered per text (not a subclass, not 1 == 1.0 == True)
        return _milli_of_text(raw)
    return to_milli(parse_quantity(raw))


@lru_cache(maxsize=MEMO_SIZE)
def _milli_of_text(raw: str) -> int:
    return to_milli(_parse_raw(raw))


def _is_byte_resource(resource: str) -> bool:
    for prefix in _QUOTA_PREFIXES:
        resource = resource.removeprefix(prefix)
    return resource in _BYTE_RESOURCES or resource.startswith("hugepages-")


_FORMATTED: dict[tuple[int, str | None], str] = {}
"""``format_milli``'s texts by (int, resource): a pure function of both, asked for the same few sizes by every
member of every quota (the first 4,096 pairs are kept)."""


def format_milli(m: int, resource: str | None = None) -> str:
    """Human form of ``m`` milli-units for messages: ``1500m``, ``2``; byte resources get the
    suffix with the smallest whole mantissa (``1Gi``, ``500M``)."""
    if type(m) is not int or (resource is not None and type(resource) is not str):
        return _format_milli(m, resource)
    text = _FORMATTED.get((m, resource))
    if text is None:
        text = _format_milli(m, resource)
        if len(_FORMATTED) < 4096:
            _FORMATTED[(m, resource)] = text
    return text


def _format_milli(m: int, resource: str | None) -> str:
    sign = "-" if m < 0 else ""
    m = abs(m)
    if m % 1000:
        return f"{sign}{m}m"
    units = m // 1000
    best = (units, "")
    if units and resource is not None and _is_byte_resource(resource):
        scales = [(2**p, s) for s, p in BINARY_SUFFIXES.items()]
        scales += [(10**e, s) for s, e in DECIMAL_SUFFIXES.items() if e > 0]
        best = min([best] + [(units // f, s) for f, s in scales if units % f == 0])
    return f"{sign}{best[0]}{best[1]}"


def z3_milli(raw: str | int | float) -> z3.ArithRef:
    """The stored value of ``raw`` as a Z3 integer constant in milli-units."""
    return z3.IntVal(milli(raw))
