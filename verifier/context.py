"""What the cluster holds besides the unit under review: ``--context`` manifests and ``assume:`` entries.

Both are visible to every property and never a subject. An assumed object enters the snapshot as a
placeholder (identity only, located at its ``assume:`` entry): existence checks pass, and a verdict
that cites it is kept only when the property asks nothing but existence (``Property.existence``);
any other verdict resting on its (unknown) content becomes ``unknown``, and its message and chain
say only that (never what the property concluded from the placeholder's empty content).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from cnverify.config import Assumed
from cnverify.errors import Span
from cnverify.loader import LoadResult, RawObject, load_file, walk
from cnverify.model import KIND_MODELS
from cnverify.proof import Finding, Step
from cnverify.source import Document


def read_context(paths: Iterable[str], excluded: Callable[[str], bool] | None = None) -> LoadResult:
    """The objects of ``--context`` paths (in the cluster, not under review), in apply order."""
    found = walk(paths, excluded)
    out = LoadResult(errors=list(found.errors))
    for f in found.files:
        out.extend(load_file(f))
    return out


def _api_version(a: Assumed) -> str:
    if a.api_version:
        return a.api_version
    groups = sorted(g for g, k in KIND_MODELS if k == a.kind)
    g = groups[0] if groups else ""  # the core group first (Service is core/v1 before Knative's)
    return f"{g}/v1" if g else "v1"


@dataclass(frozen=True)
class Citation:
    """How findings name an assumed object: the sentence to cite and the texts that refer to it."""

    sentence: str  # "Service infra/backend assumed by .cnverify.yaml:3"
    names: tuple[str, ...]  # "Service/infra/backend", "Service infra/backend", ".cnverify.yaml:3:"


def placeholders(assumed: Sequence[Assumed]) -> tuple[list[RawObject], dict[Span, Citation]]:
    """Placeholder objects for ``assume:`` entries and, by their span, how to cite each."""
    raws: list[RawObject] = []
    cites: dict[Span, Citation] = {}
    for a in assumed:
        file, line = a.line
        near = os.path.relpath(file)
        file = file if near.startswith("..") else near
        span = Span(file, line, 1)
        meta = {"name": a.name, **({"namespace": a.namespace} if a.namespace else {})}
        api_version = _api_version(a)
        data = {"apiVersion": api_version, "kind": a.kind, "metadata": meta}
        raws.append(RawObject(Document(file, 0, data, {(): span}), (), data, api_version, a.kind))
        ident = f"{a.namespace + '/' if a.namespace else ''}{a.name}"
        cites[span] = Citation(
            f"{a.kind} {ident} assumed by {file}:{line}", (f"{a.kind}/{ident}", f"{a.kind} {ident}", f"{file}:{line}:")
        )
    return raws, cites


def _cited(f: Finding, cites: dict[Span, Citation]) -> list[Span]:
    """The assumed objects a finding rests on: a step located at their entry, or its text naming them."""
    text = " ".join([f.message, *(s.claim for s in f.chain)])
    return [
        span for span, c in cites.items() if any(s.location == span for s in f.chain) or any(t in text for t in c.names)
    ]


def mark_assumed(f: Finding, cites: dict[Span, Citation], existence_only: bool) -> Finding:
    """Say where a finding rests on an assumed object; unknown unless only its existence mattered."""
    spans = _cited(f, cites) if cites else []
    if not spans:
        return f
    chain = [
        Step(f"{s.claim} ({cites[s.location].sentence}, no manifest in the inputs)", s.location, s.locations)
        if s.location in cites
        else s
        for s in f.chain
    ]
    located = {s.location for s in f.chain}
    chain[-1:-1] = [Step(f"{cites[sp].sentence}, no manifest in the inputs", sp) for sp in spans if sp not in located]
    if f.status == "proved" and existence_only:
        return dataclasses.replace(f, chain=chain)
    # Anything else rests on the placeholder's content, which is not known: keep the steps before the
    # first that cites it, never what the property concluded from the (empty) placeholder.
    names = [n for sp in spans for n in cites[sp].names]
    first = next(
        (i for i, s in enumerate(f.chain) if s.location in cites or any(n in s.claim for n in names)), len(f.chain)
    )
    which = cites[spans[0]].sentence
    return dataclasses.replace(
        f,
        status="unknown",
        witness=None,
        chain=[
            *f.chain[:first],
            *(
                Step(f"{cites[sp].sentence}; its content is not in the inputs, so this property cannot judge it", sp)
                for sp in spans
            ),
        ],
        message=f"not decided: it rests on {which}; its content is not in the inputs",
    )
