"""resource.Quantity (docs/SEMANTICS.md#quantity): trap table, decoder behaviour, milli defaulting, and a
Hypothesis oracle against an independent Decimal/regex reference of ParseQuantity."""

from __future__ import annotations

import ctypes
import re
from decimal import ROUND_UP, Decimal, localcontext
from fractions import Fraction

import pytest
import z3
from cnverify.encodings import quantity
from cnverify.encodings.quantity import (
    QuantityError,
    QuantityUnsupported,
    format_milli,
    milli,
    parse_quantity,
    parse_quantity_string,
    to_milli,
    z3_milli,
)
from hypothesis import given, settings
from hypothesis import strategies as st

F = Fraction
GI = 2**30

VALID = [
    # plain numbers, signs, leading zeros, dangling dot
    ("0", F(0)),
    ("1", F(1)),
    ("+5", F(5)),
    ("-5", F(-5)),
    ("007", F(7)),
    ("1.", F(1)),
    (".5", F(1, 2)),
    (".001", F(1, 1000)),
    ("1.G", F(10**9)),
    ("0.5e0", F(1, 2)),
    # decimal SI, case-sensitive: m = milli, M = mega, E = exa
    ("5n", F(5, 10**9)),
    ("4u", F(4, 10**6)),
    ("3m", F(3, 1000)),
    ("8k", F(8000)),
    ("7M", F(7 * 10**6)),
    ("6G", F(6 * 10**9)),
    ("5T", F(5 * 10**12)),
    ("2P", F(2 * 10**15)),
    ("1E", F(10**18)),
    ("12E", F(12 * 10**18)),
    ("100.035k", F(100035)),
    # binary SI, fractions allowed
    ("1Ki", F(1024)),
    ("7Mi", F(7 * 2**20)),
    ("1Gi", F(GI)),
    ("5Ti", F(5 * 2**40)),
    ("4Pi", F(4 * 2**50)),
    ("3Ei", F(3 * 2**60)),
    ("1.5Gi", F(1610612736)),
    ("0.5Mi", F(524288)),
    ("100.035Ki", F(10243584, 100)),
    ("0.05Gi", F(536870912, 10)),
    # exponent forms: table first, so "1E" is exa but "1E3" is an exponent
    ("1E3", F(1000)),
    ("1e3", F(1000)),
    ("1E-3", F(1, 1000)),
    ("1.3E+6", F(1300000)),
    ("1e03", F(1000)),
    ("1e+21", F(10**21)),
    ("1e30", F(10**30)),
    # parse-time rounding: up in magnitude to a multiple of 10^-9
    ("0.00000012345", F(124, 10**9)),
    ("0.00000012354", F(124, 10**9)),
    ("0.0000000001", F(1, 10**9)),
    ("0.9n", F(1, 10**9)),
    ("3.001n", F(4, 10**9)),
    ("1.1E-9", F(2, 10**9)),
    ("0.000000000001Ki", F(2, 10**9)),
    (".000000001Ki", F(1024, 10**9)),
    ("-0.0000000001", F(-1, 10**9)),
    ("1e-1000", F(1, 10**9)),
    ("123e-11", F(2, 10**9)),
    # binary suffixes are capped at 2^63-1 in magnitude; decimal ones are not
    ("8Ei", F(2**63 - 1)),
    ("9Ei", F(2**63 - 1)),
    ("-8Ei", F(-(2**63 - 1))),
    ("9223372036854775807Ki", F(2**63 - 1)),
    ("7Ei", F(7 * 2**60)),
    ("18446744073709551616", F(2**64)),
    ("9223372036854775.808e3", F(9223372036854775808)),
    # numbers without digits are zero where ParseQuantity's int64 fast path takes them
    (".", F(0)),
    ("+", F(0)),
    ("-", F(0)),
    ("-.", F(0)),
    ("k", F(0)),
    ("Ki", F(0)),
    ("Ti", F(0)),
    (".e-9", F(0)),
    ("E", F(0)),
    ("0Ei", F(0)),
    ("-0", F(0)),
    # interpret() truncates the int64 exponent to int32
    ("1e4294967296", F(1)),
    ("1e4294967295", F(1, 10)),
    ("1e-4294967297", F(1, 10)),
    ("0e9223372036854775807", F(0)),
    ("1e8589934592", F(1)),
    ("e-2147483649", F(0)),
    ("1e-9223372036854775808", F(1)),
    ("-01e4294967297", F(-10)),
    # long mantissas: exact, then rounded up to nano; binary ones capped
    ("+9223372036854775.808e-19", F(922338, 10**9)),
    ("9223372036854775.808e-10", F(922337203685478, 10**9)),
    ("9223372036854775.808Gi", F(2**63 - 1)),
    ("9223372036854775.808e1000", F(9223372036854775808) * 10**997),
    ("-12e-10", F(-2, 10**9)),
    ("-12Ei", F(-(2**63 - 1))),
]

