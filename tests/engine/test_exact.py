"""The exact decider against Z3 (differential, Hypothesis): random obligations of the shapes the
properties build — integer/real/quantity arithmetic, label selections, Boolean definitions — with
most constants fixed by ``c == literal`` facts.  Wherever exact evaluation decides, Z3 gives the same
result, the same witness values and the same core membership, and the certificate re-checks in Z3
(sat: the evaluated values satisfy every item; unsat: the core is unsat and each member is needed)."""

from __future__ import annotations

import random
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

import exact_reference  # the decider before issue 15's rewrite (tests/engine/exact_reference.py)
import pytest
import z3
from cnverify import exact, exact_terms, smt
from cnverify.encodings.labels import LabelSpace, requirement_z3
from cnverify.engine import Options, prove
from cnverify.properties._shared import terms as shared_terms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import generate  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
SETTINGS = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_against_z3(shape: str, facts: list[z3.BoolRef], goal: z3.BoolRef, shown: list[z3.ExprRef]) -> None:
    got = exact.evaluate(facts, goal, shown)
    if got is None:
        return
    items = [*facts, goal]
    answer = smt.check([], items)
    assert answer.result == got.result, (facts, goal)
    if got.result == "sat":
        assert answer.model is not None
        assert [answer.model.eval(t, model_completion=True) for t in shown] == list(got.values)
        pinned = [t == v for t, v in zip(shown, got.values, strict=True)]
        assert smt.check([*items, *pinned]).result == "sat"  # the evaluated witness is a model's
    else:
        assert answer.core == got.core, (facts, goal)  # the unique minimal core: Z3's membership
        assert smt.check([items[i] for i in got.core]).result == "unsat"
        for k in got.core:  # each member is needed
            assert smt.check([items[i] for i in got.core if i != k]).result == "sat"


SMALL = st.integers(-4, 12)


@st.composite
def arithmetic(draw: st.DrawFn) -> tuple[list[z3.BoolRef], z3.BoolRef, list[z3.ExprRef]]:
    """Quantities and replica counts: fixed constants, derived sums/products, a comparison goal."""
    real = draw(st.booleans())
    n = draw(st.integers(1, 4))
    xs = [z3.Real(f"q{i}") if real else z3.Int(f"n{i}") for i in range(n)]

    def val(v: int) -> z3.ArithRef:
        return z3.RealVal(Fraction(v, draw(st.sampled_from([1, 2, 1000])))) if real else z3.IntVal(v)

    facts: list[z3.BoolRef] = []
    for x in xs:
        if draw(st.integers(0, 9)) > 0:  # most constants fixed, some free
            facts.append(x == val(draw(SMALL)) if draw(st.booleans()) else val(draw(SMALL)) == x)
    total = z3.Real("sum") if real else z3.Int("sum")
    if draw(st.booleans()):
        facts.append(total == z3.Sum(xs))
    if draw(st.booleans()):  # a second, possibly redundant or contradicting fixing
        facts.append(xs[0] == val(draw(SMALL)))
    if draw(st.booleans()):
        facts.append(draw(st.sampled_from(xs)) * draw(st.integers(1, 3)) <= val(draw(SMALL)))

    def atom() -> z3.BoolRef:
        a, b = draw(st.sampled_from(xs + [total])), draw(st.sampled_from(xs + [val(draw(SMALL))]))
        return draw(st.sampled_from([a < b, a <= b, a == b, a > b, a != b, a + b > val(draw(SMALL))]))

    atoms = [atom() for _ in range(draw(st.integers(1, 3)))]
    goal = draw(st.sampled_from([z3.Or(atoms), z3.And(atoms), z3.Not(z3.And(atoms))]))
    return facts, goal, [*xs, total]


KEYS = ["app", "tier", "version"]
VALUES = ["web", "db", "v1"]


@st.composite
def label_selection(draw: st.DrawFn) -> tuple[list[z3.BoolRef], z3.BoolRef, list[z3.ExprRef]]:
    """A pod of one or two templates and a selector's located requirements, as CNV201/202/205 build them."""
    space = LabelSpace("pod", KEYS)
    facts: list[z3.BoolRef] = []
    templates = draw(st.lists(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES)), min_size=1, max_size=2))
    picks = [z3.Bool(f"pod.from[{i}]") for i in range(len(templates))]
    for pick, labels in zip(picks, templates, strict=True):
        facts.append(z3.Implies(pick, space.equals(labels)) if len(picks) > 1 else space.equals(labels))
    if len(picks) > 1:
        facts.append(z3.Or(picks))
    reqs = []
    for i in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
        values = tuple(draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=2)))
        r = z3.Bool(f"sel.req[{i}]")
        facts.append(r == requirement_z3(space, draw(st.sampled_from(KEYS)), op, values))
        reqs.append(r)
    selected = z3.And(reqs)
    goal = selected if draw(st.booleans()) else z3.Not(selected)  # example / counterexample shape
    return facts, goal, [space.shown(k) for k in KEYS]


