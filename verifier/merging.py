"""Merging the units of a run into one report: a finding several units share is listed once, naming them."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from cnverify import loader, units
from cnverify.errors import InputError, Span
from cnverify.proof import Finding, Notice, Report, sorted_json

if TYPE_CHECKING:
    from cnverify.engine import UnitPart


def merge_key(f: Finding, render: bool = True) -> Hashable:
    """``f``'s identity across units but its subject: the other fields of ``MERGE_KEY`` (property, status,
    message, the location's file, line and column).  Findings with equal keys are one result when their
    subjects' sorted JSON is equal too, which :meth:`Merged.held` compares only for such findings (a 10k
    run made 36k subject texts to compare none).  ``render``: the finding's JSON is made now
    (``Finding.render``: where the unit is verified; a witness JSON cannot encode is left to the writer,
    which says so)."""
    if render:
        try:
            f.render()
        except (TypeError, ValueError):
            pass
    at = f.location
    return (f.property, f.status, f.message, at.file, at.line, at.column)


def merged(rest: loader.LoadResult, context_errors: list[InputError], timings: dict[str, float]) -> Merged:
    """The report's merger, starting from what belongs to no unit (the unreadable context first)."""
    return Merged(
        Report(
            errors=[*context_errors, *rest.errors],
            inputs=list(rest.inputs),
            unrecognized_documents=rest.unrecognized,
            unrecognized=list(rest.unrecognized_at),
            timings=timings,
        )
    )


class Merged:
    """The report of several units: findings, errors, inputs and notices shared by units listed once."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.findings: dict[Hashable, Finding] = {}  # merge key -> the first finding with it
        self.subjects: dict[Hashable, list[tuple[str, Finding]]] = {}  # ... -> (subject text, finding) once two met
        self.results: list[Finding] = []  # one per result, in the order first met
        self.seen: set[str] = set()

    def held(self, f: Finding, key: Hashable) -> Finding | None:
        """The finding merged already that ``f`` is one result with (``key``, ``merge_key(f)``, equal and the
        subject's sorted JSON too: ``MERGE_KEY``), or None when ``f`` is a new result (then recorded)."""
        first = self.findings.get(key)
        if first is None:
            self.findings[key] = f
        else:
            texts = self.subjects.get(key)
            if texts is None:
                texts = self.subjects[key] = [(sorted_json(first.subject), first)]
            text = sorted_json(f.subject)  # json.dumps(f.subject, sort_keys=True, default=str)
            for held_text, held in texts:
                if held_text == text:
                    return held
            texts.append((text, f))
        self.results.append(f)
        return None

    def _first(self, key: str) -> bool:
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def add(self, unit: units.Unit, part: UnitPart | None) -> None:
        """Merge one unit's results (``None``: the unit was not verified), in unit order."""
        r = self.report
        r.units.append(unit.to_json())
        if part is None:
            r.warnings.append(
                Notice(
                    "unit-not-verified",
                    f"unit {unit.name} is not verified: {unit.not_verified}",
                    Span(units.definition(unit), 1, 1),
                    units=(unit.name,),
                )
            )
            return
        loaded = unit.loaded
        r.timings["model"] += part.model_s
        r.timings["solve"] += part.solve_s
        held = self.held
        for f, key in zip(part.results, part.keys, strict=True):
            same = held(f, key)
            if same is None:  # the part's own finding (made for this unit, or unpickled): its units set in place
                f.units = [unit.name]
            else:
                same.units.append(unit.name)
        r.errors += [e for e in part.errors if self._first(f"e{e}")]
        r.internal += [e for e in part.internal if self._first(f"x{e}")]
        r.inputs += [i for i in loaded.inputs if self._first(f"i{_key(i)}")]
        r.suppressed += [s for s in part.suppressed if self._first(f"s{_key(s.to_json())}")]
        r.warnings += [w for w in part.warnings if self._first(f"w{_key(w.to_json())}")]
        r.warnings += [
            dataclasses.replace(w, units=(unit.name,)) for w in part.notices if self._first(f"w{_key(w.to_json())}")
        ]
        fresh = [(s, why) for s, why in loaded.unrecognized_at if self._first(f"u{s}")]
        r.unrecognized += fresh
        r.unrecognized_documents += len(fresh)
        r.unknown_kinds += part.unknown_kinds
        r.objects += len(loaded.objects)

    def finish(self) -> Report:
        results = self.results
        results.sort(key=lambda f: (f.location.file, f.location.line, f.location.column, f.property))
        self.report.results = results
        return self.report


MERGE_KEY = ("property", "subject", "location", "status", "message")
"""What makes results of several units one result (their chains may differ: the first unit's is shown)."""


def _key(value: dict[str, Any]) -> str:
    """Identity of a JSON item across units: everything but the fields a unit adds."""
    return sorted_json({k: v for k, v in value.items() if k not in ("unit", "units")})
