"""encodings/resources: effective container values and pod totals against a plain admission simulator."""

from __future__ import annotations

import io
from typing import Any

from cnverify.encodings.quantity import milli
from cnverify.encodings.resources import Defaults, is_best_effort, pod_limits, pod_requests, resolve
from cnverify.loader import load
from cnverify.model import Container, LimitRange
from cnverify.properties._shared.resources.effective import container_defaults
from cnverify.snapshot import Snapshot, build
from hypothesis import given, settings
from hypothesis import strategies as st
from resources_oracle import admit, rlist


def lr(items: list[dict[str, Any]], name: str = "lr") -> LimitRange:
    return LimitRange.model_validate(
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": name, "namespace": "ns"},
            "spec": {"limits": items},
        }
    )


def container(name: str, req: dict[str, str], lim: dict[str, str], restart: str | None = None) -> Container:
    data: dict[str, Any] = {"name": name, "resources": {"requests": req, "limits": lim}}
    if restart:
        data["restartPolicy"] = restart
    return Container.model_validate(data)


item = st.fixed_dictionaries(
    {"type": st.just("Container")}, optional={"default": rlist, "defaultRequest": rlist, "max": rlist, "min": rlist}
)


@settings(max_examples=150, deadline=None)
@given(rlist, rlist, item)
def test_effective_values_match_admission(req: dict[str, str], lim: dict[str, str], it: dict[str, Any]) -> None:
    snap = Snapshot([lr([it])])
    ec = resolve(container("c", req, lim), "containers", 0, container_defaults(snap, "ns"))
    want_r, want_l = admit(req, lim, [it])
    assert {k: s.milli for k, s in ec.requests.items()} == want_r
    assert {k: s.milli for k, s in ec.limits.items()} == want_l
    for k, s in ec.requests.items():  # provenance: a LimitRange value is cited only when the container lacked it
        assert (s.origin == "limitrange") == (k not in req and k not in lim)


def phases(specs: list[tuple[str, dict[str, int]]]) -> dict[str, int]:
    """Peak over the pod's lifecycle: each init step (with the sidecars started before it), then the
    steady state (app containers + every sidecar).  Keys: those any container names."""
    keys = {k for _, vals in specs for k in vals}
    started: dict[str, int] = {}
    peak = {k: 0 for k in keys}
    for kind, vals in specs:
        if kind == "app":
            continue
        if kind == "sidecar":
            started = {k: started.get(k, 0) + vals.get(k, 0) for k in keys}
            step = started
        else:
            step = {k: started.get(k, 0) + vals.get(k, 0) for k in keys}
        peak = {k: max(peak[k], step.get(k, 0)) for k in keys}
    steady = {k: started.get(k, 0) + sum(v.get(k, 0) for kd, v in specs if kd == "app") for k in keys}
    return {k: max(peak[k], steady[k]) for k in keys}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["app", "init", "sidecar"]), rlist), min_size=1, max_size=5))
def test_pod_totals_are_the_lifecycle_peak(specs: list[tuple[str, dict[str, str]]]) -> None:
    effs = []
    for i, (kind, req) in enumerate(specs):
        c = container(f"c{i}", req, req, "Always" if kind == "sidecar" else None)
        effs.append(resolve(c, "containers" if kind == "app" else "initContainers", i, Defaults()))
    as_milli = [(kind, {k: milli(v) for k, v in req.items()}) for kind, req in specs]
    assert pod_requests(effs) == phases(as_milli)
    assert pod_limits(effs) == phases(as_milli)
    assert is_best_effort(effs) == all(
        milli(v) == 0 for _, req in specs for k, v in req.items() if k in ("cpu", "memory")
    )


def test_overhead_adds_to_requests_and_only_to_present_limits() -> None:
    effs = [resolve(container("a", {"cpu": "1"}, {"cpu": "2"}), "containers", 0, Defaults())]
    assert pod_requests(effs, {"cpu": "250m", "memory": "64Mi"}) == {"cpu": 1250, "memory": 64 * 2**20 * 1000}
    assert pod_limits(effs, {"cpu": "250m", "memory": "64Mi"}) == {"cpu": 2250}


def test_conflicting_limitrange_defaults_are_ambiguous() -> None:
    snap = Snapshot(
        [
            lr([{"type": "Container", "default": {"cpu": "1"}}], "a"),
            lr([{"type": "Container", "default": {"cpu": "2"}}], "b"),
        ]
    )
    d = container_defaults(snap, "ns")
    assert "limits.cpu" in d.ambiguous
    assert resolve(container("c", {}, {}), "containers", 0, d).unknown
    assert resolve(container("c", {}, {"cpu": "1"}), "containers", 0, d).unknown is None


def test_supplying_line_is_cited() -> None:
    text = (
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: d, namespace: ns}\nspec:\n  limits:\n"
        "    - type: Container\n      max:\n        cpu: '1'\n"
    )
    snap, _ = build(load(["-"], stdin=io.StringIO(text)))
    ec = resolve(container("c", {"cpu": "500m"}, {}), "containers", 0, container_defaults(snap, "ns"))
    assert ec.limits["cpu"].milli == 1000 and ec.limits["cpu"].at.line == 8
    assert "default limit taken from max" in ec.limits["cpu"].says
