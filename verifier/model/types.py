"""Field types shared by the model: quantities and int-or-string values."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator


def _check_quantity(value: int | float | str) -> int | float | str:
    from cnverify.encodings.quantity import parse_quantity  # local: encodings import the model

    parse_quantity(value)  # raises QuantityError (a ValueError) with a clear message
    return value


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"expected a quantity, got boolean {value}")
    return value


Quantity = Annotated[int | float | str, BeforeValidator(_not_bool), AfterValidator(_check_quantity)]
"""A raw Kubernetes quantity as written (validated against the quantity grammar)."""

IntOrString = int | str
ResourceList = dict[str, Quantity]
