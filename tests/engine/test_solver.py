"""The solver layer: tracked facts, minimal unsat cores, clean witnesses, limits → unknown,
and verdicts reached without the solver (``ob.decide`` / ``ob.unknown``)."""

from __future__ import annotations

from itertools import combinations

import pytest
import z3
from cnverify import exact, smt
from cnverify.model import HorizontalPodAutoscaler
from cnverify.obligation import Obligation
from cnverify.registry import Property
from cnverify.solver import Limits, decide, finding
from cnverify.source import Document, compose

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  minReplicas: 5
  maxReplicas: 3
"""


class Probe(Property):
    """Not registered: a property used only to build obligations."""

    code = "CNV999"
    name = "probe"
    title = "test probe"
    remediation = "none"


def obligation() -> Obligation:
    doc = next(compose(HPA, "h.yaml"))
    assert isinstance(doc, Document)
    hpa = HorizontalPodAutoscaler.model_validate(doc.data)
    hpa.bind(doc, ())
    return Probe().obligation(hpa, at=hpa.spec.at("minReplicas"))


X, Y, Z = z3.Ints("x y z")


def redundant_facts(ob: Obligation) -> list[z3.BoolRef]:
    """Facts with several minimal cores against the goal x <= y, plus irrelevant ones."""
    facts = [X == 5, Z == 1, X > 4, Y == 3, Y < 4, Z > 0]
    for i, f in enumerate(facts):
        ob.fact(f, at=ob.subject.spec.at("minReplicas" if i % 2 else "maxReplicas"), says=f"fact {i}: {f}")
    return facts


def satisfiable(exprs: list[z3.BoolRef]) -> bool:
    s = z3.Solver()
    s.add(*exprs)
    return s.check() == z3.sat


def test_unsat_core_is_minimal() -> None:
    ob = obligation()
    facts = redundant_facts(ob)
    ob.example(X <= Y, says="x <= y")
    verdict, chain, witness, _ = decide(ob, Limits())
    assert verdict == "violated" and witness is None
    claims = [step.claim for step in chain[:-1]]
    core = [facts[int(c.split(":")[0].removeprefix("fact "))] for c in claims]
    assert not satisfiable(core + [X <= Y])  # it is a core
    for smaller in combinations(core, len(core) - 1):  # and no fact can be dropped
        assert satisfiable(list(smaller) + [X <= Y])
    assert chain[-1].location is None and "solver: unsat" in chain[-1].claim
    assert all(step.location is not None for step in chain[:-1])


def test_proved_counterexample_chain_holds_the_core_then_the_conclusion() -> None:
    ob = obligation()
    ob.fact(X == 5, at=ob.subject.spec.at("minReplicas"), says="x is 5")
    ob.fact(Z == 2, at=ob.subject.spec.at("maxReplicas"), says="z is 2 (irrelevant)")
    ob.counterexample(X < 1, says="x < 1")
    f = finding(ob, Limits())
    assert f.status == "proved"
    assert [(s.claim, s.location.line if s.location else None) for s in f.chain] == [
        ("x is 5", 5),
        ("no counterexample: it is impossible that x < 1 (exact evaluation)", None),
    ]


def test_sat_chain_lists_every_fact_and_witness_has_no_tracking_labels() -> None:
    ob = obligation()
    ob.fact(X == 5, at=ob.subject.spec.at("minReplicas"), says="x is 5")
    ob.fact(Y == 3, at=ob.subject.spec.at("maxReplicas"), says="y is 3")
    ob.counterexample(X > Y, says="x > y")
    ob.show("x", X)
    ob.show("y", Y, lambda v: f"{v} replicas")
    ob.on(violated=lambda w: f"x {w['x']} > y {w['y']}")
    f = finding(ob, Limits())
    assert (f.status, f.witness, f.message) == ("violated", {"x": 5, "y": "3 replicas"}, "x 5 > y 3 replicas")
    assert [s.location.line if s.location else None for s in f.chain] == [5, 6, None]
    assert "__" not in repr(f.witness) and "__" not in repr(f.to_json())


def test_witness_is_none_without_shown_terms() -> None:
    ob = obligation()
    ob.fact(X == 1, at=None, says="x is 1")
    ob.counterexample(X > 0, says="x > 0")
    assert finding(ob, Limits()).witness is None


@pytest.mark.parametrize(
    "limits",
    # the per-query wall-clock timeout bounds routing (regex) queries only (smt.Budget.wall_clock_ms): an
    # obligation's query is cut by the run deadline (--run-timeout) instead, here 1 ms with a huge rlimit
    [Limits(rlimit=1_000), Limits(run_timeout_ms=1, rlimit=10**9)],
    ids=["rlimit", "run-deadline"],
)
def test_limit_hit_is_unknown_never_a_pass(limits: Limits) -> None:
    ob = obligation()
    ob.fact(z3.And(X > 0, Y > 0, Z > 0), at=ob.subject.spec.at(), says="positive")
    ob.counterexample(X * X * X + Y * Y * Y == Z * Z * Z, says="a cube is the sum of two cubes")
    f = finding(ob, limits)
    assert f.status == "unknown"
    assert f.message.startswith("cannot decide: solver gave no answer")
    assert ("time budget" in f.message) == (limits.run_timeout_ms is not None)  # which limit ended it
    assert f.chain[-1].claim.endswith("not proved") and f.witness is None


def test_ob_unknown_keeps_notes_and_facts_in_the_chain() -> None:
    ob = obligation()
    ob.note("context", at=ob.subject.at())
    ob.fact(X == 1, at=ob.subject.spec.at("minReplicas"), says="x is 1")
    ob.counterexample(X > 0, says="x > 0")
    ob.unknown("regex lookahead is not supported")
    f = finding(ob, Limits())
    assert (f.status, f.message) == ("unknown", "cannot decide: regex lookahead is not supported")
    assert [(s.claim, s.location.line if s.location else None) for s in f.chain] == [
        ("context", 1),
        ("x is 1", 5),
        ("regex lookahead is not supported", None),
    ]


@pytest.mark.parametrize("verdict", ["proved", "violated"])
def test_ob_decide_needs_no_solver(verdict: str) -> None:
    ob = obligation()
    ob.fact(X == 5, at=ob.subject.spec.at("minReplicas"), says="minReplicas is 5")
    ob.decide(verdict, "decided exactly", witness={"minReplicas": 5})  # type: ignore[arg-type]
    ob.on(violated="bad", proved="good")
    f = finding(ob, Limits())
    assert (f.status, f.witness, f.message) == (
        verdict,
        {"minReplicas": 5},
        {"proved": "good", "violated": "bad"}[verdict],
    )
    assert [s.claim for s in f.chain] == ["minReplicas is 5", "decided exactly"]
    assert (f.location.line, f.location.column) == (5, 3)
    assert f.subject == {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "namespace": "shop",
        "name": "web",
    }


def renamed_obligation(prefix: str, low: int = 5) -> Obligation:
    """x == low, y == 3, counterexample x > y, both shown: constants named after ``prefix``."""
    x, y = z3.Ints(f"{prefix}x {prefix}y")
    ob = obligation()
    ob.fact(x == low, at=ob.subject.spec.at("minReplicas"), says="x is fixed")
    ob.fact(y == 3, at=ob.subject.spec.at("maxReplicas"), says="y is 3")
    ob.counterexample(x > y, says="x > y")
    ob.show("x", x)
    ob.show("y", y)
    return ob


def test_exact_evaluation_once_per_run_for_queries_equal_up_to_renaming(monkeypatch: pytest.MonkeyPatch) -> None:
    """Alpha-equivalent obligations whose constants' names sort alike are evaluated once per run (the
    outcome names no constant); another literal, or names in another order (the search picks
    constants by name), is evaluated again; each gets its own verdict, chain and witness."""
    calls: list[int] = []
    real = exact.evaluate

    def spy(facts: list[z3.BoolRef], goal: z3.BoolRef, shown: list[z3.ExprRef]) -> exact.Exact | None:
        calls.append(len(facts))
        return real(facts, goal, shown)

    monkeypatch.setattr(exact, "evaluate", spy)
    with smt.budget(Limits()):
        a, b = finding(renamed_obligation("a.")), finding(renamed_obligation("b."))
        assert len(calls) == 1
        finding(renamed_obligation("c.", low=6))  # another literal
        assert len(calls) == 2
        swapped = renamed_obligation("d.")  # d.x named after d.y: the names sort the other way
        x, y = z3.Ints("d.y d.x")
        swapped.facts.clear()
        swapped.fact(x == 5, at=swapped.subject.spec.at("minReplicas"), says="x is fixed")
        swapped.fact(y == 3, at=swapped.subject.spec.at("maxReplicas"), says="y is 3")
        swapped.counterexample(x > y, says="x > y")
        swapped.shown = {"x": (x, None), "y": (y, None)}
        finding(swapped)
        assert len(calls) == 3
    assert (a.status, a.witness, a.to_json()["chain"]) == (b.status, b.witness, b.to_json()["chain"])
    assert a.status == "violated" and a.witness == {"x": 5, "y": 3}
