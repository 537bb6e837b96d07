"""The run's term dict (``properties/_shared/terms.py``) and the terms kept across runs
(``encodings/kept_terms.py``) change no obligation: every property of the selector,
resource and scaling families, run over its fixture grid with the dict and with a dict that never remembers (every
term built afresh, the path the memo replaces), builds facts, goals and shown terms of the same AST ids, with the
same steps, and the same findings."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import Any

import pytest
import z3
from cnverify import engine
from cnverify.encodings import kept_terms
from cnverify.engine import Options, prove
from cnverify.obligation import Obligation
from cnverify.report import RenderOptions
from cnverify.report import json as report_json
from cnverify.run_context import RunContext

ROOT = Path(__file__).parent
FAMILIES = ("CNV2", "CNV3", "CNV4")
FOLDERS = sorted(
    p.parent for p in ROOT.glob("*/cases.yaml") if any(f"property: {c}" in p.read_text() for c in FAMILIES)
)


class Forgetful(dict[Hashable, Any]):
    """A term dict that remembers nothing: every term is built by its building function, as before the memo."""

    def get(self, key: Hashable, default: Any = None) -> Any:
        return default

    def __setitem__(self, key: Hashable, value: Any) -> None:
        pass


Record = tuple[str, str, str | None, list[tuple[int, str, str]], int | None, list[tuple[str, int]]]


def _run(folder: Path, memo: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Record], list[Any], str]:
    records: list[Record] = []
    alive: list[Any] = []  # the terms stay alive, so equal ids across the two runs mean equal terms
    selected, memo_of = engine.selected, RunContext.memo

    def forgetful_memo(self: RunContext, key: Hashable, compute: Any, reads: Any = ()) -> Any:
        return Forgetful() if key == ("labels.terms",) else memo_of(self, key, compute, reads)

    def recording(options: Options) -> list[Any]:
        props = selected(options)
        for p in props:

            def obligations(ctx: RunContext, _gen: Any = p.obligations, _code: str = p.code) -> Iterator[Obligation]:
                for ob in _gen(ctx):
                    alive.append(ob)
                    records.append(
                        (
                            _code,
                            ob.subject.ref,
                            ob.path,
                            [(e.get_id(), s.claim, str(s.location)) for e, s in ob.facts],
                            None if ob.goal is None else ob.goal.get_id(),
                            [(k, t.get_id()) for k, (t, _) in ob.shown.items() if isinstance(t, z3.AstRef)],
                        )
                    )
                    yield ob

            p.obligations = obligations
        return props

    with monkeypatch.context() as m:
        m.setattr(engine, "selected", recording)
        if not memo:
            m.setattr(RunContext, "memo", forgetful_memo)
            m.setattr(kept_terms, "STORE", Forgetful())  # nor across runs: every term built by its function
        report = prove([str(folder)], Options(select=list(FAMILIES), jobs=1))
    return records, alive, "".join(report_json.chunks(report, RenderOptions()))


def test_the_grids_build_terms() -> None:
    assert len(FOLDERS) >= 15


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_the_run_terms_build_what_a_fresh_build_builds(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_memo, kept, json_memo = _run(folder, True, monkeypatch)
    fresh, kept_fresh, json_fresh = _run(folder, False, monkeypatch)
    assert with_memo == fresh
    assert json_memo == json_fresh
    assert '"internal_errors"' not in json_memo
    assert with_memo  # the grid has obligations: the comparison compares something


SIBLINGS = """
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: NS}
spec:
  limits:
  - type: Container
    max: {cpu: "CPU"}
    min: {memory: 16Mi}
    maxLimitRequestRatio: {cpu: "RATIO"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: NS}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: web
        resources: {requests: {cpu: 500m, memory: 64Mi}, limits: {cpu: "1"}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: NS}
spec: {selector: {matchLabels: {app: web}}, minAvailable: AVAILABLE}
"""


def test_objects_that_differ_only_in_values_get_their_own_terms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Namespaces whose objects share names and differ in one value each (a bound, a ratio, a budget, a count)."""
    docs = []
    for ns, cpu, ratio, replicas, available in (
        ("a", "1", "2", "2", "1"),
        ("b", "2", "3", "3", "50%"),
        ("c", "1", "2", "2", "1"),
    ):
        text = SIBLINGS.replace("NS", ns).replace("CPU", cpu).replace("RATIO", ratio)
        docs.append(
            text.replace("REPLICAS", replicas).replace(
                "AVAILABLE", available if "%" not in available else f'"{available}"'
            )
        )
    (tmp_path / "all.yaml").write_text("---\n".join(docs))
    with_memo, kept, json_memo = _run(tmp_path, True, monkeypatch)
    fresh, kept_fresh, json_fresh = _run(tmp_path, False, monkeypatch)
    assert with_memo == fresh
    assert json_memo == json_fresh
    assert {r[0] for r in with_memo} >= {"CNV205", "CNV301", "CNV303", "CNV404"}
