"""``cnverify.smt.check``: the one way to ask Z3 (answers, cores, budgets, deadline)."""

from __future__ import annotations

import time

import pytest
import z3
from cnverify import alpha, smt
from hypothesis import given, settings
from hypothesis import strategies as st


def test_sat_model_is_in_the_callers_context() -> None:
    x, y = z3.Ints("x y")
    a = smt.check([x > 3, y == x + 1, x < 5])
    assert a.result == "sat" and a.rlimit > 0
    assert a.model is not None and a.model.eval(y).as_long() == 5


def test_unsat_core_indexes_tracked_formulas() -> None:
    x = z3.Int("x")
    a = smt.check([x > 0], [x > 10, x == 3, x < 100])
    assert (a.result, a.core) == ("unsat", (0, 1))


def test_limits_come_from_the_run_budget() -> None:
    s = z3.String("s")
    hard = [
        z3.InRe(s, z3.Star(z3.Union(z3.Re("ab"), z3.Re("ba")))),
        z3.Length(s) > 40,
        z3.Not(z3.InRe(s, z3.Concat(z3.Star(z3.Re("ab")), z3.Star(z3.Re("ba"))))),
    ]
    with smt.budget(smt.Limits(rlimit=1)):
        a = smt.check(hard)
    assert a.result == "unknown" and a.reason
    assert smt.current().limits == smt.Limits()  # restored after the block


def test_after_the_deadline_queries_are_unknown_without_z3() -> None:
    x = z3.Int("x")
    with smt.budget(smt.Limits(run_timeout_ms=1)) as b:
        time.sleep(0.01)
        assert b.spent()
        a = smt.check([x > 0])
    assert (a.result, a.reason, a.rlimit) == ("unknown", smt.DEADLINE_REASON, 0)


def test_using_keeps_the_installed_budget() -> None:
    limits = smt.Limits(timeout_ms=1234, run_timeout_ms=60_000)
    with smt.budget(limits) as outer:
        with smt.using(limits) as inner:
            assert inner is outer
        with smt.using(smt.Limits(timeout_ms=99)) as other:
            assert other.limits.timeout_ms == 99 and other.deadline is None


def test_wall_clock_timer_only_where_it_buys_something() -> None:
    """rlimit-bounded queries arm no timer; routing (regex) queries get the per-query timeout; under a
    run deadline every query is cut to the time left."""
    free = smt.Budget(smt.Limits(timeout_ms=4000))
    assert free.wall_clock_ms() is None
    assert free.wall_clock_ms(0.5, regex=True) == 2000
    dated = smt.Budget(smt.Limits(timeout_ms=4000), deadline=time.monotonic() + 60)
    assert 0 < (dated.wall_clock_ms() or 0) <= 60_000
    assert dated.wall_clock_ms(regex=True) == 4000
    past = smt.Budget(smt.Limits(), deadline=time.monotonic() - 1)
    assert past.wall_clock_ms() == 0 and past.wall_clock_ms(regex=True) == 0


def test_solver_parameters_per_query(monkeypatch: pytest.MonkeyPatch) -> None:
    """The timer is set only when the policy asks for it; seed, rlimit and core minimisation always."""
    seen: list[str] = []
    real = smt._configure

    def spy(ref: object, solver: object, wall_ms: int | None, rlimit: int, cores: bool) -> None:
        real(ref, solver, wall_ms, rlimit, cores)
        seen.append(f"{wall_ms} {rlimit} {cores}")

    monkeypatch.setattr(smt, "_configure", spy)
    x = z3.Int("x")
    with smt.budget(smt.Limits(timeout_ms=3000, rlimit=777_000)):
        assert smt.check([x > 0], [x < 0]).result == "unsat"
        assert smt.check([x > 0], preprocess=True, share=0.5).result == "sat"
    assert seen == ["None 777000 True", "1500 388500 False"]


def test_a_run_asks_z3_once_per_distinct_query() -> None:
    """Inside a run, a structurally identical query (rebuilt from scratch: the same ASTs) is answered
    from the memo with the very answer Z3 gave; outside a run nothing is remembered."""
    x = z3.Int("x")
    with smt.budget(smt.Limits()) as b:
        assert b.memo is not None
        first = smt.check([x > 0], [z3.Int("x") > 10, x == 3])
        again = smt.check([z3.Int("x") > 0], [x > 10, z3.Int("x") == 3])
        other = smt.check([x > 0], [x > 10, x == 4])  # another query: asked
        assert again is first and other is not first and b.memo.hits == 1
        assert (again.result, again.core) == ("unsat", (0, 1))
    assert smt.current().memo is None
    assert smt.check([x > 0]) is not smt.check([x > 0])


