"""CNV302 / CNV404 against brute force: the verdict over every replica combination, and each
witness re-evaluated in plain Python (ranges, surge rounding, totals, disruption arithmetic)."""

from __future__ import annotations

import io
import itertools
from typing import Any

import yaml
from cnverify import smt
from cnverify.encodings.quantity import milli
from cnverify.engine import Options, prove
from cnverify.obligation import Obligation
from cnverify.proof import Finding
from cnverify.properties._shared.resources import quota_model
from cnverify.properties._shared.resources.quota_model import WITHIN_CAPS
from cnverify.properties.resources import quota_holds_under_scaling as quota
from cnverify.properties.scaling.pdb_allows_disruption import allowed
from hypothesis import event, given, settings
from hypothesis import strategies as st

NS = "ns"


def deployment(name: str, replicas: int, cpu: int, surge: Any) -> dict[str, Any]:
    strategy: dict[str, Any] = (
        {"type": "Recreate"}
        if surge is None
        else {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": 1}}
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "strategy": strategy,
            "selector": {"matchLabels": {"app": "x"}},
            "template": {
                "metadata": {"labels": {"app": "x", "w": name}},
                "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": f"{cpu}m"}}}]},
            },
        },
    }


def hpa(name: str, lo: int, hi: int) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": lo,
            "maxReplicas": hi,
        },
    }


def reachable(replicas: int, scaler: tuple[int, int] | None) -> range:
    """Plain replica semantics: spec.replicas, the HPA range, 0 for an HPA disabled by replicas: 0."""
    if scaler is None:
        return range(replicas, replicas + 1)
    return range(0, 1) if replicas == 0 else range(scaler[0], scaler[1] + 1)


def run(code: str, docs: list[dict[str, Any]]) -> list[Finding]:
    text = yaml.safe_dump_all(docs)
    report = prove(["-"], Options(select=[code]), stdin=io.StringIO(text))
    assert not report.errors, [str(e) for e in report.errors]
    return [f for f in report.results if f.property == code]


workload = st.tuples(
    st.integers(0, 4),
    st.integers(1, 10).map(lambda x: x * 100),
    st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(0, 3))),
    st.one_of(st.none(), st.integers(0, 2), st.sampled_from(["0%", "10%", "25%", "50%", "100%"])),
)


def scenario(ws: list[tuple[int, int, Any, Any]]) -> tuple[list[dict[str, Any]], list[tuple[str, range, int, Any]]]:
    docs, plain = [], []
    for i, (replicas, cpu, scaler, surge) in enumerate(ws):
        name = f"w{i}"
        bounds = (scaler[0], scaler[0] + scaler[1]) if scaler else None
        docs.append(deployment(name, replicas, cpu, surge))
        if bounds:
            docs.append(hpa(name, *bounds))
        plain.append((name, reachable(replicas, bounds), cpu, surge))
    return docs, plain


def surge_at(surge: Any, n: int) -> int:
    if surge is None:
        return 0
    return -(-int(surge[:-1]) * n // 100) if isinstance(surge, str) else surge


@settings(max_examples=60, deadline=None)
@given(st.lists(workload, min_size=1, max_size=3), st.integers(0, 60).map(lambda x: x * 100), st.integers(0, 16))
def test_quota_verdict_and_witness(ws: list[Any], cpu_hard: int, pods_hard: int) -> None:
    docs, plain = scenario(ws)
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "q", "namespace": NS},
            "spec": {"hard": {"requests.cpu": f"{cpu_hard}m", "pods": pods_hard}},
        }
    )
    breach = False
    for counts in itertools.product(*(r for _, r, _, _ in plain)):
        for rolling in itertools.product((False, True), repeat=len(plain)):
            pods = [
                n + (surge_at(s, n) if roll else 0)
                for n, roll, (_, _, _, s) in zip(counts, rolling, plain, strict=True)
            ]
            breach |= (
                sum(p * c for p, (_, _, c, _) in zip(pods, plain, strict=True)) > cpu_hard or sum(pods) > pods_hard
            )
    [f] = run("CNV302", docs)
    event(f.status)
    assert f.status == ("violated" if breach else "proved"), f.message
    if breach:
        w = f.witness
        pods = []
        for name, rng, _, surge in plain:
            n, s = w[f"Deployment/{name}"], w.get(f"surge Deployment/{name}", 0)
            assert n in rng and s in (0, surge_at(surge, n))
            pods.append(n + s)
        cpu = sum(p * c for p, (_, _, c, _) in zip(pods, plain, strict=True))
        assert milli(w["requests.cpu"]) == cpu and milli(w["pods"]) == sum(pods) * 1000
        assert cpu > cpu_hard or sum(pods) > pods_hard