@st.composite
def booleans(draw: st.DrawFn) -> tuple[list[z3.BoolRef], z3.BoolRef, list[z3.ExprRef]]:
    """Boolean flags fixed by facts (or not), definitions over them, a Boolean goal."""
    bs = [z3.Bool(f"b{i}") for i in range(draw(st.integers(1, 4)))]
    facts: list[z3.BoolRef] = []
    for b in bs:
        if draw(st.integers(0, 5)) > 0:
            facts.append(b if draw(st.booleans()) else z3.Not(b))

    def formula(depth: int) -> z3.BoolRef:
        if depth == 0 or draw(st.booleans()):
            return draw(st.sampled_from(bs))
        op = draw(st.sampled_from(["and", "or", "not", "implies"]))
        if op == "not":
            return z3.Not(formula(depth - 1))
        a, b = formula(depth - 1), formula(depth - 1)
        return {"and": z3.And, "or": z3.Or, "implies": z3.Implies}[op](a, b)

    d = z3.Bool("def")
    if draw(st.booleans()):
        facts.append(d == formula(2))
    else:
        facts.append(formula(2))
    return facts, formula(3) if draw(st.booleans()) else z3.Or(d, formula(1)), [*bs, d]


@st.composite
def ground(draw: st.DrawFn) -> tuple[list[z3.BoolRef], z3.BoolRef, list[z3.ExprRef]]:
    """Ground queries of CNV303's shape, up to 25 items: quantities fixed by ``c == literal``, Boolean
    definitions of bounds over them, a goal over the definitions (cores of every size up to the query)."""
    n = draw(st.integers(1, 6))
    xs = [z3.Int(f"x{i}") for i in range(n)]
    facts: list[z3.BoolRef] = [x == draw(SMALL) for x in xs]
    ds = []
    for j in range(draw(st.integers(1, 8))):
        d = z3.Bool(f"d{j}")
        a, b = draw(st.sampled_from(xs)), draw(st.sampled_from([*xs, z3.IntVal(draw(SMALL))]))
        bound = draw(st.sampled_from([a <= b, a >= b, a < b, a == b, a + b > draw(SMALL)]))
        facts.append(
            d == z3.And(bound, draw(st.sampled_from(xs)) >= draw(SMALL)) if draw(st.booleans()) else d == bound
        )
        ds.append(d)
    if draw(st.integers(0, 4)) == 0:  # a fact repeated or a definition's bound restated
        facts.append(draw(st.sampled_from(facts)))
    order = draw(st.permutations(range(len(facts))))
    facts = [facts[i] for i in order]
    goal = draw(st.sampled_from([z3.Not(z3.And(ds)), z3.And(ds), z3.Or(ds), z3.Not(z3.Or(ds))]))
    return facts, goal, [*xs, *ds] if draw(st.booleans()) else []


@SETTINGS
@given(ground())
def test_ground_agrees_with_z3(case: tuple[list[z3.BoolRef], z3.BoolRef, list[z3.ExprRef]]) -> None:
    check_against_z3("ground", *case)


@SETTINGS
@given(arithmetic())
def test_arithmetic_agrees_with_z3(case: tuple[list[z3.BoolRef], z3.BoolRef, list[z3.ExprRef]]) -> None:
    check_against_z3("arithmetic", *case)


@SETTINGS
@given(label_selection())
def test_label_selection_agrees_with_z3(case: tuple[list[z3.BoolRef], z3.BoolRef, list[z3.ExprRef]]) -> None:
    check_against_z3("labels", *case)


@SETTINGS
@given(booleans())
def test_booleans_agree_with_z3(case: tuple[list[z3.BoolRef], z3.BoolRef, list[z3.ExprRef]]) -> None:
    check_against_z3("booleans", *case)


