"""The solver layer: tracked facts, minimal unsat cores, clean witnesses, limits → unknown,
and verdicts reached without the solver (``ob.decide`` / ``ob.unknown``)."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import pytest
import z3
from cnverify import exact, smt
from cnverify.model import HorizontalPodAutoscaler
from cnverify.obligation import Obligation
from cnverify.registry import Property
from cnverify.solver import Limits, decide, finding, to_python
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


def test_exact_evaluation_once_per_run_for_the_very_same_terms(monkeypatch: pytest.MonkeyPatch) -> None:
    """An obligation whose terms were evaluated before in the run is not evaluated again; one equal only up to
    renaming is evaluated on its own terms (cheaper than renaming it to look it up), with the same verdict,
    chain and witness."""
    calls: list[int] = []
    real = exact.evaluate

    def spy(facts: list[z3.BoolRef], goal: z3.BoolRef, shown: list[z3.ExprRef]) -> exact.Exact | None:
        calls.append(len(facts))
        return real(facts, goal, shown)

    monkeypatch.setattr(exact, "evaluate", spy)
    with smt.budget(Limits()):
        a = finding(renamed_obligation("a."))
        again = finding(renamed_obligation("a."))  # the very same terms
        assert len(calls) == 1
        b = finding(renamed_obligation("b."))  # equal up to renaming
        assert len(calls) == 2
    assert (a.status, a.witness, a.to_json()["chain"]) == (b.status, b.witness, b.to_json()["chain"])
    assert again.to_json() == a.to_json()
    assert a.status == "violated" and a.witness == {"x": 5, "y": 3}


def reference_to_python(value: z3.ExprRef) -> object:
    """``solver.to_python`` as it read values through the Python API's tests (the path it replaces)."""
    if z3.is_int_value(value):
        return value.as_long()  # type: ignore[attr-defined]
    if z3.is_rational_value(value):
        f = Fraction(value.numerator_as_long(), value.denominator_as_long())  # type: ignore[attr-defined]
        return int(f) if f.denominator == 1 else str(f)
    if z3.is_true(value):
        return True
    if z3.is_false(value):
        return False
    if z3.is_string_value(value):
        return value.as_string()  # type: ignore[attr-defined]
    return str(value)


def test_to_python_reads_every_kind_of_value_as_the_python_api_does() -> None:
    x = z3.Int("x")
    values: list[z3.ExprRef] = [
        z3.IntVal(0),
        z3.IntVal(-7),
        z3.IntVal(2**70),
        z3.RealVal("1/3"),
        z3.RealVal(-4),
        z3.RealVal("2.5"),
        z3.BoolVal(True),
        z3.BoolVal(False),
        z3.StringVal(""),
        z3.StringVal('a\\b \u00e9 \U0001f600 "q"'),
        z3.BitVecVal(5, 8),
        x,
        x + 1,
        z3.Bool("b"),
        z3.String("s"),
        z3.Concat(z3.String("s"), z3.StringVal("t")),
        z3.ExprRef(z3.IntVal(5).as_ast()),  # an integer under the plain wrapper: printed, as the API's tests say
        z3.ExprRef(z3.BoolVal(True).as_ast()),
        z3.ForAll([x], x >= x),
        z3.Const("u", z3.DeclareSort("U")),
        z3.Unit(z3.IntVal(3)),
        z3.Empty(z3.SeqSort(z3.IntSort())),
    ]
    m = z3.Solver()
    m.add(x == 3)
    assert m.check() == z3.sat
    values.append(m.model().eval(x * 2, model_completion=True))
    got = [to_python(v) for v in values]
    assert got == [reference_to_python(v) for v in values]
    assert [type(g) for g in got] == [type(reference_to_python(v)) for v in values]
    assert got[:9] == [0, -7, 2**70, "1/3", -4, "5/2", True, False, ""]
