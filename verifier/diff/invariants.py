"""Invariant deltas: findings of both sides matched by fingerprint and classified.

Fingerprints (``Finding.fingerprint``: property, subject, path, file) are computed with each
file's side-neutral key, so ``old/vs.yaml`` and ``new/vs.yaml`` pair up.  Findings left
unmatched are paired once more without the file (an object moved to another file).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cnverify.diff.load import Names
from cnverify.errors import Span
from cnverify.proof import Finding

Change = Literal["new-violation", "fixed", "still-violated", "new-unknown"]


@dataclass
class InvariantDelta:
    change: Change
    old: Finding | None
    new: Finding | None
    suppressed: bool = False  # a fix by a cnverify.io/ignore annotation on the new side

    @property
    def finding(self) -> Finding:
        f = self.new if self.new is not None else self.old
        assert f is not None
        return f

    @property
    def side(self) -> Literal["old", "new"]:
        return "new" if self.new is not None and self.change != "fixed" else "old"

    def reason(self) -> str:
        """For a fix: how it went away (proved now, or the subject is gone)."""
        if self.change != "fixed":
            return ""
        if self.suppressed:
            return "suppressed by a cnverify.io/ignore annotation"
        if self.new is None:
            return "the subject is no longer in the configuration"
        return f"now {self.new.status}"


def fingerprint(f: Finding, names: Names) -> str:
    """``Finding.fingerprint`` with the location's side-neutral file key."""
    loc = f.location
    return dataclasses.replace(f, location=Span(names.key(loc.file), loc.line, loc.column)).fingerprint


def _identity(f: Finding) -> tuple[Any, ...]:
    s = f.subject
    return (f.property, s.get("kind"), s.get("namespace"), s.get("name"), s.get("path", ""))


def _pair(
    old: list[Finding], new: list[Finding], key: Callable[[Finding], Any]
) -> tuple[list[tuple[Finding, Finding]], list[Finding], list[Finding]]:
    by_key: dict[Any, list[Finding]] = defaultdict(list)
    for f in old:
        by_key[key(f)].append(f)
    pairs, lone_new = [], []
    for f in new:
        bucket = by_key.get(key(f))
        if bucket:
            pairs.append((bucket.pop(0), f))
        else:
            lone_new.append(f)
    lone_old = [f for bucket in by_key.values() for f in bucket]
    return pairs, lone_old, lone_new


def match(
    old: list[Finding], new: list[Finding], names: Names
) -> tuple[list[tuple[Finding | None, Finding | None]], int]:
    """Pairs (old, new) — None on the side where the finding does not exist — and how many moved files."""
    pairs, lone_old, lone_new = _pair(old, new, lambda f: fingerprint(f, names))
    moved, lone_old, lone_new = _pair(lone_old, lone_new, _identity)
    out: list[tuple[Finding | None, Finding | None]] = [*pairs, *moved]
    out += [(f, None) for f in lone_old] + [(None, f) for f in lone_new]
    return out, len(moved)


def classify(old: Finding | None, new: Finding | None) -> Change | None:
    was, now = (old.status if old else None), (new.status if new else None)
    if now == "violated":
        return "still-violated" if was == "violated" else "new-violation"
    if was == "violated":
        return "fixed"
    if now == "unknown" and was != "unknown":
        return "new-unknown"
    return None


ORDER: dict[str, int] = {"new-violation": 0, "new-unknown": 1, "fixed": 2, "still-violated": 3}


def deltas(
    old: list[Finding], new: list[Finding], names: Names, suppressed: Sequence[Finding] = ()
) -> list[InvariantDelta]:
    """Every invariant change, new violations first, then by location (``suppressed``: of the new side)."""
    out = []
    hidden = {fingerprint(f, names) for f in suppressed} | {_identity(f) for f in suppressed}
    for o, n in match(old, new, names)[0]:
        change = classify(o, n)
        if change is not None:
            quiet = n is None and o is not None and bool({fingerprint(o, names), _identity(o)} & hidden)
            out.append(InvariantDelta(change, o, n, quiet))
    out.sort(
        key=lambda d: (ORDER[d.change], names.key(d.finding.location.file), d.finding.location.line, d.finding.property)
    )
    return out
