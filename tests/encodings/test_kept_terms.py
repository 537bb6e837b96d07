"""``kept_terms.kept``: the run's dict first, then the store kept across runs, then the build; a term taken from the
store is the term a fresh build returns (same AST id), and the store stays within ``LIMIT`` (oldest dropped)."""

from __future__ import annotations

from typing import Any

import pytest
import z3
from cnverify.encodings import kept_terms, zterms
from cnverify.encodings.kept_terms import kept


def test_a_later_run_takes_the_kept_term(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept_terms, "STORE", {})
    built: list[str] = []

    def build(name: str) -> z3.BoolRef:
        built.append(name)
        return zterms.bool_const(name)

    first: dict[Any, Any] = {}
    a = kept(first, ("bool", "x"), build, "x")
    assert kept(first, ("bool", "x"), build, "x") is a and built == ["x"]
    later: dict[Any, Any] = {}
    b = kept(later, ("bool", "x"), build, "x")
    assert b is a and later[("bool", "x")] is a and built == ["x"]  # a later run: no build
    assert b.get_id() == z3.Bool("x").get_id()


def test_the_store_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept_terms, "STORE", {})
    monkeypatch.setattr(kept_terms, "LIMIT", 8)
    terms = [kept({}, ("int", i), zterms.int_const, f"n{i}") for i in range(20)]
    assert len(kept_terms.STORE) == 8 and ("int", 19) in kept_terms.STORE and ("int", 0) not in kept_terms.STORE
    again = kept({}, ("int", 0), zterms.int_const, "n0")  # dropped: built again, the same term
    assert again.get_id() == terms[0].get_id()
