"""Resource-name classes (helpers.go / validation.go) and hugepage page sizes."""

from __future__ import annotations

import pytest
from cnverify.encodings.resource_names import (
    hugepage_size_milli,
    is_extended,
    is_hugepage_value_divisible,
    is_hugepages,
    is_integer_resource,
    is_native,
    is_overcommittable,
    is_qualified_name,
    is_valid_container_resource,
)

MI = 2**20
DOMAIN_244 = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 52])  # "requests." + it = 253 chars

# name: (valid container resource, native, extended, overcommittable, integer, page size milli)
NAMES = {
    "cpu": (True, True, False, True, False, None),
    "memory": (True, True, False, True, False, None),
    "ephemeral-storage": (True, True, False, True, False, None),
    "hugepages-2Mi": (True, True, False, False, False, 2 * MI * 1000),
    "hugepages-2048Ki": (True, True, False, False, False, 2 * MI * 1000),
    "hugepages-1Gi": (True, True, False, False, False, 2**30 * 1000),
    "hugepages-1e3": (True, True, False, False, False, 1000 * 1000),
    # MilliValue() rounds up, so a size just under a whole number still counts as whole
    "hugepages-1.9999999": (True, True, False, False, False, 2000),
    "hugepages-1.5": (True, True, False, False, False, None),
    "hugepages-0": (True, True, False, False, False, None),
    "hugepages--1": (True, True, False, False, False, None),
    "hugepages-foo": (True, True, False, False, False, None),
    "nvidia.com/gpu": (True, False, True, False, True, None),
    "example.com/foo_bar.baz": (True, False, True, False, True, None),
    "count/deployments.apps": (True, False, True, False, True, None),
    f"{DOMAIN_244}/x": (True, False, True, False, True, None),
    f"{DOMAIN_244}e/x": (False, False, False, False, False, None),
    "NVIDIA.com/gpu": (False, False, False, False, False, None),
    "kubernetes.io/foo": (True, True, False, True, False, None),
    "a.kubernetes.io/x": (True, True, False, True, False, None),
    "requests.nvidia.com/gpu": (False, False, False, False, False, None),
    "requests.cpu": (False, True, False, True, False, None),
    "limits.memory": (False, True, False, True, False, None),
    "pods": (False, True, False, True, True, None),
    "services.nodeports": (False, True, False, True, True, None),
    "resourcequotas": (False, True, False, True, True, None),
    "storage": (False, True, False, True, False, None),
    "foo": (False, True, False, True, False, None),
    "Cpu": (False, True, False, True, False, None),
    "example.com/a/b": (False, False, False, False, False, None),
    "/gpu": (False, False, False, False, False, None),
    "example.com/": (False, False, False, False, False, None),
    "example.com/-x": (False, False, False, False, False, None),
    "example.com/" + "x" * 63: (True, False, True, False, True, None),
    "example.com/" + "x" * 64: (False, False, False, False, False, None),
}


@pytest.mark.parametrize("name", list(NAMES), ids=[n[:40] for n in NAMES])
def test_name_classes(name: str) -> None:
    valid, native, extended, overcommit, integer, page = NAMES[name]
    assert is_valid_container_resource(name) is valid
    assert is_native(name) is native
    assert is_extended(name) is extended
    assert is_overcommittable(name) is overcommit
    assert is_integer_resource(name) is integer
    assert hugepage_size_milli(name) == page
    assert is_hugepages(name) is name.startswith("hugepages-")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("example.com/Name_1", True),
        ("Name", True),
        ("a", True),
        ("a.b-c_d", True),
        ("", False),
        ("_a", False),
        ("a-", False),
        ("Example.com/a", False),
        ("a..b/c", False),
        ("x/y/z", False),
        ("a b", False),
        ("a\n", False),
    ],
)
def test_qualified_names(value: str, ok: bool) -> None:
    assert is_qualified_name(value) is ok


@pytest.mark.parametrize(
    ("name", "value_milli", "ok"),
    [
        ("hugepages-2Mi", 4 * MI * 1000, True),
        ("hugepages-2Mi", 3 * MI * 1000, False),
        ("hugepages-2Mi", 0, True),
        ("hugepages-2Mi", 4 * MI * 1000 - 500, True),
        ("hugepages-2Mi", 4 * MI * 1000 + 1, False),
        ("hugepages-1Gi", 2**30 * 1000, True),
        ("hugepages-foo", 0, False),
        ("hugepages-1.5", 3000, False),
        ("cpu", 1000, False),
    ],
)
def test_hugepage_value_divisibility(name: str, value_milli: int, ok: bool) -> None:
    assert is_hugepage_value_divisible(name, value_milli) is ok