@pytest.mark.parametrize(
    "shape, cases",
    [("arithmetic", arithmetic), ("labels", label_selection), ("booleans", booleans), ("ground", ground)],
)
def test_the_differential_tests_decided_both_ways(shape: str, cases: Any) -> None:
    """The grids above are not vacuous: each shape's cases include sat and unsat ones decided exactly (drawn
    here, derandomized: the count never depends on which process ran the differential tests)."""
    seen: Counter[str] = Counter()

    @settings(
        max_examples=1000, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(cases())
    def decided(case: tuple[list[z3.BoolRef], z3.BoolRef, list[z3.ExprRef]]) -> None:
        got = exact.evaluate(*case)
        seen["none" if got is None else got.result] += 1

    decided()
    assert seen["sat"] >= 20 and seen["unsat"] >= 20, (shape, seen)


def test_ground_unsat_has_the_unique_minimal_core() -> None:
    """requests ≤ limits (CNV301's shape): the core is the four fixings and the goal, as Z3's."""
    rc, lc, rm, lm = z3.Ints("requests.cpu limits.cpu requests.memory limits.memory")
    facts = [rc == 200, lc == 300, rm == 64, lm == 128]
    got = exact.evaluate(facts, z3.Or(rc > lc, rm > lm))
    assert got == exact.Exact("unsat", core=(0, 1, 2, 3, 4))


def test_ground_past_the_old_cap_has_z3s_core() -> None:
    """CNV303's LimitRange defaults (9 items, a 9-member core: past the cap of ``MAX_EVALS``, which a
    non-ground query of that size still meets) are decided exactly, with Z3's core."""
    rc, lc, rm, lm = z3.Ints("requests.cpu limits.cpu requests.memory limits.memory")
    min_cpu, min_mem, max_cpu, max_mem = z3.Bools("min.cpu min.memory max.cpu max.memory")
    facts = [
        rc == 250,
        lc == 1000,
        min_cpu == z3.And(rc >= 10, lc >= 10),
        rm == 1073741824000,
        lm == 1610612736000,
        min_mem == z3.And(rm >= 16777216000, lm >= 16777216000),
        max_cpu == z3.And(lc <= 8000, rc <= 8000),
        max_mem == z3.And(lm <= 17179869184000, rm <= 17179869184000),
    ]
    goal = z3.Not(z3.And(min_cpu, min_mem, max_cpu, max_mem))
    assert (len(facts) + 1) ** 2 > exact.MAX_EVALS
    got = exact.evaluate(facts, goal)
    assert got == exact.Exact("unsat", core=tuple(range(9)))
    assert smt.check([], [*facts, goal]).core == got.core
    assert exact_reference.evaluate(facts, goal) is None  # the decider before: Z3 decided it


def test_a_huge_ground_query_goes_to_z3() -> None:
    """The work cap of a ground query is in evaluations: 60 fixings and a goal over all of them (a 61-member
    core, a propagation per member) exceed ``MAX_GROUND_EVALS`` and go to Z3."""
    xs = [z3.Int(f"huge{i}") for i in range(60)]
    facts = [x == i for i, x in enumerate(xs)]
    assert exact.evaluate(facts, z3.Sum(xs) > 10_000) is None
    assert exact.evaluate(facts[:8], z3.Sum(xs[:8]) > 10_000) == exact.Exact("unsat", core=tuple(range(9)))


def test_a_core_that_is_not_unique_goes_to_z3() -> None:
    """Two facts each make the goal false on their own: Z3 chooses, so exact evaluation declines."""
    a, b = z3.Ints("a b")
    assert exact.evaluate([a == 1, b == 1], z3.And(a > 5, b > 5)) is None


def test_free_constants_in_the_witness_go_to_z3() -> None:
    """A witness value that no fact fixes is Z3's choice: not decided exactly."""
    a, b = z3.Ints("a b")
    assert exact.evaluate([a == 1], a < 5, [b]) is None
    got = exact.evaluate([a == 1], a < 5, [a])
    assert got is not None and got.result == "sat" and got.values == (z3.IntVal(1),)


def test_a_division_goes_to_z3() -> None:
    """Z3's evaluator reads ``0/0`` as 0, its solver as any value: ``r == 2 ∧ 0/0 == r`` is satisfiable, so exact
    evaluation must not call it unsat (it would prove a counterexample-shaped obligation Z3 refutes)."""
    r = z3.Real("r_div")
    zero = z3.RealVal(0)
    assert exact.evaluate([r == 2], zero / zero == r) is None
    assert exact.evaluate([r == 2], z3.ToInt(r) % 2 == 0) is None
    s = z3.Solver()
    s.add(r == 2, zero / zero == r)
    assert s.check() == z3.sat
    assert exact.evaluate([r == 2], r + 1 == 3) is not None  # no partial operation: still evaluated


def test_a_division_over_or_under_a_walked_subterm_goes_to_z3() -> None:
    """The partial-operation walk remembers each subterm it found none in (``Terms.partial``): a division above
    such a subterm, or a term holding a subterm found to have one, still goes to Z3."""
    x, y = z3.Ints("x_walk y_walk")
    plain = x + 1 > 0
    assert exact.evaluate([x == 1], plain) == exact.Exact("sat")  # x + 1, x, 1 walked: none
    divided = (x + 1) / y > 0
    assert exact.evaluate([x == 1, y == 1], divided) is None
    assert exact.evaluate([x == 1, y == 1], z3.Or(plain, divided)) is None  # ``divided`` is known to have one
    assert exact.evaluate([x == 1, y == 1], z3.And(plain, x + 1 > y)) == exact.Exact("sat")


# The new decider against the one it replaced (issue 15: raw pointers, one evaluation per set of values and term,
# kept across calls): the same outcome — result, core, witness values — for every case, whatever was evaluated before
# and in whichever order, with the reference's own evaluations (which make and free terms) in between.
def outcome(got: exact.Exact | None) -> tuple[str, tuple[int, ...], tuple[str, ...]] | None:
    return None if got is None else (got.result, got.core, tuple(v.sexpr() for v in got.values))


Case = tuple[list[z3.BoolRef], z3.BoolRef, list[z3.ExprRef]]


def assert_as_reference(
    case: Case, got: exact.Exact | None, expected: tuple[str, tuple[int, ...], tuple[str, ...]] | None
) -> None:
    """The reference's outcome; or, where the reference went to Z3 for its work cap (issue 15: a ground query
    is decided exactly whatever its core's size), an unsat outcome with Z3's verdict and core."""
    if expected is None and got is not None and got.result == "unsat":
        check_against_z3("reference-declined", *case)
        return
    assert outcome(got) == expected, case


ANY_CASE = st.one_of(arithmetic(), label_selection(), booleans())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ANY_CASE, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_the_reference_outcome_whatever_came_before(cases: list[Case], rnd: random.Random) -> None:
    expected = {}
    for i in rnd.sample(range(len(cases)), len(cases)):
        expected[i] = outcome(exact_reference.evaluate(*cases[i]))
    for _ in range(2):  # two more orders, the reference evaluating unrelated cases in between
        for i in rnd.sample(range(len(cases)), len(cases)):
            assert_as_reference(cases[i], exact.evaluate(*cases[i]), expected[i])
            exact_reference.evaluate(*cases[rnd.randrange(len(cases))])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ANY_CASE, min_size=2, max_size=5), st.integers(0, 60))
