"""Running the properties on both sides, solving each distinct obligation once.

An obligation's key hashes everything its verdict depends on: property, subject, location,
every fact (Z3 term, sentence, span), the query and the shown terms.  An obligation of the new
side with the same key as one of the old side (same facts from an unchanged file) reuses that
finding instead of calling the solver again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cnverify import suppress
from cnverify.diff.load import Names
from cnverify.engine import Options, selected
from cnverify.errors import InternalError
from cnverify.model.base import Resource
from cnverify.obligation import Obligation
from cnverify.proof import Finding, Step
from cnverify.registry import Property
from cnverify.run_context import RunContext
from cnverify.snapshot import Snapshot
from cnverify.solver import finding


@dataclass
class Stats:
    solved: int = 0
    reused: int = 0
    skipped_properties: int = 0  # properties not re-run on the new side (identical inputs)
    by_side: dict[str, int] = field(default_factory=dict)


def _step(step: Step, names: Names) -> str:
    return f"{step.claim}@{names.neutral(step.location)}@{[names.neutral(s) for s in step.locations or []]}"


def obligation_key(ob: Obligation, names: Names) -> str:
    """A content hash of what decides ``ob`` (see module docstring); spans compared side-neutrally."""
    h = hashlib.sha256()
    parts = [
        ob.prop.code,
        ob.prop.severity,
        repr(ob.subject.subject(ob.path)),
        names.neutral(ob.location),
        ob.shape,
        ob.goal_says,
        ob.goal.sexpr() if ob.goal is not None else "",
        repr(ob.decision),
    ]
    parts += [_step(s, names) for s in ob.preamble]
    parts += [f"{expr.sexpr()}|{_step(step, names)}" for expr, step in ob.facts]
    parts += [f"{name}={term.sexpr()}" for name, (term, _) in ob.shown.items()]
    parts += [f"{k}:{v if isinstance(v, str) else ''}" for k, v in ob.messages.items()]
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


Pairs = list[tuple[Finding, Resource]]


@dataclass
class SideRun:
    """One side's results per property code: ``(finding, subject) pairs, internal errors``."""

    snap: Snapshot
    by_code: dict[str, tuple[Pairs, list[InternalError]]] = field(default_factory=dict)


def _signature(r: Resource, names: Names, shared: set[str]) -> object:
    """The same instance for an object of an unchanged file; else its model, its raw value (fields the model
    does not keep are read by some properties) and every span in it."""
    doc = r.doc
    if doc is None or doc.file in shared:
        return id(r)
    prefix, n = r.field_path, len(r.field_path)
    spans = sorted((repr(p), names.neutral(sp)) for p, sp in doc.spans.items() if p[:n] == prefix)
    raw: Any = doc.data
    for key in prefix:
        raw = raw[key] if isinstance(raw, dict | list) else None  # type: ignore[index]
    model = r.model_dump(mode="json", by_alias=True)
    return (json.dumps([model, raw], sort_keys=True, default=str), spans)


def _surroundings(snap: Snapshot, names: Names) -> object:
    """What every property may read besides its modelled kinds: the unmodelled objects (pod creators,
    annotations), the documents that could not be read (the closed-world rule), settings and context."""
    opaque = [(names.neutral(o.at), repr({k: v for k, v in vars(o).items() if k != "at"})) for o in snap.opaque]
    return (
        opaque,
        [names.neutral(s) for s in (*snap.unread, *snap.unread_context)],
        repr(sorted(snap.settings.items(), key=lambda kv: kv[0])),
        sorted(snap.unknown_kinds.items()),
        len(snap.context_ids),
        sorted(names.neutral(s) for s in snap.assumed),
    )


def _inputs(snap: Snapshot, prop: Property, names: Names, shared: set[str]) -> list[list[object]]:
    """What ``prop`` reads: equal on both sides iff every object it reads is equal, spans included."""
    return [[_signature(r, names, shared) for r in snap.all(kind)] for kind in prop.reads]


def _run_property(
    prop: Property, ctx: RunContext, options: Options, cache: dict[str, Finding], stats: Stats, side: str, names: Names
) -> tuple[Pairs, list[InternalError]]:
    pairs: Pairs = []
    try:
        for ob in prop.obligations(ctx):
            key = obligation_key(ob, names)
            found = cache.get(key)
            if found is None:
                found = cache[key] = finding(ob, options.limits)
                stats.solved += 1
                stats.by_side[side] = stats.by_side.get(side, 0) + 1
            else:
                stats.reused += 1
            pairs.append((found, ob.subject))
    except Exception as exc:  # a property bug must not hide the other results
        return pairs, [InternalError.of(prop.code, exc)]
    return pairs, []


def check(
    snap: Snapshot,
    options: Options,
    cache: dict[str, Finding],
    stats: Stats,
    side: str,
    names: Names,
    shared: set[str],
    prior: SideRun | None = None,
) -> tuple[list[Finding], list[Finding], list[InternalError], SideRun]:
    """``(findings, suppressed findings, errors, run)`` of the selected properties on ``snap``.

    Like ``engine.prove`` (suppression annotations honoured unless ``options.suppressions`` is
    off), with ``cache`` shared by both sides.  With ``prior`` (the other side's run), a property
    whose every read object is equal on both sides (the same instance from an unchanged file, or
    the same content at the same positions: ``_signature``), in equal surroundings (``_surroundings``:
    unmodelled objects, unreadable documents, settings), is not run again: its results are
    the prior side's (their spans display as this side names the file).  ``shared``: the
    internal names of unchanged files.
    """
    run = SideRun(snap)
    ctx = RunContext(snap, options.limits)
    props = selected(options)
    same_surroundings = prior is not None and _surroundings(snap, names) == _surroundings(prior.snap, names)
    for prop in props:
        if (
            prior is not None
            and same_surroundings
            and prop.code in prior.by_code
            and _inputs(snap, prop, names, shared) == _inputs(prior.snap, prop, names, shared)
        ):
            run.by_code[prop.code] = prior.by_code[prop.code]
            stats.skipped_properties += 1
            stats.reused += len(prior.by_code[prop.code][0])
            continue
        run.by_code[prop.code] = _run_property(prop, ctx, options, cache, stats, side, names)
    results = [pair for code in run.by_code for pair in run.by_code[code][0]]
    errors = [e for code in run.by_code for e in run.by_code[code][1]]
    if not options.suppressions:
        return [f for f, _ in results], [], errors, run
    kept, suppressed, _ = suppress.apply(results, snap, {p.code for p in props})
    return kept, [s.finding for s in suppressed], errors, run
