"""A "does not exist" that another unit of the same run answers is not a certain violation.

Units are verified as separate cluster views, but units read together (a repository's base
manifests and its tests, a platform's gateway and its applications) are often applied to one
cluster. When a unit's absence-based violation (a property's ``closed_world`` verdicts: a target
that does not exist, a selector that selects nothing) disappears once the objects of the *other*
units of the run are visible as context, the verdict depends on whether they share a cluster:
it becomes ``unknown`` with a step naming the units and how to say so (``--context``). A violation
that holds whatever the other units hold stands. Units that redefine an object of this one are
alternatives (provider variants, bundles), never its complement, and are left out. Only units with
such violations pay a second run, with the objects of the kinds the violating properties read.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from cnverify.loader import RawObject
from cnverify.proof import Finding, Step
from cnverify.registry import Property

R = TypeVar("R")
Pairs = list[tuple[Finding, R]]


def _key(f: Finding) -> str:
    subject = {k: v for k, v in f.subject.items() if k != "namespace"}
    return json.dumps([f.property, f.location.file, f.location.line, f.location.column, subject],
                      sort_keys=True, default=str)


def identities(objects: Sequence[RawObject]) -> set[tuple[str, str, str, str]]:
    """``(apiVersion group, kind, namespace, name)`` of each object that names itself."""
    out = set()
    for o in objects:
        meta = o.data.get("metadata") if isinstance(o.data, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        if isinstance(name, str) and name:
            ns = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
            out.add((o.api_version.split("/")[0] if "/" in o.api_version else "", o.kind, ns, name))
    return out


def complements(unit: Sequence[RawObject], others: Sequence[tuple[str, Sequence[RawObject]]]
                ) -> list[tuple[str, Sequence[RawObject]]]:
    """The other units that may share a cluster with ``unit``: those that redefine none of its objects
    (a unit that does is an alternative to it — a provider variant, another bundle — not a complement)."""
    own = identities(unit)
    return [(name, objs) for name, objs in others if not own & identities(objs)]


def candidates(pairs: Pairs[R], props: Sequence[Property]) -> list[Property]:
    """The properties with an absence-based violation in ``pairs``."""
    codes = {f.property for f, _ in pairs if f.status == "violated"}
    return [p for p in props if p.code in codes and "violated" in p.closed_world]


def relevant(objects: Sequence[RawObject], props: Sequence[Property], pairs: Pairs[R]) -> list[RawObject]:
    """Objects of the kinds ``props`` read other than the kinds their violations are about: what is
    missing is a target (a Service, a Gateway, a workload), never another subject (another route
    cannot revive a dead route), and leaving subjects out keeps the second run small."""
    codes = {p.code for p in props}
    subjects = {f.subject.get("kind") for f, _ in pairs if f.status == "violated" and f.property in codes}
    kinds = {cls.KIND for p in props for cls in p.reads} - subjects
    return [o for o in objects if o.kind in kinds]


def decide(pairs: Pairs[R], props: Sequence[Property], rerun: Callable[[list[Property]], Pairs[R]],
           others: Sequence[str]) -> Pairs[R]:
    """``pairs`` with each absence-based violation that the run with the other units' objects
    (``rerun(props)``) does not confirm made unknown."""
    todo = candidates(pairs, props)
    if not todo or not others:
        return pairs
    again = {_key(f): f for f, _ in rerun(todo)}
    codes = {p.code for p in todo}
    out: Pairs[R] = []
    for f, r in pairs:
        if f.status == "violated" and f.property in codes:
            g = again.get(_key(f))
            if g is None or g.status != "violated":
                f = _undecided(f, others)
        out.append((f, r))
    return out


def _undecided(f: Finding, others: Sequence[str]) -> Finding:
    named = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    step = Step(f"another unit of this run holds what is missing ({named}): if they are applied to one cluster "
                "it holds, else not; pass that unit with --context to decide (or verify it alone)")
    return dataclasses.replace(f, status="unknown", message=f"{f.message} (not decided: another unit of this run "
                               "may supply it)", chain=[*f.chain, step], witness=None)
