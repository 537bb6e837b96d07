"""Example folders: a unit's violation that other files of its folder may undo.

A file that redefines an object another file of its folder defines is verified apart, as an
alternative bundle (:mod:`cnverify.units`), and the rest of the folder as one unit. In an example
folder those files are meant to be applied in combinations the files do not say (an Ingress beside
the two versions of the app it routes to). A violation that rests on an object being absent (the
property's ``closed_world``) is therefore checked once more with the objects of the folder's
alternatives present (as ``--context`` objects: visible, never subjects), in the combinations
:func:`cnverify.units.alternative_sets` gives (alternatives that redefine each other's objects are
never applied together): when it is no longer violated with some combination, it depends on which
files are applied together and becomes ``unknown`` with a step naming them. A violation that stands
with each combination is reported as it is. A proof that rests on the unit being read whole holds for
the unit applied without its alternatives: its chain says so (combinations are not tried for proofs).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from cnverify.proof import Finding, Step

R = TypeVar("R")
Pairs = list[tuple[Finding, R]]


def _key(f: Finding) -> str:
    return json.dumps(
        [f.property, f.location.file, f.location.line, f.location.column, f.subject], sort_keys=True, default=str
    )


def decide(
    base: Pairs[R],
    run: Callable[[set[str], Sequence[str]], Pairs[R]],
    closed: Callable[[Finding], bool],
    trials: Sequence[Sequence[str]],
    files: Sequence[str],
) -> Pairs[R]:
    """``base`` with every closed-world violation (``closed``) that ``run(codes, files)`` — the properties
    of ``codes`` with the objects of ``files`` present — does not find violated, for one of ``trials``,
    made unknown; a closed-world proof says in its chain that it is for the unit without its alternatives
    (``files``, all of them, also when there are too many to try: ``trials`` is then empty)."""
    if not files:
        return base
    suspects = {_key(f): f.property for f, _ in base if f.status == "violated" and closed(f)}
    undone: dict[str, Sequence[str]] = {}  # finding key → the first combination with which it is not violated
    for trial in trials:
        still = set(suspects) - set(undone)
        if not still:
            break
        violated = {_key(f) for f, _ in run(set(suspects.values()), trial) if f.status == "violated"}
        undone.update((key, trial) for key in still - violated)
    return [
        (
            _undecided(f, undone[_key(f)])
            if _key(f) in undone
            else _alone(f, files)
            if f.status == "proved" and closed(f)
            else f,
            r,
        )
        for f, r in base
    ]


def _shown(files: Sequence[str]) -> str:
    return ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")


def _alone(f: Finding, files: Sequence[str]) -> Finding:
    """A proof over everything of the unit (closed world): it holds for the unit applied without its alternatives."""
    step = Step(
        f"proved for this unit applied without the alternative bundles of its folder ({_shown(files)}), which are "
        "verified apart; applied together with them it is not checked"
    )
    return dataclasses.replace(f, chain=[*f.chain[:-1], step, *f.chain[-1:]])


def _undecided(f: Finding, files: Sequence[str]) -> Finding:
    shown = _shown(files)
    one = len(files) == 1
    step = Step(
        f"{shown}, in this unit's folder, {'is' if one else 'are'} verified apart as alternative "
        f"bundle{'' if one else 's'} and may be applied with these files: with {'its' if one else 'their'} "
        "objects present this is not violated; which files are applied together is not in the inputs"
    )
    return dataclasses.replace(
        f,
        status="unknown",
        chain=[*f.chain, step],
        message=f"{f.message} (not decided: {shown} may be applied with it)",
    )
