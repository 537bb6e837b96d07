"""Deciding obligations: exact evaluation where no search is needed, else Z3 (tracked facts,
deterministic limits, minimal cores, witnesses)."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from fractions import Fraction
from typing import Any

import z3
from cnverify import exact, smt
from cnverify.alpha import C
from cnverify.obligation import Obligation, conclusion
from cnverify.proof import Finding, Step, Verdict
from cnverify.smt import Limits

__all__ = ["CertifyError", "Limits", "certifying", "certifying_now", "decide", "finding", "to_python"]


def to_python(value: z3.ExprRef) -> Any:
    """A model value as plain JSON-able Python.

    The tests of the Python API (``is_int_value``, ``is_true``, ...) read by Z3's C functions on plain
    integers (:class:`cnverify.alpha.C`), in the order the API asks them; equal to
    ``tests/engine/test_solver.py``'s ``reference_to_python`` (the API's own tests) on every kind of value."""
    r, a = value.ctx.ref().value, value.ast.value
    if isinstance(value, z3.ArithRef):
        if C.is_numeral_ast(r, a):
            sort = C.sort_kind(r, C.get_sort(r, a))
            if sort == z3.Z3_INT_SORT:
                return int(C.numeral_string(r, a))
            if sort == z3.Z3_REAL_SORT:
                f = Fraction(value.numerator_as_long(), value.denominator_as_long())
                return int(f) if f.denominator == 1 else str(f)
        return str(value)  # neither a Boolean nor a string: the API's tests end here too
    if C.kind(r, a) in _APP_KINDS:
        op = C.decl_kind(r, C.decl(r, a))
        if op == z3.Z3_OP_TRUE:
            return True
        if op == z3.Z3_OP_FALSE:
            return False
    if isinstance(value, z3.SeqRef) and C.is_string(r, a):
        size = (ctypes.c_uint * 1)()
        return ctypes.string_at(C.lstring(r, a, size), size[0]).decode("latin-1")  # as ``SeqRef.as_string``
    return str(value)


_APP_KINDS = (z3.Z3_APP_AST, z3.Z3_NUMERAL_AST)  # what ``z3.is_app`` accepts


def decide(ob: Obligation, limits: Limits | None = None) -> tuple[Verdict, list[Step], Any, str]:
    """Run one obligation: (verdict, chain, witness, conclusion claim).

    Exact evaluation first (:mod:`cnverify.exact`: ground and pre-decided obligations, no search);
    Z3 for the rest.  Under :func:`certifying` every exact result is re-decided by Z3 as well."""
    if ob.decision is not None:
        d = ob.decision
        if d.core is not None:  # refuted by the property from these facts alone (``Obligation.refute``)
            out = _outcome(ob, "unsat", d.core, (), d.claim)
            if _certify.get():
                _recheck_core(ob, d.core, limits)
            return out
        return d.verdict, _every_fact(ob, d.claim), d.witness, d.claim
    assert ob.goal is not None, f"{ob.prop.code}: obligation without a query"
    exprs = [expr for expr, _ in ob.facts]
    ex = _evaluate(exprs, ob.goal, [term for term, _ in ob.shown.values()], limits)
    if ex is not None:
        out = _outcome(ob, ex.result, ex.core, _python(ex) if ex.result == "sat" else (), exact.STEP)
        if _certify.get():
            _recheck(ob, out, limits)
        return out
    with smt.using(limits):
        answer = smt.check([], exprs + [ob.goal])
    if answer.result == "sat":
        m = answer.model
        assert m is not None
        return _outcome(ob, "sat", (), _model_values(ob, m), "solver: sat")
    if answer.result == "unsat":
        return _outcome(ob, "unsat", answer.core, (), "solver: unsat")
    claim = f"solver gave no answer ({answer.reason}); not proved"
    return "unknown", _every_fact(ob, claim), None, claim


def _evaluate(
    facts: list[z3.BoolRef], goal: z3.BoolRef, shown: list[z3.ExprRef], limits: Limits | None
) -> exact.Exact | None:
    """:func:`cnverify.exact.evaluate`, once per run for the very same terms (``smt.TermMemo``).

    Queries equal only up to renaming are evaluated each on its own terms: since exact evaluation keeps each
    term's structure and evaluations across calls (``exact_terms.Terms``), evaluating such a query costs
    less than renaming it to look it up (the 10k cluster: 8,169 misses of the very terms, 2,231 of them
    equal up to renaming; the renamed key cost 0.44 s, the evaluations it saved ~0.15 s)."""
    if limits is not None:  # the run's budget (a new one when ``limits`` differ): then as below
        with smt.using(limits):
            return _evaluate(facts, goal, shown, None)
    memo = smt.current().memo
    if memo is None:
        return exact.evaluate(facts, goal, shown)
    tag = ("exact", len(facts), len(shown))
    return memo.get(tag, [*facts, goal, *shown], lambda: exact.evaluate(facts, goal, shown), always)


def always(_: object) -> bool:
    return True


def _python(ex: exact.Exact) -> list[Any]:
    """``ex``'s witness values as plain Python (:func:`to_python`), computed once per outcome: a remembered
    outcome is handed to every query of its shape."""
    if len(ex.python) != len(ex.values):
        ex.python[:] = [to_python(v) for v in ex.values]
    return ex.python


def _model_values(ob: Obligation, m: z3.ModelRef | None) -> list[Any]:
    """The shown terms' values in ``m`` as plain Python (``None`` each without a model).

    Remembered per model and terms (a remembered answer hands its model to every query asking it again: 85%
    of the 10k cluster's sat answers).  A value is a function of the model and the term: completion gives an
    unassigned constant its sort's fixed default, whichever evaluation assigns it.  An entry keeps the model
    and the terms alive, so no id or address in its key names another object while it is held."""
    if m is None:
        return [None] * len(ob.shown)
    terms = [term for term, _ in ob.shown.values()]
    key = (id(m), tuple([t.ast.value for t in terms]))
    held = _WITNESS_VALUES.get(key)
    if held is not None and held[0] is m:
        return held[2]
    values = [to_python(m.eval(term, model_completion=True)) for term in terms]
    if len(_WITNESS_VALUES) >= 4096:
        _WITNESS_VALUES.clear()
    _WITNESS_VALUES[key] = (m, terms, values)
    return values


_WITNESS_VALUES: dict[tuple[int, tuple[int, ...]], tuple[z3.ModelRef, list[z3.ExprRef], list[Any]]] = {}


def _every_fact(ob: Obligation, claim: str) -> list[Step]:
    """The chain of a verdict that rests on every fact: the preamble, each fact's step, then ``claim``."""
    chain = ob.preamble + [step for _, step in ob.facts]
    chain.append(Step(claim))
    return chain


def _outcome(
    ob: Obligation, result: str, core: tuple[int, ...], values: Sequence[Any], how: str
) -> tuple[Verdict, list[Step], Any, str]:
    """Verdict, chain, witness and claim of a sat/unsat outcome; ``values`` are the shown terms' values as
    plain Python, in order (read for sat only); ``how`` ends the conclusion (``solver: sat``, ``exact
    evaluation``)."""
    verdict, claim = conclusion(ob.shape, result == "sat", ob.goal_says, how)
    if result == "sat":
        witness = {
            name: (render(value) if render else value)
            for (name, (_, render)), value in zip(ob.shown.items(), values, strict=True)
        } or None
        return verdict, _every_fact(ob, claim), witness, claim
    facts, n = ob.facts, len(ob.facts)
    chain = ob.preamble + [facts[i][1] for i in core if i < n]
    chain.append(Step(claim))
    return verdict, chain, None, claim


class CertifyError(AssertionError):
    """``--certify``: Z3 decided an exactly evaluated obligation differently (a bug in cnverify)."""


_certify: ContextVar[bool] = ContextVar("cnverify_certify", default=False)


@contextmanager
def certifying(on: bool = True) -> Iterator[None]:
    """Re-decide every exact result with Z3 inside the block (``--certify``); a disagreement raises
    :class:`CertifyError`, which the engine records as an internal error (exit 4)."""
    token = _certify.set(on)
    try:
        yield
    finally:
        _certify.reset(token)


def certifying_now() -> bool:
    """Is every exact result re-decided by Z3 here (inside :func:`certifying`)?  A property that decides what exact
    evaluation would decide leaves the obligation to it then, so ``--certify`` checks that result too."""
    return _certify.get()


def _recheck(ob: Obligation, exact_out: tuple[Verdict, list[Step], Any, str], limits: Limits | None) -> None:
    """Raise :class:`CertifyError` unless Z3 gives ``exact_out``'s verdict, witness and chain facts."""
    with smt.using(limits):
        answer = smt.check([], [expr for expr, _ in ob.facts] + [ob.goal])
    if answer.result == "unknown":
        raise CertifyError(
            f"{ob.prop.code} {ob.subject.ref}: exact evaluation decided, Z3 gave no answer ({answer.reason})"
        )
    z3_out = _outcome(ob, answer.result, answer.core, _model_values(ob, answer.model), "")
    for what, a, b in (
        ("verdict", exact_out[0], z3_out[0]),
        ("witness", exact_out[2], z3_out[2]),
        ("chain", exact_out[1][:-1], z3_out[1][:-1]),
    ):
        if a != b:
            raise CertifyError(
                f"{ob.prop.code} {ob.subject.ref}: exact evaluation and Z3 disagree on the {what}: {a!r} vs {b!r}"
            )


def _recheck_core(ob: Obligation, core: tuple[int, ...], limits: Limits | None) -> None:
    """Raise :class:`CertifyError` unless Z3 finds the facts ``core`` and the query unsatisfiable together (the
    facts of a property's refutation, its chain, alone refute the query: then so do all the facts)."""
    assert ob.goal is not None, f"{ob.prop.code}: refuted obligation without a query"
    with smt.using(limits):
        answer = smt.check([], [ob.facts[i][0] for i in core] + [ob.goal])
    if answer.result != "unsat":
        raise CertifyError(
            f"{ob.prop.code} {ob.subject.ref}: the facts of the chain do not refute the query (Z3: {answer.result})"
        )


def finding(ob: Obligation, limits: Limits | None = None) -> Finding:
    """Decide ``ob`` and wrap the verdict as a Finding."""
    verdict, chain, witness, claim = decide(ob, limits)
    if verdict == "proved" and ob.proof_caveat:
        claim = f"not proved: {ob.proof_caveat}"
        verdict, chain = "unknown", chain + [Step(claim)]
        ob.messages.pop("unknown", None)
    if verdict in ob.messages:
        message = ob.message_for(verdict, witness, "")
    else:  # no message of the property's for this verdict
        message = f"cannot decide: {claim}" if verdict == "unknown" else f"{ob.prop.title}: {verdict}"
    prop = ob.prop
    return Finding(  # by position (property, name, status, severity, subject, location, message, chain, witness, help)
        prop.code,
        prop.name,
        verdict,
        prop.severity,
        ob.subject.subject(ob.path),
        ob.location,
        message,
        chain,
        witness,
        prop.remediation,
    )
