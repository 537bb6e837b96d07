"""Exact evaluation's shortcuts (issue 15, sixth wave), each against the path it replaces (Hypothesis, thousands
of cases): the same outcome — result, core, witness values, or None — with the shortcut on and off, and the
property of Z3's evaluator each one rests on."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import pytest
import z3
from cnverify import exact, exact_terms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_exact import VALUES, arithmetic, booleans, ground, label_selection, outcome

Case = tuple[list[z3.BoolRef], z3.BoolRef, list[z3.ExprRef]]
ANY_CASE = st.one_of(arithmetic(), label_selection(), booleans(), ground())
MANY = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def constants(terms: list[z3.ExprRef]) -> list[z3.ExprRef]:
    """The uninterpreted constants of ``terms``, each once (in the order found)."""
    out: dict[int, z3.ExprRef] = {}
    todo = list(terms)
    while todo:
        t = todo.pop()
        if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out.setdefault(t.get_id(), t)
        elif z3.is_app(t):
            todo += t.children()
    return list(out.values())


def some_value(c: z3.ExprRef, rnd: random.Random) -> z3.ExprRef:
    """A literal of ``c``'s sort: the values the cases' literals and the search's candidates are made of."""
    if z3.is_bool(c):
        return z3.BoolVal(rnd.random() < 0.5, c.ctx)
    if z3.is_int(c):
        return z3.IntVal(rnd.randint(-4, 12), c.ctx)
    if z3.is_real(c):
        return z3.RealVal(Fraction(rnd.randint(-4, 12), rnd.choice([1, 2, 1000])), c.ctx)
    return z3.StringVal(rnd.choice([*VALUES, ""]), c.ctx)


def model_of(pairs: list[tuple[z3.ExprRef, z3.ExprRef]]) -> z3.ModelRef:
    m = z3.Model()
    for c, v in pairs:
        m.update_value(c.decl(), v)
    return m


@MANY
@given(ANY_CASE, st.randoms(use_true_random=False))
def test_an_evaluation_reads_only_the_values_of_its_own_constants(case: Case, rnd: random.Random) -> None:
    """What ``NARROW`` rests on: a term evaluated (no completion) under values of any constants, and under only
    those of its own constants, gives the same term — also a residue, re-evaluated under more values."""
    facts, goal, shown = case
    items = [*facts, goal, *shown]
    everything = constants(items)
    for t in items:
        first = [(c, some_value(c, rnd)) for c in everything if rnd.random() < 0.5]
        residue = model_of(first).eval(t, model_completion=False)
        own = {c.get_id() for c in constants([t])}
        assert residue.eq(model_of([p for p in first if p[0].get_id() in own]).eval(t, model_completion=False))
        fixed = {c.get_id() for c, _ in first}
        more = first + [(c, some_value(c, rnd)) for c in everything if c.get_id() not in fixed and rnd.random() < 0.5]
        again = model_of(more).eval(residue, model_completion=False)
        left = {c.get_id() for c in constants([residue])}
        assert left <= own - fixed  # evaluation brings no constant in and leaves none it has a value for
        assert again.eq(model_of([p for p in more if p[0].get_id() in left]).eval(residue, model_completion=False))


@contextmanager
def shortcut(name: str, on: bool) -> Iterator[None]:
    """``exact_terms.<name>`` set to ``on`` inside the block, on a context whose kept terms start empty (the
    path without the shortcut shares nothing it kept with the one with it)."""
    old = getattr(exact_terms, name)
    setattr(exact_terms, name, on)
    exact_terms.terms_of(z3.main_ctx()).clear()
    try:
        yield
    finally:
        setattr(exact_terms, name, old)
        exact_terms.terms_of(z3.main_ctx()).clear()


def outcomes(cases: list[Case], name: str, on: bool) -> list[Any]:
    with shortcut(name, on):
        return [outcome(exact.evaluate(*case)) for case in cases]


@pytest.mark.parametrize("name", ["NARROW", "ONE_EMPTY_MODEL"])
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=st.lists(ANY_CASE, min_size=1, max_size=8))
def test_a_shortcut_gives_the_outcomes_of_the_path_it_replaces(name: str, cases: list[Case]) -> None:
    """A run of cases (each repeated, so kept evaluations are found again) decided with the shortcut and without
    it: the same result, core and witness values, or the same None."""
    run = [*cases, *cases]
    assert outcomes(run, name, True) == outcomes(run, name, False)


def has_partial(terms: list[z3.ExprRef]) -> bool:
    """The partial-operation walk on the Python API: an application of one of ``PARTIAL_OPS`` anywhere outside a
    quantifier."""
    todo = list(terms)
    while todo:
        t = todo.pop()
        if z3.is_app(t):
            if t.decl().kind() in exact_terms.PARTIAL_OPS:
                return True
            todo += t.children()
    return False


@MANY
@given(ANY_CASE, st.randoms(use_true_random=False))
def test_the_partial_walk_on_kept_structure_is_the_python_apis(case: Case, rnd: random.Random) -> None:
    """``Query.partial`` reads each node's classification and arguments from the structure kept per term (the walk
    before read them by C calls of its own): a division, modulus, remainder or power is found wherever it is,
    above or below terms walked before."""
    facts, goal, shown = case
    terms: list[z3.ExprRef] = [*facts, goal]
    for i, c in enumerate(constants(terms)):
        if not z3.is_arith(c) or rnd.random() < 0.7:
            continue
        op = rnd.choice([lambda x: x / 2, lambda x: x % 3 if z3.is_int(x) else x / x, lambda x: x**2])
        terms.append(z3.Or(op(c) > i, z3.Not(goal)) if rnd.random() < 0.5 else op(c + i) == c)
    q = exact_terms.Query(z3.main_ctx())
    try:
        held = [q.hold(exact_terms.ptr(t)) for t in terms]
        for k in range(len(held)):  # growing prefixes: later walks stop at nodes walked before
            assert q.partial(held[: k + 1]) == has_partial(terms[: k + 1])
    finally:
        q.close()


@given(st.integers(-(10**30), 10**30), st.fractions(), st.text(max_size=6))
def test_a_candidate_value_is_the_python_apis_literal(n: int, f: Fraction, w: str) -> None:
    """``Query.value`` (made once per context) is the literal ``z3.IntVal``, ``z3.RealVal`` and ``z3.StringVal``
    make."""
    q = exact_terms.Query(z3.main_ctx())
    ref = q.ref
    try:
        for sort, v, want in [
            (z3.IntSort(), n, z3.IntVal(n)),
            (z3.RealSort(), f, z3.RealVal(f)),
            (z3.RealSort(), n, z3.RealVal(n)),
            (z3.StringSort(), w, z3.StringVal(w)),
        ]:
            got = q.value(exact_terms.ptr(sort), v)
            assert got == exact_terms.ptr(want) and q.value(exact_terms.ptr(sort), v) == got, (sort, v)
            assert exact_terms.C.get_sort(ref, got) == exact_terms.ptr(sort)
    finally:
        q.close()
