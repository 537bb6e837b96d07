"""One compose project merged from its files (:mod:`files` chooses them, :mod:`merge` merges them)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

from cnverify.errors import InputError
from cnverify.source import Document
from cnverify.systems.compose import schema
from cnverify.systems.compose.files import MergeSet, documents, stamp
from cnverify.systems.compose.merge import MergeError, Merger


@dataclass
class MergedProject:
    """The merged document (None when docker compose rejects the merge), its project and located errors."""

    doc: Document | None
    project: str
    leader: str  # the file whose reading reports the merged services (the set's first readable file)
    errors: list[InputError] = field(default_factory=list)
    rejected: set[str] | None = field(default_factory=set)  # services the schema rejects (None: all)


def merged_project(chosen: MergeSet) -> MergedProject:
    """The set's files merged in order (cached while the files are unchanged)."""
    return _merged(chosen, tuple(stamp(f) for f in chosen.files))


@functools.lru_cache(maxsize=32)
def _merged(chosen: MergeSet, stamps: tuple[tuple[int, int], ...]) -> MergedProject:
    from cnverify.systems.compose import project_name

    merger, errors, first = Merger(), list[InputError](), None
    rejected: set[str] | None = set()
    leader = next((os.path.normpath(f) for f, when in zip(chosen.files, stamps, strict=True) if when != (0, 0)), "")
    for file, when in zip(chosen.files, stamps, strict=True):
        if when == (0, 0) and chosen.at is not None:
            errors.append(
                InputError(chosen.at, f"COMPOSE_FILE names {file}, which does not exist: docker compose fails")
            )
            return MergedProject(None, "compose:" + project_name(file, {}), leader, errors)
        for doc in documents(file):
            if isinstance(doc, InputError):
                continue  # reported by the loader when it reads the file itself
            first = first or doc
            try:
                merger.add(doc, documents)
            except MergeError as exc:
                errors.append(
                    InputError(exc.at, f"{exc}: docker compose rejects the merge of {', '.join(chosen.files)}")
                )
                return MergedProject(None, "compose:" + project_name(file, {}), leader, errors)
            invalid, bad = schema.errors(Document(doc.file, doc.index, merger.value, merger.spans), merger.value)
            errors += [e for e in invalid if e not in errors]
            rejected = None if bad is None or rejected is None else rejected | bad
    data = merger.value
    project = "compose:" + project_name(os.path.join(chosen.folder, "compose.yaml"), data)
    if first is None:
        return MergedProject(None, project, leader, errors)
    merged = Document(first.file, first.index, data, merger.spans, has_nulls=True)
    return MergedProject(merged, project, leader, errors, rejected)


def merged_alone(doc: Document) -> MergedProject:
    """A file docker compose reads alone, after compose-go's unicity rules and ``!reset``, with its schema errors
    (``project`` and ``leader`` are left to the caller)."""
    merger = Merger()
    try:
        merger.add(doc, documents)
    except MergeError as exc:
        return MergedProject(None, "", doc.file, [InputError(exc.at, str(exc))])
    alone = Document(doc.file, doc.index, merger.value, merger.spans, has_nulls=True)
    invalid, rejected = schema.errors(alone, merger.value)
    return MergedProject(alone, "", doc.file, invalid, rejected)
