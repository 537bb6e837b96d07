"""The run's Z3 terms by what they are built from: one dict per run (a ``RunContext`` memo), shared by every
encoder of the properties (label spaces, resource values, LimitRange bounds, PDB arithmetic; no property here).

Z3 stores structurally equal terms once (hash-consing), so a term taken from here is the identical AST a fresh
build returns: sharing one changes no query, answer, witness or chain; it only saves the building. A key names
everything its term is built from, led by a tag of the building function (``("pdb.rule", field, value, pct)``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from cnverify import exact
from cnverify.encodings import zterms
from cnverify.encodings.kept_terms import kept
from cnverify.obligation import Obligation, Shape, conclusion
from cnverify.run_context import RunContext
from cnverify.solver import certifying_now

T = TypeVar("T")
Terms = dict[Hashable, Any]


def run_terms(ctx: RunContext) -> Terms:
    """The run's term dict (the label spaces' ``encodings.labels.Terms`` are the same dict)."""
    return ctx.memo(("labels.terms",), dict)


def once(terms: Terms, key: Hashable, build: Callable[..., T], *args: Any) -> T:
    """``build(*args)`` the first time ``key`` is asked for in ``terms``, the same value after; a key is made of plain
    values, so the term is also kept across runs (``encodings.kept_terms``: a later run finds it built)."""
    return kept(terms, key, build, *args)


def named_int(terms: Terms, name: str) -> Any:
    """The Int constant ``name`` (``zterms.int_const``), once per run and kept across runs."""
    return kept(terms, ("zterms.int_const", name), zterms.int_const, name)


def as_written(texts: Iterable[str]) -> bool:
    """Does Z3 give each of these string literals back as written (printable ASCII, no escape sequences)?"""
    joined = "".join(texts)  # (no backslash can come of joining)
    return joined.isascii() and joined.isprintable() and "\\" not in joined


def deciding_here() -> bool:
    """May a property decide a query where it builds it (or without building it), as exact evaluation would?  Not
    under ``--certify``: the query is left to exact evaluation and Z3's re-check."""
    return not certifying_now()


def decide_sat(ob: Obligation, witness: dict[str, Any] | None = None) -> bool:
    """Decide ``ob`` as exact evaluation decides a query it finds satisfiable: every fact in the chain, the goal's
    sentence ending ``(exact evaluation)``, ``witness`` the shown terms' values (rendered).  For a caller that has
    shown its facts fix every constant and the goal holds, within exact evaluation's work cap.  Not under
    ``--certify`` (False: the query is left to exact evaluation and Z3's re-check)."""
    if not deciding_here():
        return False
    decide_found(ob, ob.shape, ob.goal_says, witness)
    return True


def decide_found(ob: Obligation, shape: Shape, says: str, witness: dict[str, Any] | None) -> None:
    """The verdict exact evaluation gives a satisfiable query of ``shape`` whose goal says ``says`` (``solver.
    _outcome``): ``proved`` for an example found, ``violated`` for a counterexample; the chain is the obligation's
    steps (notes, then facts) and this claim."""
    verdict, claim = conclusion(shape, True, says, exact.STEP)
    ob.decide(verdict, claim, witness=witness or None)