def test_unknown_answers_are_asked_again() -> None:
    s = z3.String("s")
    hard = [z3.InRe(s, z3.Star(z3.Union(z3.Re("ab"), z3.Re("ba")))), z3.Length(s) > 40]
    with smt.budget(smt.Limits(rlimit=1)) as b:
        a, again = smt.check(hard), smt.check(hard)
    assert a.result == again.result == "unknown" and again is not a and b.memo is not None and b.memo.hits == 0


def test_memo_is_bounded_and_keeps_its_terms_alive() -> None:
    memo = smt.TermMemo(size=2)
    calls: list[int] = []
    for n in (1, 2, 3, 1):
        memo.get("t", [z3.IntVal(n) > 0], lambda n=n: calls.append(n) or n, lambda _: True)  # type: ignore[misc]
    assert calls == [1, 2, 3, 1] and memo.hits == 0  # 1 was dropped for 3, so asked again
    assert memo.get("t", [z3.IntVal(3) > 0], lambda: -1, lambda _: True) == 3 and memo.hits == 1
    assert memo.get("other tag", [z3.IntVal(3) > 0], lambda: -1, lambda _: True) == -1


def test_memo_never_answers_a_term_built_where_a_dropped_one_was() -> None:
    """Keys are the terms' addresses: once an entry is dropped its terms may be freed and their memory
    reused by new terms, which must still be computed (never the dropped entry's value)."""
    memo = smt.TermMemo(size=2)
    values = [memo.get("t", [z3.Int(f"m{n}") > n], lambda n=n: n, lambda _: True) for n in range(3000)]  # type: ignore[misc]
    assert values == list(range(3000)) and memo.hits == 0
    assert memo.get("t", [z3.Int("m2999") > 2999], lambda: -1, lambda _: True) == 2999 and memo.hits == 1


def test_alpha_equivalent_queries_share_one_answer_under_their_own_names() -> None:
    """Queries that differ only in the names of their constants are asked once per run; each gets the
    model under its own constants, and the answer is what Z3 gives the canonical query asked alone."""
    a, b = z3.Ints("ns1.replicas ns1.max"), z3.Ints("ns2.replicas ns2.max")

    def query(r: z3.ArithRef, m: z3.ArithRef) -> list[z3.BoolRef]:
        return [m == 7, r >= 2, r <= m, r * 3 > 10]

    alone = smt.check([], query(*b))  # outside a run: nothing remembered
    with smt.budget(smt.Limits()) as run:
        assert run.memo is not None
        first, second = smt.check([], query(*a)), smt.check([], query(*b))
        assert run.memo.hits == 1
    for answer, (r, m) in ((first, a), (second, b), (alone, b)):
        assert answer.result == "sat" and answer.model is not None
        assert [answer.model.eval(t).as_long() for t in (r, m)] == [first.model.eval(a[0]).as_long(), 7]
        assert {d.name() for d in answer.model.decls() if not d.name().startswith("__fact")} == {str(r), str(m)}
    assert first.rlimit == second.rlimit == alone.rlimit


def test_queries_of_another_shape_are_asked_again() -> None:
    """A different literal, or constants shared differently, is another query."""
    x, y, z = z3.Ints("sx sy sz")
    with smt.budget(smt.Limits()) as run:
        assert run.memo is not None
        base = smt.check([], [x > 0, x < 5])
        literal = smt.check([], [y > 0, y < 6])
        sharing = smt.check([], [y > 0, z < 5])
        order = smt.check([], [x < 5, x > 0])
        renamed = smt.check([], [z > 0, z < 5])
        assert run.memo.hits == 1 and renamed.model is not None and base.model is not None
        assert renamed.model.eval(z).eq(base.model.eval(x))
    assert all(a.result == "sat" for a in (base, literal, sharing, order))


def test_canonical_form_renames_by_first_occurrence_and_keeps_sorts() -> None:
    n, s, m = z3.Int("n"), z3.String("s"), z3.Int("m")
    terms, renaming = alpha.canonical([z3.Length(s) == n, m > n])
    assert [str(t) for t in terms] == ["Length(k!0) == k!1", "k!2 > k!1"]
    assert [str(z3.z3._to_expr_ref(o, z3.main_ctx())) for o in renaming.originals] == ["s", "n", "m"]
    assert [c.sort() for c in renaming.canonicals] == [z3.StringSort(), z3.IntSort(), z3.IntSort()]
    again, _ = alpha.canonical([z3.Length(z3.String("t")) == z3.Int("p"), z3.Int("q") > z3.Int("p")])
    assert [t.get_id() for t in again] == [t.get_id() for t in terms]  # one AST: one memo key
    assert alpha.canonical([z3.BoolVal(True)])[1] is alpha.NONE


