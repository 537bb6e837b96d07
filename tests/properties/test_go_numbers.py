"""Go strconv parsing as Knative's webhook applies it (cases from Go's atof_test.go / atoi_test.go)."""

from __future__ import annotations

import math

import pytest
from cnverify.properties._shared.scaling.go_numbers import parse_float, parse_int


@pytest.mark.parametrize(
    "text,value",
    [
        ("1", 1.0),
        ("+1", 1.0),
        ("-1", -1.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e+5", 1e5),
        ("1E5", 1e5),
        ("1_23.50_0_0e+1_2", 1.235e14),
        ("0x1p-2", 0.25),
        ("0x1.8p1", 3.0),
        ("0x_1p0", 1.0),
        ("1e-400", 0.0),
        ("Inf", math.inf),
        ("-inf", -math.inf),
        ("+Infinity", math.inf),
        ("1.7976931348623157e308", 1.7976931348623157e308),
        ("0.00999999999999999999", 0.01),
    ],
)
def test_parse_float_accepts(text: str, value: float) -> None:
    assert parse_float(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 1",
        "1 ",
        ".",
        "1e",
        "0x1",
        "0x1p",
        "_1",
        "1__0",
        "1_",
        "1_.5",
        "+nan",
        "infin",
        "1e400",
        "-1e400",
        "1.7976931348623159e308",
        "0x1p1024",
        "1,5",
        "9" * 5000,
    ],
)
def test_parse_float_rejects(text: str) -> None:
    assert parse_float(text) is None


def test_parse_float_nan() -> None:
    assert math.isnan(parse_float("NaN") or 0.0) and math.isnan(parse_float("nan") or 0.0)


@pytest.mark.parametrize(
    "text,bits,value",
    [
        ("2147483647", 32, 2147483647),
        ("2147483648", 32, None),
        ("-2147483648", 32, -2147483648),
        ("+5", 32, 5),
        ("1_0", 32, None),
        ("1e1", 32, None),
        ("5.0", 32, None),
        (" 2", 32, None),
        ("3000000000", 64, 3000000000),
        ("9223372036854775808", 64, None),
        ("0" * 30 + "7", 32, 7),
        ("9" * 5000, 64, None),
    ],
)
def test_parse_int(text: str, bits: int, value: int | None) -> None:
    assert parse_int(text, bits) == value