INVALID = [
    "",
    " 1",
    "1 ",
    "1e",
    "1E+",
    "1e-",
    "-3.01e-",
    "K",
    "1K",
    "1ki",
    "1KI",
    "1KiB",
    "0.1mi",
    "1i",
    ".5i",
    "-3.01i",
    "1Zi",
    "1µ",
    "1e1.5",
    "1e.5",
    "1e3k",
    "1E3Ki",
    "1e+-3",
    "1..5",
    "1.1.M",
    "1+1.0M",
    "1-",
    "++1",
    "1,5",
    "1_000",
    "0x10",
    "1/2",
    "１",
    "٣",
    "−1",
    "1\x00",
    "Inf",
    "NaN",
    "aoeu",
    "0.1am",
    "Pi",
    ".Ei",
    "e-10",
    "-.e-10",
    "1e9223372036854775808",
    "1e-9223372036854775809",
    "0e99999999999999999999",
    "e2147483648",
    ".e-2147483648",
]

UNSUPPORTED = ["1e1001", "1e-1001", "1e2147483647", "1e-2147483649", "5e2147483648"]


@pytest.mark.parametrize(("text", "value"), VALID, ids=[t for t, _ in VALID])
def test_valid_spellings_have_exact_values(text: str, value: Fraction) -> None:
    assert parse_quantity_string(text) == value
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", INVALID)
def test_invalid_spellings_raise(text: str) -> None:
    with pytest.raises(QuantityError) as info:
        parse_quantity_string(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("text", UNSUPPORTED)
def test_absurd_exponents_are_unsupported_not_invalid(text: str) -> None:
    with pytest.raises(QuantityUnsupported):
        parse_quantity(text)


def test_case_errors_name_the_intended_suffix() -> None:
    with pytest.raises(QuantityError, match="did you mean 'k'"):
        parse_quantity("1K")
    with pytest.raises(QuantityError, match="did you mean 'Mi'"):
        parse_quantity("1mi")


def test_comparisons_are_numeric_across_suffix_families() -> None:
    assert parse_quantity("1Gi") > parse_quantity("1G")
    assert parse_quantity("1Ki") != parse_quantity("1k")
    assert len({parse_quantity(s) for s in ("1000m", "1", "1e0", "0.001k", "1000000u")}) == 1
    assert parse_quantity("1k") == parse_quantity("1e3")
    assert parse_quantity("10000T") > parse_quantity("100Gi")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (0.5, F(1, 2)),
        (0.1, F(1, 10)),
        (1e9, F(10**9)),
        (1e-7, F(1, 10**7)),
        (1e-10, F(1, 10**9)),
        (1.5e21, F(15 * 10**20)),
        (-0.0, F(0)),
        (2, F(2)),
        (-1, F(-1)),
        (0, F(0)),
        (-(2**63), F(-(2**63))),
        (2**63 - 1, F(2**63 - 1)),
    ],
)
def test_json_numbers_parse_from_their_decimal_text(raw: int | float, value: Fraction) -> None:
    assert parse_quantity(raw) == value