def test_a_constant_named_like_a_canonical_one_keeps_its_own_value() -> None:
    """The renaming is one simultaneous substitution: a constant that already has a canonical name
    (``z3.Int(1)`` is ``k!1``) is renamed like any other, never merged with another constant."""
    taken, y = z3.Int(1), z3.Int("y")
    a = smt.check([], [taken > 5, y < 3, y > taken - 10])
    assert a.result == "sat" and a.model is not None
    assert a.model.eval(taken).as_long() > 5 and a.model.eval(y).as_long() < 3
    assert smt.check([], [taken > 5, y < 3, y == taken]).result == "unsat"


def _api_check(assertions: list[z3.BoolRef], tracked: list[z3.BoolRef], rlimit: int, preprocess: bool) -> smt.Answer:
    """The reference: the query asked through Z3's Python API (wrapper objects throughout), as ``smt`` did
    before it drove the fresh context by C calls."""
    ctx = z3.Context()
    vec = z3.AstVector(ctx=assertions[0].ctx)
    for e in [*assertions, *tracked]:
        vec.push(e)
    out = vec.translate(ctx)
    moved = [out[i] for i in range(len(out))]
    s = z3.Solver(ctx=ctx) if preprocess else z3.SimpleSolver(ctx=ctx)
    p = z3.ParamsRef(ctx)
    p.set("rlimit", rlimit)
    p.set("random_seed", smt.SEED)
    if tracked:
        p.set("core.minimize", True)
    z3.z3core.Z3_solver_set_params(ctx.ref(), s.solver, p.params)
    for a in moved[: len(assertions)]:
        s.add(a)
    labels = [z3.Bool(f"__fact{i}", ctx) for i in range(len(tracked))]
    for label, t in zip(labels, moved[len(assertions) :], strict=True):
        s.assert_and_track(t, label)
    result = s.check()
    used = int(s.statistics().get_key_value("rlimit count"))
    if result == z3.sat:
        return smt.Answer("sat", model=s.model().translate(assertions[0].ctx), rlimit=used)
    if result == z3.unsat:
        index = {lab.get_id(): i for i, lab in enumerate(labels)}
        return smt.Answer("unsat", core=tuple(sorted(index[c.get_id()] for c in s.unsat_core())), rlimit=used)
    return smt.Answer("unknown", reason=s.reason_unknown(), rlimit=used)


def _outcome(a: smt.Answer) -> tuple[object, ...]:
    """What an answer says: its model as each declaration's value, by name (the order in which Z3 lists a
    model's declarations depends on the process's history, in both paths; no output reads it)."""
    model = None if a.model is None else sorted((d.name(), a.model[d].sexpr()) for d in a.model.decls())
    return (a.result, a.reason, a.core, a.rlimit, model)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(-3, 3), st.integers(0, 3), st.integers(-20, 20)),
        min_size=1,
        max_size=8,
    ),
    st.integers(0, 8),
    st.sampled_from([1, 2_000, 50_000_000]),
)
def test_c_calls_answer_as_the_python_api_does(rows: list[tuple[int, int, int, int]], split: int, rlimit: int) -> None:
    """Driving the fresh context by raw C calls gives every query the answer the Python API gives it: the
    same result, core, rlimit units, reason and model (Hypothesis: linear facts with ``If``, tracked or not)."""
    xs, flag = z3.Ints("hx0 hx1 hx2 hx3"), z3.Bool("hflag")
    facts = [z3.If(flag, xs[i] * c, xs[j]) + xs[i] <= k if c % 2 else xs[i] * c + xs[j] >= k for i, c, j, k in rows]
    assertions, tracked = [xs[0] >= -50, *facts[: split % len(facts)]], facts[split % len(facts) :]
    with smt.budget(smt.Limits(rlimit=rlimit)) as b:
        got = smt._check(b, None, assertions, tracked, 1.0, False)
    assert _outcome(got) == _outcome(_api_check(assertions, tracked, rlimit, False))


def test_c_calls_answer_routing_queries_as_the_python_api_does() -> None:
    """The same for a string query on Z3's default solver (``preprocess``), sat and unsat."""
    s = z3.String("hpath")
    prefix = z3.PrefixOf(z3.StringVal("/api"), s)
    for tracked in ([prefix, z3.Length(s) > 6], [prefix, z3.Not(z3.InRe(s, z3.Re("/api")))], [prefix, s == "/x"]):
        got = smt._check(smt.current(), None, [z3.Length(s) < 12], tracked, 1.0, True)
        assert _outcome(got) == _outcome(_api_check([z3.Length(s) < 12], tracked, smt.current().rlimit(), True))
