"""The run context: one memo per snapshot that records the kinds its helpers read; the solver under the
run's limits; and, over every property's fixtures, a property's ``reads`` covers what its helpers read."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
import z3
from cnverify import loader, snapshot
from cnverify.model import Deployment, Service
from cnverify.registry import load_properties
from cnverify.run_context import RunContext, context_of
from cnverify.smt import Limits

ROOT = Path(__file__).parent
PROPS = load_properties()
EVERY_KIND = ROOT / "engine" / "fixtures" / "every_kind.yaml"
DEPLOY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
"""


def _snap(text: str) -> snapshot.Snapshot:
    path = Path(tempfile.mkdtemp()) / "in.yaml"
    path.write_text(text)
    snap, errors = snapshot.build(loader.load([str(path)]))
    assert errors == []
    return snap


def test_memo_computes_once_and_records_reads_on_every_call() -> None:
    snap = _snap(DEPLOY)
    ctx = RunContext(snap)
    calls = []

    def names() -> list[str]:
        calls.append(1)
        return [d.name for d in snap.all(Deployment)]

    assert ctx.memo(("t.names",), names, reads=(Deployment,)) == ["web"]
    snap.kinds_read = set()  # a second property: the hit still charges it with what the data rests on
    assert ctx.memo(("t.names",), names, reads=(Deployment,)) == ["web"]
    assert calls == [1]
    assert snap.kinds_read == {"Deployment"}
    assert ctx.kinds_read() == {"Deployment"}
    assert ctx.memo_reads() == {("t.names",): (frozenset({"Deployment"}), frozenset({"Deployment"}))}


def test_memo_measures_what_the_computation_reads_not_what_it_declares() -> None:
    snap = _snap(DEPLOY)
    ctx = RunContext(snap)
    ctx.memo(("t.services",), lambda: snap.all(Service), reads=())
    assert ctx.memo_reads()[("t.services",)] == (frozenset(), frozenset({"Service"}))
    assert ctx.kinds_read() == frozenset()


def test_context_of_a_snapshot_is_the_context_built_for_it() -> None:
    snap = _snap(DEPLOY)
    ctx = RunContext(snap, Limits(timeout_ms=5))
    assert context_of(snap) is ctx and context_of(ctx) is ctx
    other = _snap(DEPLOY)
    assert context_of(other).snap is other and context_of(other) is context_of(other)


def test_check_answers_under_the_run_limits() -> None:
    ctx = RunContext(_snap(DEPLOY), Limits(rlimit=50_000_000))
    x = z3.Int("x")
    assert ctx.check([x > 1]).result == "sat"
    assert ctx.check([], [x > 1, x < 0]).result == "unsat"


def _fixtures() -> list[object]:
    out = []
    for cases in sorted((ROOT / "properties").glob("*/cases.yaml")):
        spec = yaml.safe_load(cases.read_text())
        files = [cases.parent / c["fixture"] for c in spec["cases"]]
        out.append(pytest.param(spec["property"], [EVERY_KIND, *files], id=spec["property"]))
    return out


@pytest.mark.parametrize("code,fixtures", _fixtures())
def test_declared_reads_cover_what_the_helpers_read(code: str, fixtures: list[Path]) -> None:
    """Over the property's fixtures (and one object of every kind): the kinds its memoised helpers declare
    are in its ``reads`` (the diff reuses a property's results when the kinds it reads are unchanged), and
    every helper's declaration covers what its computation read."""
    declared = {k.__name__ for k in PROPS[code].reads}
    for fixture in fixtures:
        snap, _ = snapshot.build(loader.load([str(fixture)]))
        ctx = RunContext(snap)
        for _ in PROPS[code]().obligations(ctx):
            pass
        assert ctx.kinds_read() <= declared, (
            f"{code} on {fixture.name}: helpers read {sorted(ctx.kinds_read() - declared)}"
        )
        for key, (says, did) in ctx.memo_reads().items():
            assert did <= says, f"{key} reads {sorted(did - says)} without declaring it"