def test_number_subclasses_parse_by_value_not_repr() -> None:
    class Cores(int):
        def __repr__(self) -> str:
            return "Cores(2)"

    class Ratio(float):
        def __repr__(self) -> str:
            return "Ratio(0.25)"

    assert parse_quantity(Cores(2)) == 2
    assert parse_quantity(Ratio(0.25)) == F(1, 4)


@pytest.mark.parametrize("raw", [True, False, float("nan"), float("inf"), [1], {"a": 1}])
def test_non_numbers_are_invalid(raw: object) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", [2**63, -(2**63) - 1, None, "\t1", "1\n", "\u20281"])
def test_encoding_dependent_inputs_are_unsupported(raw: object) -> None:
    with pytest.raises(QuantityUnsupported):
        parse_quantity(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "value"),
    [(" 1 ", F(1)), ("1 ", F(1)), ("  500m", F(1, 2)), ("\u00a02Gi\u3000", F(2 * GI)), ("\x851", F(1))],
)
def test_decoder_trims_unescaped_whitespace(raw: str, value: Fraction) -> None:
    assert parse_quantity(raw) == value
    with pytest.raises(QuantityError):
        parse_quantity_string(raw)


@pytest.mark.parametrize("raw", ["1 2", " ", "\t", "\tx\t", "1\tk", " K "])
def test_whitespace_does_not_rescue_invalid_text(raw: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1n", 1),
        ("100u", 1),
        ("1m", 1),
        ("1.5", 1500),
        ("0.0001", 1),
        ("2", 2000),
        ("0", 0),
        ("-1n", -1),
        ("-1.0001", -1001),
        ("1Gi", GI * 1000),
        ("100.035Ki", 102435840),
        ("0.000000000001Ki", 1),
        (0.1, 100),
        ("1e30", 10**33),
        (" 250m ", 250),
    ],
)
def test_milli_rounds_up_away_from_zero(raw: str | float, expected: int) -> None:
    assert milli(raw) == expected
    assert z3.simplify(z3_milli(raw)).as_long() == expected


def test_to_milli_takes_exact_fractions() -> None:
    assert to_milli(F(1, 3)) == 334
    assert to_milli(F(-1, 3)) == -334
    assert to_milli(F(2)) == 2000


@pytest.mark.parametrize(
    ("m", "resource", "text"),
    [
        (1500, "cpu", "1500m"),
        (1000, None, "1"),
        (GI * 1000, "memory", "1Gi"),
        (1536 * 2**20 * 1000, "memory", "1536Mi"),
        (500 * 10**9, "limits.memory", "500M"),
        (10**21, "ephemeral-storage", "1E"),
        (2**21 * 1000, "hugepages-2Mi", "2Mi"),
        (GI * 1000, "cpu", str(GI)),
        (-2000, "cpu", "-2"),
        (0, "memory", "0"),
        (1500, "memory", "1500m"),
    ],
)
def test_format_milli(m: int, resource: str | None, text: str) -> None:
    assert format_milli(m, resource) == text


# ---------------------------------------------------------------- independent reference
# Regex split + literal multiplier table + decimal.Decimal arithmetic, written without
# looking at quantity.py's scanner; it encodes the same documented ParseQuantity rules.
_REF_SHAPE = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[+-]?[0-9]*)", re.ASCII)
_REF_TABLE = {
    "n": Decimal("0.000000001"),
    "u": Decimal("0.000001"),
    "m": Decimal("0.001"),
    "": Decimal(1),
    "k": Decimal(1000),
    "M": Decimal(1000000),
    "G": Decimal(1000000000),
    "T": Decimal(1000000000000),
    "P": Decimal(1000000000000000),
    "E": Decimal(1000000000000000000),
    "Ki": Decimal(1024),
    "Mi": Decimal(1048576),
    "Gi": Decimal(1073741824),
    "Ti": Decimal(1099511627776),
    "Pi": Decimal(1125899906842624),
    "Ei": Decimal(1152921504606846976),
}
_REF_BINARY = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}
_REF_FAST_BINARY = {"Ki", "Mi", "Gi", "Ti"}  # digit-less binary spellings that parse (as 0)


