"""``cnverify.shared_answers``: unsat answers one forked worker found, read by the others before solving.
The key is the query's structure alone (no AST id, no process history); a text that could stand for two
queries has none; an answer read from the store is the one a local solve gives."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import z3
from cnverify import parallel, shared_answers, smt


def _shared_query(r: z3.ArithRef, m: z3.ArithRef) -> list[z3.BoolRef]:
    """Shared subterms (``let`` bindings in the printed text) and an unsat core."""
    low = r >= 2
    return [z3.And(low, m == 7), z3.Or(low, r <= m), r * 3 > 30, z3.And(low, r <= m)]


def test_key_is_the_structure_whatever_the_ids() -> None:
    """The printer names ``let`` bindings by AST ids; a query built after unrelated terms (other ids) has
    the same key; another literal, order or sort has another."""
    first = shared_answers.query_text(_shared_query(*z3.Ints("k1 k2")))
    [z3.Int(f"noise{i}") + i for i in range(50)]  # shift the ids of what is built next
    again = shared_answers.query_text(_shared_query(*z3.Ints("k1 k2")))
    assert first is not None and "$x" in first and first == again
    x, y = z3.Ints("k1 k2")
    assert shared_answers.query_text([x > 3, y < 2]) != shared_answers.query_text([x > 4, y < 2])
    assert shared_answers.query_text([x > 3, y < 2]) != shared_answers.query_text([y < 2, x > 3])
    xr = z3.Real("k1")
    assert shared_answers.query_text([x == 1]) != shared_answers.query_text([xr == 1])
    b1, b2, s1, s2 = z3.Bools("k1 k2") + z3.Strings("k1 k2")
    assert shared_answers.query_text([b1 == b2]) != shared_answers.query_text([s1 == s2])


def test_string_literals_are_never_renumbered() -> None:
    s = z3.String("s")
    one = shared_answers.query_text([s == z3.StringVal(" $x1 "), z3.Length(s) > 2])
    two = shared_answers.query_text([s == z3.StringVal(" $x2 "), z3.Length(s) > 2])
    assert one is not None and two is not None and one != two


def test_ambiguous_texts_have_no_key() -> None:
    """Two constants of one name and different sorts print alike where they are used: not shared."""
    assert shared_answers.query_text([z3.Int("c") > 0, z3.Length(z3.String("c")) > 0]) is None
    assert shared_answers.query_text([]) is None


def _fresh(n: int) -> list[z3.BoolRef]:
    return _shared_query(*z3.Ints(f"ns{n}.replicas ns{n}.max"))


def test_a_stored_answer_is_the_local_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A query another process decided is answered from the store without Z3: verdict, core and rlimit
    as a local solve gives them; a sat answer (its model is the process's own) is never stored."""
    local = smt.check([], _fresh(0))
    assert local.result == "unsat" and local.core
    with shared_answers.sharing() as store:
        with smt.budget(smt.Limits()):
            assert smt.check([], _fresh(1)) == local  # solved and published
            x = z3.Int("sat")
            smt.check([], [x > 1, x < 3])
        assert len([f for f in os.listdir(store.path) if not f.startswith(".")]) == 1
        real = smt._check
        monkeypatch.setattr(smt, "_check", lambda *a: pytest.fail("asked Z3 for a stored answer"))
        with smt.budget(smt.Limits()):  # a new run's memo: as in another worker
            assert smt.check([], _fresh(2)) == local and store.hits == 1
        monkeypatch.setattr(smt, "_check", real)
    assert not os.path.exists(store.path)


def _solve_in_turn(flag: Path) -> Callable[[int], Any]:
    """Work for two forked workers: key 0 solves and publishes; key 1 waits for it, then asks the
    alpha-equivalent query, counting its own Z3 calls."""
    calls: list[int] = []
    real = smt._check

    def counted(*a: Any) -> smt.Answer:
        calls.append(1)
        return real(*a)

    def work(k: int) -> tuple[smt.Answer, int]:
        smt._check = counted  # in the forked worker only
        before = len(calls)
        if k == 1:
            deadline = time.monotonic() + 60
            while not flag.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        with smt.budget(smt.Limits()):
            answer = smt.check([], _fresh(k))
        flag.touch()
        return answer, len(calls) - before

    return work


def test_forked_workers_read_each_others_answers(tmp_path: Path) -> None:
    if not parallel.may_fan_out():
        pytest.skip("no fork on this platform")
    out = dict(parallel.fanned(_solve_in_turn(tmp_path / "solved"), [0, 1], jobs=2))
    local = smt.check([], _fresh(3))
    assert out[0] == (local, 1) and out[1] == (local, 0)
    assert shared_answers.current() is None
