"""Kubernetes resource-name classes (docs/SEMANTICS.md#resource-names-and-values;
names, over-commit and hugepages in docs/SEMANTICS.md#container-resources).

Checked against kubernetes ``pkg/apis/core/helper/helpers.go`` (``IsNativeResource``,
``IsExtendedResourceName``, ``IsOvercommitAllowed``, ``IsIntegerResourceName``,
``IsHugePageResourceValueDivisible``) and ``pkg/apis/core/validation/validation.go``
(``validateContainerResourceName``, ``validateResourceName``), plus apimachinery
``util/validation`` (``IsQualifiedName``, ``IsDNS1123Subdomain``).
"""

from __future__ import annotations

import re

from .quantity import QuantityError, QuantityUnsupported, parse_quantity_string, to_milli

__all__ = [
    "HUGEPAGES_PREFIX",
    "INTEGER_RESOURCES",
    "STANDARD_CONTAINER_RESOURCES",
    "hugepage_size_milli",
    "is_extended",
    "is_hugepage_value_divisible",
    "is_hugepages",
    "is_integer_resource",
    "is_native",
    "is_overcommittable",
    "is_qualified_name",
    "is_valid_container_resource",
]

HUGEPAGES_PREFIX = "hugepages-"
_DEFAULT_NAMESPACE = "kubernetes.io/"  # core.ResourceDefaultNamespacePrefix
_QUOTA_REQUESTS_PREFIX = "requests."  # core.DefaultResourceRequestsPrefix
_INT64_MAX = 2**63 - 1

#: cpu, memory, ephemeral-storage (hugepages-* is matched by prefix).
STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
#: helpers.go ``integerResources``: quota object counts that must be whole numbers.
INTEGER_RESOURCES = frozenset(
    {
        "pods",
        "resourcequotas",
        "services",
        "replicationcontrollers",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    }
)

_QUALIFIED_NAME_MAX = 63
_DNS1123_SUBDOMAIN_MAX = 253
_QUALIFIED_NAME = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?")
_DNS1123_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = re.compile(rf"{_DNS1123_LABEL}(?:\.{_DNS1123_LABEL})*")


def is_qualified_name(value: str) -> bool:
    """``IsQualifiedName``: ``[DNS-1123 subdomain '/'] name`` with name ≤ 63 chars."""
    parts = value.split("/")
    if len(parts) > 2:
        return False
    if len(parts) == 2:
        prefix = parts[0]
        if len(prefix) > _DNS1123_SUBDOMAIN_MAX or not _DNS1123_SUBDOMAIN.fullmatch(prefix):
            return False
    name = parts[-1]
    return len(name) <= _QUALIFIED_NAME_MAX and _QUALIFIED_NAME.fullmatch(name) is not None


def is_hugepages(name: str) -> bool:
    """``IsHugePageResourceName``: the ``hugepages-`` prefix (any suffix)."""
    return name.startswith(HUGEPAGES_PREFIX)


def is_native(name: str) -> bool:
    """``IsNativeResource``: no ``/`` at all, or ``kubernetes.io/`` anywhere in the name."""
    return "/" not in name or _DEFAULT_NAMESPACE in name


def is_extended(name: str) -> bool:
    """``IsExtendedResourceName``: not native, no ``requests.`` prefix, and
    ``requests.<name>`` is a qualified name (so the domain is lower-case DNS)."""
    if is_native(name) or name.startswith(_QUOTA_REQUESTS_PREFIX):
        return False
    return is_qualified_name(_QUOTA_REQUESTS_PREFIX + name)


def is_overcommittable(name: str) -> bool:
    """``IsOvercommitAllowed``: request ≤ limit suffices (native and not hugepages);
    otherwise request must equal limit and a request needs a limit."""
    return is_native(name) and not is_hugepages(name)


def is_integer_resource(name: str) -> bool:
    """``IsIntegerResourceName``: values must be whole (``milli % 1000 == 0``)."""
    return name in INTEGER_RESOURCES or is_extended(name)


def is_valid_container_resource(name: str) -> bool:
    """``validateContainerResourceName``: may ``name`` appear in a container's
    ``resources.requests``/``limits``? (Hugepage sizes are checked by value, not here.)"""
    if not is_qualified_name(name):
        return False
    if "/" not in name:
        return name in STANDARD_CONTAINER_RESOURCES or is_hugepages(name)
    return is_native(name) or is_extended(name)


def hugepage_size_milli(name: str) -> int | None:
    """Page size of ``hugepages-<size>`` in milli-units, or ``None`` when the size is not a
    positive whole quantity (then every value of that resource fails validation).

    The size is parsed with bare ``ParseQuantity`` (no trimming, no milli defaulting).
    """
    if not is_hugepages(name):
        return None
    try:
        size = parse_quantity_string(name[len(HUGEPAGES_PREFIX) :])
    except QuantityError:
        return None
    size_milli = to_milli(size)  # pageSize.MilliValue()
    if size_milli > _INT64_MAX:
        raise QuantityUnsupported(name, "page size overflows int64 milli-units")
    if size_milli <= 0 or size_milli % 1000:
        return None
    return size_milli


def is_hugepage_value_divisible(name: str, value_milli: int) -> bool:
    """``IsHugePageResourceValueDivisible`` for a stored value: ``Value() % pageSize == 0``,
    where ``Value()`` rounds the milli value up (away from zero) to a whole number.
    Zero passes (0 is a multiple); invalid page sizes fail every value."""
    page_milli = hugepage_size_milli(name)
    if page_milli is None:
        return False
    whole = -(-abs(value_milli) // 1000)
    if whole > _INT64_MAX:
        raise QuantityUnsupported(value_milli, "value overflows int64")
    return whole % (page_milli // 1000) == 0