def reference(text: str) -> Decimal | str:
    """Decimal value, or "invalid" / "unsupported"."""
    shape = _REF_SHAPE.fullmatch(text)
    if text == "" or shape is None:
        return "invalid"
    sign, whole, frac, suffix = shape.group(1), shape.group(2), shape.group(3) or "", shape.group(4)
    power = 0
    if suffix in _REF_TABLE:
        scale = _REF_TABLE[suffix]
    elif len(suffix) > 1 and suffix[0] in "eE" and re.fullmatch(r"[+-]?[0-9]+", suffix[1:]):
        parsed = int(suffix[1:])
        if not -(2**63) <= parsed < 2**63:
            return "invalid"
        power = ctypes.c_int32(parsed).value
        scale = Decimal(1)
    else:
        return "invalid"
    if whole + frac == "":
        decimal_ok = suffix not in _REF_BINARY and scale.adjusted() + power >= -9
        return Decimal(0) if decimal_ok or suffix in _REF_FAST_BINARY else "invalid"
    if int(whole + frac) == 0:
        return Decimal(0)
    if abs(power) > 1000:
        return "unsupported"
    with localcontext() as ctx:
        ctx.prec = 1200
        value = Decimal(f"{sign}{whole or 0}.{frac or 0}") * scale
        value = value.scaleb(power).quantize(Decimal("1e-9"), rounding=ROUND_UP)
        if suffix in _REF_BINARY and abs(value) > 2**63 - 1:
            value = Decimal(2**63 - 1).copy_sign(value)
    return value


def outcome(text: str) -> Fraction | str:
    try:
        return parse_quantity_string(text)
    except QuantityUnsupported:
        return "unsupported"
    except QuantityError:
        return "invalid"


_EXPONENTS = st.one_of(
    st.integers(-40, 40).map(str),
    st.integers(-40, 40).map(lambda e: ("+" if e >= 0 else "-") + "0" + str(abs(e))),
    st.sampled_from(
        [
            "4294967296",
            "4294967295",
            "-4294967297",
            "2147483648",
            "-2147483649",
            "8589934592",
            "9223372036854775807",
            "9223372036854775808",
            "1001",
            "-1000",
            "-10",
            "-9",
            "99999999999999999999",
            "+",
            "-",
            "1.5",
            "",
        ]
    ),
)
_SUFFIXES = st.one_of(
    st.sampled_from(sorted(_REF_TABLE)),
    st.sampled_from(["K", "ki", "KI", "mi", "i", "e", "E+", "Zi", "µ", "kk", "KiB", "Ee3", "ee"]),
    st.builds(lambda letter, exp: letter + exp, st.sampled_from("eE"), _EXPONENTS),
)
_DIGIT_RUN = st.one_of(st.text("0123456789", max_size=22), st.sampled_from(["", "0", "00", "1"]))


@st.composite
def quantity_texts(draw: st.DrawFn, valid_only: bool = False) -> str:
    sign = draw(st.sampled_from(["", "", "+", "-"] + ([] if valid_only else ["--", "\u2212"])))
    whole = draw(_DIGIT_RUN)
    frac = "." + draw(_DIGIT_RUN) if draw(st.booleans()) else ""
    tail = "" if valid_only else draw(st.sampled_from(["", "", "", "", ".", "x", " ", "5", ".5"]))
    return sign + whole + frac + draw(_SUFFIXES) + tail


@settings(max_examples=500, deadline=None)
@given(quantity_texts())
def test_parse_matches_independent_reference(text: str) -> None:
    expected = reference(text)
    got = outcome(text)
    if isinstance(expected, Decimal):
        assert got == Fraction(expected), text
    else:
        assert got == expected, text


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["", "+", "-"]), st.sampled_from(["", "."]), _SUFFIXES)
def test_digitless_numbers_match_reference(sign: str, dot: str, suffix: str) -> None:
    text = sign + dot + suffix
    expected = reference(text)
    assert outcome(text) == (Fraction(expected) if isinstance(expected, Decimal) else expected)


def _valid(text: str) -> bool:
    return isinstance(reference(text), Decimal)


