"""Obligations: the tracked facts and the one query a property asks about one subject."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import z3
from cnverify.errors import Span
from cnverify.model.base import Node, Resource
from cnverify.proof import Step, Verdict

if TYPE_CHECKING:
    from cnverify.registry import Property

Message = str | Callable[[Any], str]
Where = Span | Node | None
Shape = Literal["counterexample", "example"]


def conclusion(shape: Shape, found: bool, says: str, how: str) -> tuple[Verdict, str]:
    """The verdict and the last claim of a query of ``shape`` whose goal says ``says``, ``found`` satisfiable or
    not, decided ``how`` (``solver: sat``, ``exact evaluation``, ...): the one wording of every decider."""
    if found:
        return ("violated" if shape == "counterexample" else "proved"), f"{says} ({how})"
    if shape == "counterexample":
        return "proved", f"no counterexample: it is impossible that {says} ({how})"
    return "violated", f"impossible: {says} ({how})"


def span_of(at: Where) -> Span | None:
    """A span from a Span, a model node (its own position) or None."""
    if at is None or isinstance(at, Span):
        return at
    return at.at()


@dataclass
class Decision:
    """A verdict reached without the solver (an exact pre-check, or an unknown)."""

    verdict: Verdict
    claim: str
    witness: Any = None
    core: tuple[int, ...] | None = None  # refuted by these facts alone (``claim``: how), :meth:`Obligation.refute`


@dataclass
class Obligation:
    """One instance of a property on one subject.

    Facts enter only through :meth:`fact`; the engine asserts each with ``assert_and_track``
    so every constraint of a proof has a location and a sentence.  The query has one of two
    shapes: :meth:`counterexample` (violated when the bad thing is satisfiable) or
    :meth:`example` (violated when the good thing is unsatisfiable).
    """

    prop: Property
    subject: Resource
    location: Span
    path: str | None = None
    facts: list[tuple[z3.BoolRef, Step]] = field(default_factory=list)
    goal: z3.BoolRef | None = None
    goal_says: str = ""
    shape: Shape = "counterexample"
    shown: dict[str, tuple[z3.ExprRef, Callable[[Any], Any] | None]] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    decision: Decision | None = None
    preamble: list[Step] = field(default_factory=list)
    proof_caveat: str | None = None
    assumptions: list[str] = field(default_factory=list)

    def fact(self, expr: z3.BoolRef | bool, *, at: Where, says: str) -> None:
        """Add a configuration fact with its location and one-sentence meaning."""
        if at is not None and not isinstance(at, Span):  # ``span_of``, inline: ~175k facts on 10k objects
            at = at.at()
        self.facts.append((z3.BoolVal(expr) if isinstance(expr, bool) else expr, Step(says, at)))

    def note(self, says: str, at: Where = None) -> None:
        """A located step that explains context but carries no constraint."""
        self.preamble.append(Step(says, span_of(at)))

    def assume(self, says: str, at: Where = None) -> None:
        """State an input the verdict rests on that the manifests do not show (a default, a controller's
        behaviour, an object outside the files): a chain step ``assumes: …`` in every verdict's chain."""
        self.assumptions.append(says)
        self.note(f"assumes: {says}", at)

    def counterexample(self, expr: z3.BoolRef, *, says: str) -> None:
        """Violated iff ``expr`` (the bad thing) is satisfiable together with the facts."""
        self.goal, self.goal_says, self.shape = expr, says, "counterexample"

    def example(self, expr: z3.BoolRef, *, says: str) -> None:
        """Violated iff ``expr`` (the good thing) is unsatisfiable together with the facts."""
        self.goal, self.goal_says, self.shape = expr, says, "example"

    def show(self, name: str, term: z3.ExprRef, render: Callable[[Any], Any] | None = None) -> None:
        """Include ``term``'s model value in the witness under ``name``."""
        self.shown[name] = (term, render)

    def on(
        self, *, violated: Message | None = None, proved: Message | None = None, unknown: Message | None = None
    ) -> None:
        """Messages per verdict: a string, or a function of the witness (or None)."""
        for k, v in (("violated", violated), ("proved", proved), ("unknown", unknown)):
            if v is not None:
                self.messages[k] = v

    def decide(self, verdict: Verdict, claim: str, *, witness: Any = None) -> None:
        """Record a verdict reached by an exact pre-check (or ``unknown`` with its reason)."""
        self.decision = Decision(verdict, claim, witness)

    def refute(self, core: Sequence[int], how: str) -> None:
        """Record that the facts ``core`` (indexes, ascending) alone make the query unsatisfiable, shown by the
        property without search (``how`` ends the conclusion).  The chain is theirs, as for a solver's unsat core;
        ``--certify`` has Z3 check that they refute the query (:func:`cnverify.solver.decide`)."""
        self.decision = Decision(conclusion(self.shape, False, self.goal_says, how)[0], how, core=tuple(core))

    def only_refute(self, reason: str) -> None:
        """A violation found here stands, but a proof would not: it would rest on something the
        manifests do not show (``reason``), so ``proved`` becomes ``unknown``."""
        self.proof_caveat = reason

    def unknown(self, reason: str) -> None:
        """This obligation cannot be decided soundly: the verdict is ``unknown`` with ``reason``."""
        self.decide("unknown", reason)

    def message_for(self, verdict: Verdict, witness: Any, default: str) -> str:
        m = self.messages.get(verdict)
        if m is None:
            return default
        return m(witness) if callable(m) else m
