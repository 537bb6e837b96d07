"""Plain-Python admission simulator for container resources (shared by the resources tests)."""

from __future__ import annotations

from typing import Any

from cnverify.encodings.quantity import milli
from hypothesis import strategies as st

RESOURCES = ("cpu", "memory", "nvidia.com/gpu")
quantity = st.sampled_from(["0", "100m", "250m", "1", "1.5", "2", "64Mi", "1Gi", "3"])
rlist = st.dictionaries(st.sampled_from(RESOURCES), quantity, max_size=3)


def admit(
    req: dict[str, str], lim: dict[str, str], items: list[dict[str, Any]]
) -> tuple[dict[str, int], dict[str, int]]:
    """Plain simulation: SetDefaults_Pod, SetDefaults_LimitRangeItem, then LimitRanger's merge."""
    r = {k: milli(v) for k, v in req.items()}
    l_ = {k: milli(v) for k, v in lim.items()}
    for k, v in l_.items():
        r.setdefault(k, v)
    for item in items:
        if item["type"] != "Container":
            continue
        default = {
            **{k: milli(v) for k, v in item.get("max", {}).items()},
            **{k: milli(v) for k, v in item.get("default", {}).items()},
        }
        default_req = {
            **{k: milli(v) for k, v in item.get("min", {}).items()},
            **default,
            **{k: milli(v) for k, v in item.get("defaultRequest", {}).items()},
        }
        for k, v in default.items():
            l_.setdefault(k, v)
        for k, v in default_req.items():
            r.setdefault(k, v)
    return r, l_