@settings(max_examples=40, deadline=None)
@given(st.lists(workload, min_size=1, max_size=3), st.integers(0, 60).map(lambda x: x * 100), st.integers(0, 16))
def test_quota_refuted_from_its_bounds(ws: list[Any], cpu_hard: int, pods_hard: int) -> None:
    """A quota proved from its bound facts (``Obligation.refute``) gets the verdict, message and witness Z3 gives
    for the whole query; ``--certify`` has Z3 confirm that the chain's facts alone refute it, and each of them
    is needed (a minimal core, though not always the one Z3 names: ``event`` counts how often it is)."""
    docs, _ = scenario(ws)
    hard = {"requests.cpu": f"{cpu_hard}m", "pods": pods_hard}
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "q", "namespace": NS},
            "spec": {"hard": hard},
        }
    )
    text = yaml.safe_dump_all(docs)
    obligations: list[Obligation] = []
    check = quota.QuotaHoldsUnderScaling._check

    def kept(*args: Any) -> Obligation:
        obligations.append(check(*args))
        return obligations[-1]

    quota.QuotaHoldsUnderScaling._check = kept  # type: ignore[method-assign]
    try:
        [f] = prove(["-"], Options(select=["CNV302"], certify=True), stdin=io.StringIO(text)).results
        quota_model.REFUTE = False  # the whole query (count, surge and pods facts too), decided by Z3
        [z] = prove(["-"], Options(select=["CNV302"]), stdin=io.StringIO(text)).results
    finally:
        quota.QuotaHoldsUnderScaling._check = check  # type: ignore[method-assign]
        quota_model.REFUTE = True
    assert (f.status, f.message, f.witness) == (z.status, z.message, z.witness)
    decision = obligations[0].decision
    if decision is None or decision.core is None:
        assert f.chain == z.chain
        event(f"by Z3: {f.status}")
        return
    assert f.status == "proved" and f.chain[-1].claim.endswith(f"({WITHIN_CAPS})")
    ob, core = obligations[0], decision.core
    assert ob.goal is not None
    for i in core:  # each fact of the chain is needed
        rest = [ob.facts[j][0] for j in core if j != i]
        assert smt.check([], [*rest, ob.goal]).result == "sat"
    event("refuted: Z3's core" if f.chain[:-1] == z.chain[:-1] else "refuted: another minimal core")


budget = st.one_of(
    st.tuples(st.just("minAvailable"), st.integers(0, 5)),
    st.tuples(st.just("minAvailable"), st.integers(0, 100).map(lambda p: f"{p}%")),
    st.tuples(st.just("maxUnavailable"), st.integers(0, 3)),
    st.tuples(st.just("maxUnavailable"), st.integers(0, 100).map(lambda p: f"{p}%")),
    st.just(("none", None)),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(workload, min_size=1, max_size=2), budget)
def test_pdb_verdict_and_witness(ws: list[Any], b: tuple[str, Any]) -> None:
    docs, plain = scenario(ws)
    fld, raw = b
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": "x"}}}
    if fld != "none":
        spec[fld] = raw
    docs.append(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "p", "namespace": NS},
            "spec": spec,
        }
    )
    percent = isinstance(raw, str)
    value = int(raw[:-1]) if percent else raw
    blocked = any(
        sum(c) >= 1 and allowed(fld, value, percent, sum(c))[1] == 0
        for c in itertools.product(*(r for _, r, _, _ in plain))
    )
    [f] = run("CNV404", docs)
    event(f.status)
    assert f.status == ("violated" if blocked else "proved"), f.message
    if blocked:
        w = f.witness
        counts = [w[f"Deployment/{name}"] for name, _, _, _ in plain]
        assert all(n in rng for n, (_, rng, _, _) in zip(counts, plain, strict=True))
        assert w["pods"] == sum(counts) >= 1
        assert (
            allowed(fld, value, percent, sum(counts))
            == (w["desiredHealthy"], 0)
            == (w["desiredHealthy"], w["disruptionsAllowed"])
        )


def test_cnv301_witnesses_break_the_rule() -> None:
    """Every CNV301 witness in the grid fixtures breaks docs/SEMANTICS.md#container-resources on its own values."""
    from pathlib import Path

    from cnverify.encodings.resource_names import is_overcommittable

    folder = Path(__file__).parent / "requests_within_limits"
    report = prove([str(folder)], Options(select=["CNV301"]))
    checked = 0
    for f in report.results:
        if f.status != "violated":
            continue
        for key, value in f.witness.items():
            kind, r = key.split(".", 1)
            if kind != "requests":
                continue
            lim = f.witness.get(f"limits.{r}")
            req_m = milli(value)
            assert (lim is None and not is_overcommittable(r)) or (
                lim is not None and (req_m > milli(lim) if is_overcommittable(r) else req_m != milli(lim))
            )
            checked += 1
    assert checked >= 5


def test_an_open_member_is_never_a_bound(tmp_path: Any) -> None:
    """``encode`` refutes a quota from its bound facts only: a member counted at its minimum (``open``: its count is
    not bounded by the manifests) is a floor, so within the caps the query is built and left to the solver."""
    from cnverify import loader, snapshot
    from cnverify.model import Deployment, ResourceQuota
    from cnverify.properties._shared.resources.quota_model import Member, encode

    path = tmp_path / "ns.yaml"
    docs = [
        deployment("w", 1, 100, None),
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "q", "namespace": NS},
            "spec": {"hard": {"requests.cpu": "1"}},
        },
    ]
    path.write_text(yaml.safe_dump_all(docs))
    snap, _ = snapshot.build(loader.load([str(path)]))
    [w], [q] = snap.all(Deployment), snap.all(ResourceQuota)
    prop = quota.QuotaHoldsUnderScaling()
    for why_open, refuted in ((None, True), ("an autoscaler outside the files", False)):
        ob = prop.obligation(q, at=q.spec.at("hard"))
        member = Member(w, 1, 1, why_open, None, {"requests.cpu": 100}, [], [("spec.replicas is 1", w.at("spec"))])
        encode(ob, q, {"requests.cpu": "1"}, {"requests.cpu": 1000}, [member], {}, {})
        assert (ob.decision is not None) == refuted
        assert refuted or ob.goal is not None and len(ob.facts) == 4  # count, pods, "at most", total
