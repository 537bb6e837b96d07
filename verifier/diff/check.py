"""Running the properties on both sides, solving each distinct obligation once.

An obligation's key hashes everything its verdict depends on: property, subject, location,
every fact (Z3 term, sentence, span), the query and the shown terms.  An obligation of the new
side with the same key as one of the old side (same facts from an unchanged file) reuses that
finding instead of calling the solver again.
"""
from __future__ import annotations

import hashlib
import traceback
from dataclasses import dataclass, field

from cnverify import suppress
from cnverify.engine import Options, selected
from cnverify.errors import InputError, Span
from cnverify.model.base import Resource
from cnverify.obligation import Obligation
from cnverify.proof import Finding, Step
from cnverify.snapshot import Snapshot
from cnverify.solver import finding


@dataclass
class Stats:
    solved: int = 0
    reused: int = 0
    by_side: dict[str, int] = field(default_factory=dict)


def _step(step: Step) -> str:
    return f"{step.claim}@{step.location}@{step.locations}"


def obligation_key(ob: Obligation) -> str:
    """A content hash of what decides ``ob`` (see module docstring)."""
    h = hashlib.sha256()
    parts = [ob.prop.code, ob.prop.severity, repr(ob.subject.subject(ob.path)), str(ob.location), ob.shape,
             ob.goal_says, ob.goal.sexpr() if ob.goal is not None else "", repr(ob.decision)]
    parts += [_step(s) for s in ob.preamble]
    parts += [f"{expr.sexpr()}|{_step(step)}" for expr, step in ob.facts]
    parts += [f"{name}={term.sexpr()}" for name, (term, _) in ob.shown.items()]
    parts += [f"{k}:{v if isinstance(v, str) else ''}" for k, v in ob.messages.items()]
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def check(snap: Snapshot, options: Options, cache: dict[str, Finding], stats: Stats,
          side: str) -> tuple[list[Finding], list[Finding], list[InputError]]:
    """``(findings, suppressed findings, errors)`` of the selected properties on ``snap``.

    Like ``engine.prove`` (suppression annotations honoured unless ``options.suppressions`` is
    off), with ``cache`` shared by both sides.
    """
    results: list[tuple[Finding, Resource]] = []
    errors: list[InputError] = []
    props = selected(options)
    for prop in props:
        try:
            for ob in prop.obligations(snap):
                key = obligation_key(ob)
                found = cache.get(key)
                if found is None:
                    found = cache[key] = finding(ob, options.limits)
                    stats.solved += 1
                    stats.by_side[side] = stats.by_side.get(side, 0) + 1
                else:
                    stats.reused += 1
                results.append((found, ob.subject))
        except Exception as exc:  # a property bug must not hide the other results
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            errors.append(InputError(Span("<cnverify>", 1, 1),
                                     f"internal error in {prop.code} ({type(exc).__name__}: {exc} "
                                     f"at {tb.filename.rsplit('/', 1)[-1]}:{tb.lineno}); its results are incomplete"))
    if not options.suppressions:
        return [f for f, _ in results], [], errors
    kept, suppressed, _ = suppress.apply(results, snap, {p.code for p in props})
    return kept, [s.finding for s in suppressed], errors