def test_the_reference_outcome_when_kept_terms_are_released_between_calls(cases: list[Case], cap: int) -> None:
    """Each term's structure and each evaluation by (values, term) are kept across calls (``exact_terms.Terms``),
    all released past ``CAP`` terms or evaluations: with a small cap they are released between some calls and
    not others, and no outcome changes."""
    old = exact_terms.CAP
    exact_terms.CAP = cap
    try:
        for case in [*cases, *cases]:
            assert_as_reference(case, exact.evaluate(*case), outcome(exact_reference.evaluate(*case)))
    finally:
        exact_terms.CAP = old


def test_kept_terms_are_released_past_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    x = z3.Int("x")
    assert exact.evaluate([x == 1], x > 0) == exact.Exact("sat")
    kept = exact_terms.terms_of(x.ctx)
    assert len(kept.held) > 2 and kept.classes and kept.items and kept.evals
    monkeypatch.setattr(exact_terms, "CAP", 2)
    kept = exact_terms.terms_of(x.ctx)
    assert kept.held == {kept.true, kept.false} and not kept.classes and not kept.items and not kept.consts
    assert not kept.evals and not kept.partials


def reference_checked(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every ``exact.evaluate`` call of a run also made on the reference, which must give the same outcome."""
    seen: Counter[str] = Counter()
    new = exact.evaluate

    def both(facts: list[z3.BoolRef], goal: z3.BoolRef, shown: list[z3.ExprRef] = ()) -> exact.Exact | None:  # type: ignore[assignment]
        got = new(facts, goal, shown)
        assert_as_reference((facts, goal, list(shown)), got, outcome(exact_reference.evaluate(facts, goal, shown)))
        seen["none" if got is None else got.result] += 1
        return got

    monkeypatch.setattr(exact, "evaluate", both)
    # the queries properties decide where they build them (terms.decide_sat) go to exact evaluation, as under --certify
    monkeypatch.setattr(shared_terms, "certifying_now", lambda: True)
    return seen


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the peer corpus (../shared/corpus) is not here")
def test_the_reference_outcome_on_every_corpus_query(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = reference_checked(monkeypatch)
    prove([str(CORPUS)], Options(jobs=1))
    assert seen["sat"] > 300 and seen["unsat"] > 300 and seen["none"] > 50, seen  # every kind of outcome


def test_the_reference_outcome_on_a_generated_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen = reference_checked(monkeypatch)
    prove([str(generate.write(2_000, tmp_path / "c2k"))], Options(jobs=1))
    assert seen["sat"] > 500 and seen["unsat"] > 50 and seen["none"] > 50, seen