def _ref_milli(text: str) -> int:
    value = reference(text)
    assert isinstance(value, Decimal)
    with localcontext() as ctx:
        ctx.prec = 1200
        return int((value * 1000).quantize(Decimal(1), rounding=ROUND_UP))


_VALID_TEXTS = quantity_texts(valid_only=True).filter(_valid)


@settings(max_examples=300, deadline=None)
@given(_VALID_TEXTS, _VALID_TEXTS)
def test_milli_comparison_matches_rounded_exact_values(a: str, b: str) -> None:
    ma, mb = milli(a), milli(b)
    assert (ma, mb) == (_ref_milli(a), _ref_milli(b))
    assert (ma < mb, ma == mb) == (_ref_milli(a) < _ref_milli(b), _ref_milli(a) == _ref_milli(b))
    exact_a, exact_b = parse_quantity(a), parse_quantity(b)
    if exact_a <= exact_b:  # rounding up is monotone
        assert ma <= mb


@settings(max_examples=200, deadline=None)
@given(_VALID_TEXTS, _VALID_TEXTS)
def test_z3_milli_comparisons_agree_with_python(a: str, b: str) -> None:
    za, zb = z3_milli(a), z3_milli(b)
    for z3_rel, py_rel in (
        (za < zb, milli(a) < milli(b)),
        (za == zb, milli(a) == milli(b)),
        (za >= zb, milli(a) >= milli(b)),
    ):
        solver = z3.Solver()
        solver.add(z3_rel)
        assert (solver.check() == z3.sat) == py_rel


def _shortest_decimal(x: float) -> str:
    for digits in range(1, 18):
        text = format(x, f".{digits}g")
        if float(text) == x:
            return text
    raise AssertionError(x)


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_floats_parse_as_their_shortest_decimal(x: float) -> None:
    expected = Decimal(_shortest_decimal(x))
    with localcontext() as ctx:
        ctx.prec = 400
        expected = expected.quantize(Decimal("1e-9"), rounding=ROUND_UP)
    assert parse_quantity(x) == Fraction(expected)


class _Shouting(str):
    """A str subclass whose str()/repr() differ from its text: parsing must read the text."""

    def __str__(self) -> str:
        return self.upper()


def test_remembered_values_are_keyed_by_type_and_text() -> None:
    # 1, 1.0 and True are equal dict keys in Python; the memo must not let one answer for another
    assert milli(1) == milli("1") == 1000
    with pytest.raises(QuantityError):
        milli(True)
    assert milli("1") == 1000  # after the error
    with pytest.raises(QuantityUnsupported):
        milli(10**20)  # an int literal beyond int64
    assert milli(1e20) == 10**23  # the float of the same value parses from "1e+20"
    assert milli(_Shouting("1m")) == 1 and milli("1m") == 1  # "1M" would be 10^9 milli
    for _ in range(2):  # an error is raised each time, never remembered as a value
        with pytest.raises(QuantityError):
            parse_quantity_string("1x")
        with pytest.raises(QuantityError):
            milli(" 1x ")


@settings(max_examples=300, deadline=None)
@given(_VALID_TEXTS)
def test_remembered_parse_agrees_with_a_fresh_parse(text: str) -> None:
    fresh = parse_quantity_string(_Shouting(text))  # a subclass bypasses the memo
    assert parse_quantity_string(text) == fresh and parse_quantity(text) == fresh
    assert milli(text) == milli(text) == to_milli(fresh)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.integers(-(10**22), 10**22), st.integers(0, 64).map(lambda p: 2**p * 1000)),
    st.sampled_from([None, "cpu", "memory", "requests.memory", "limits.ephemeral-storage", "hugepages-1Gi", "pods"]),
)
def test_format_milli_remembered_is_the_text_it_computes(m: int, resource: str | None) -> None:
    """``format_milli`` remembers its texts: asked again, the text ``_format_milli`` computes afresh."""
    first = format_milli(m, resource)
    assert first == format_milli(m, resource) == quantity._format_milli(m, resource)
