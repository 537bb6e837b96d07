"""Loading both sides of a diff, parsing each distinct file once.

A file whose content is identical on both sides is parsed once and its typed resources are
shared by both snapshots; a changed file is parsed on each side.  Spans name the local file
that was loaded; :class:`Names` maps it back to how each side displays it (``old/vs.yaml``,
``origin/main:vs.yaml``) and to the side-neutral key that fingerprints use.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from cnverify import loader, snapshot
from cnverify.diff.gitsource import Side, SourceFile
from cnverify.errors import InputError, Span
from cnverify.model import Resource
from cnverify.opaque import Opaque

SideName = Literal["old", "new"]


@dataclass
class Parsed:
    """One file's typed resources and problems."""

    resources: list[Resource]
    errors: list[InputError]
    unknown_kinds: Counter[str]
    documents: int
    unrecognized: int
    opaque: list[Opaque] = field(default_factory=list)


def parse(path: str) -> Parsed:
    """Load and type one file exactly as ``cnverify prove`` does (``loader.load`` on its path)."""
    loaded = loader.load([path])
    snap, errors = snapshot.build(loaded)
    documents = sum(int(i.get("documents", 0)) for i in loaded.inputs)
    return Parsed(
        snap.resources, loaded.errors + errors, snap.unknown_kinds, documents, loaded.unrecognized, snap.opaque
    )


@dataclass
class Names:
    """Internal file names → ``(key, display on the old side, display on the new side)``."""

    entries: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def key(self, file: str) -> str:
        return self.entries[file][0] if file in self.entries else file

    def neutral(self, span: Span | None) -> str:
        """A span without the side: ``key:line:column`` (equal for unchanged positions of either side)."""
        return "" if span is None else f"{self.key(span.file)}:{span.line}:{span.column}"

    def display(self, file: str, side: SideName) -> str:
        if file not in self.entries:
            return file
        _, old, new = self.entries[file]
        return old if side == "old" else new

    def span(self, span: Span | None, side: SideName) -> dict[str, Any] | None:
        """A span as OUTPUT.md's ``location`` object, with the side's display name."""
        if span is None:
            return None
        return {"file": self.display(span.file, side), "line": span.line, "column": span.column}

    def where(self, span: Span | None, side: SideName) -> str:
        """``file:line`` for text output (``REV:path:line`` on a git side)."""
        return "" if span is None else f"{self.display(span.file, side)}:{span.line}"


@dataclass
class Loaded:
    """Both sides as snapshots plus what was parsed."""

    old: snapshot.Snapshot
    new: snapshot.Snapshot
    errors: dict[str, list[InputError]]
    names: Names
    changed: list[str]  # keys whose content differs (or that exist on one side only)
    files: int  # distinct files parsed
    objects: dict[str, int]


def load(old: Side, new: Side, only: set[str] | None = None) -> Loaded:
    """Parse both sides (``only``: restrict to these keys, e.g. a slice); identical files once."""
    names = Names()
    parsed: dict[str, Parsed] = {}
    keys = sorted(set(old.files) | set(new.files))
    changed = [k for k in keys if _digest(old.files.get(k)) != _digest(new.files.get(k))]
    per_side: dict[str, list[str]] = {"old": [], "new": []}
    for key in keys:
        if only is not None and key not in only:
            continue
        o, n = old.files.get(key), new.files.get(key)
        if o is not None and n is not None and o.digest == n.digest:
            path = n.local()
            names.entries[path] = (key, o.display, n.display)
            parsed[path] = parse(path)
            per_side["old"].append(path)
            per_side["new"].append(path)
            continue
        shown = ((o or n).display, (n or o).display)  # type: ignore[union-attr]
        for side, f in (("old", o), ("new", n)):
            if f is not None:
                path = f.local()
                names.entries[path] = (key, *shown)  # a span of either version shows as each side names it
                parsed[path] = parse(path)
                per_side[side].append(path)
    snaps, errors, objects = {}, {}, {}
    for side, order in per_side.items():
        # identities defined twice are resolved as the unit's apply would (the later one), as prove does
        resources, _ = snapshot.last_wins([r for path in order for r in parsed[path].resources], set())
        unknown: Counter[str] = Counter()
        for path in order:
            unknown.update(parsed[path].unknown_kinds)
        snaps[side] = snapshot.Snapshot(resources, unknown, [o for path in order for o in parsed[path].opaque])
        errors[side] = [e for path in order for e in parsed[path].errors]
        objects[side] = len(resources) + sum(unknown.values())
    return Loaded(snaps["old"], snaps["new"], errors, names, changed, len(parsed), objects)


def _digest(f: SourceFile | None) -> str | None:
    return None if f is None else f.digest
