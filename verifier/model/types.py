"""Field types shared by the model: quantities, int-or-string values and fixed-width integers.

Kubernetes API fields are Go ``int32``/``int64`` (Istio and Envoy protobuf ports and weights ``uint32``):
a value outside that range is rejected when the object is decoded (``json: cannot unmarshal number
... into Go struct field ... of type int32``), so it is an input error here too, never a wrapped number.
"""

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


def _in_range(go_type: str, low: int, high: int) -> AfterValidator:
    def check(value: Any) -> Any:
        if isinstance(value, int) and not low <= value <= high:
            raise ValueError(f"{value} is out of range for {go_type} ({low}..{high}); the API rejects it")
        return value

    return AfterValidator(check)


Quantity = Annotated[int | float | str, BeforeValidator(_not_bool), AfterValidator(_check_quantity)]
"""A raw Kubernetes quantity as written (validated against the quantity grammar)."""

Int32 = Annotated[int, _in_range("int32", -(2**31), 2**31 - 1)]
UInt32 = Annotated[int, _in_range("uint32", 0, 2**32 - 1)]
Int64 = Annotated[int, _in_range("int64", -(2**63), 2**63 - 1)]
IntOrString = Annotated[int | str, _in_range("int32", -(2**31), 2**31 - 1)]  # intstr.IntOrString: IntVal is int32
ResourceList = dict[str, Quantity]
