"""In-manifest suppressions: ``metadata.annotations["cnverify.io/ignore"]: "CNV204,CNV103 -- reason"``.

A suppression applies to the findings of the listed properties (codes, code prefixes or names, by the
selection rule of :func:`cnverify.registry.resolve`) whose subject is
the annotated resource and whose status is ``violated`` or ``unknown``; proved results stay.
Suppressed findings are kept in ``Report.suppressed`` (never dropped).  A listed property that ran
but suppressed nothing on that resource, or a name that is no property, becomes a warning
(``Report.warnings``, kind ``unused-suppression`` / ``unknown-suppression``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnverify import registry
from cnverify.errors import Span
from cnverify.model.base import Resource
from cnverify.proof import Finding, Notice, Suppressed
from cnverify.snapshot import Snapshot

ANNOTATION = "cnverify.io/ignore"


@dataclass(frozen=True)
class Directive:
    """One parsed annotation: the codes or names it lists, its reason and where it is written."""

    tokens: tuple[str, ...]
    reason: str
    location: Span


def parse(value: str, location: Span) -> Directive:
    """``"CNV204, CNV103 -- reason"`` → tokens ``("CNV204", "CNV103")`` and the reason."""
    codes, _, reason = value.partition("--")
    tokens = registry.tokens([codes])
    return Directive(
        tuple(t.upper() if registry.CODE_PREFIX.fullmatch(t) else t for t in tokens), reason.strip(), location
    )


def directive(resource: Resource) -> Directive | None:
    """The resource's suppression annotation, if it has one."""
    value = resource.annotations.get(ANNOTATION)
    if value is None:
        return None
    return parse(value, resource.metadata.at("annotations", ANNOTATION))


def codes_of(token: str) -> set[str]:
    """The codes a listed token suppresses (none for a token naming no property: a warning)."""
    try:
        return registry.resolve(token)
    except registry.UnknownProperty:
        return set()


def _shown(token: str, codes: set[str]) -> str:
    """A token as warnings name it: its code when it names one property, else as written (CNV2)."""
    return next(iter(codes)) if len(codes) == 1 else token


def apply(
    pairs: Sequence[tuple[Finding, Resource]], snap: Snapshot, codes_ran: set[str]
) -> tuple[list[Finding], list[Suppressed], list[Notice]]:
    """Split findings into kept and suppressed; warn about suppressions that matched nothing."""
    kept: list[Finding] = []
    suppressed: list[Suppressed] = []
    used: set[tuple[int, str]] = set()
    cache: dict[int, Directive | None] = {}
    for f, resource in pairs:
        key = id(resource)
        if key not in cache:
            cache[key] = directive(resource)
        d = cache[key]
        if d is not None and f.status != "proved" and any(f.property in codes_of(t) for t in d.tokens):
            suppressed.append(Suppressed(f, d.reason, d.location))
            used.add((key, f.property))
        else:
            kept.append(f)
    return kept, suppressed, _unused(snap, used, codes_ran)


def _unused(snap: Snapshot, used: set[tuple[int, str]], codes_ran: set[str]) -> list[Notice]:
    out: list[Notice] = []
    for resource in snap.resources:
        d = directive(resource)
        if d is None:
            continue
        if not d.tokens:
            out.append(
                Notice("unknown-suppression", f"{ANNOTATION} on {resource.ref} lists no property code", d.location)
            )
        for token in d.tokens:
            codes = codes_of(token)
            if not codes:
                hint = registry.UnknownProperty(token).hint
                out.append(
                    Notice(
                        "unknown-suppression",
                        f"{ANNOTATION} on {resource.ref} names {token}, which is no cnverify property"
                        + (f"; did you mean {hint}?" if hint else ""),
                        d.location,
                    )
                )
            elif codes & codes_ran and not any((id(resource), c) in used for c in codes):
                out.append(
                    Notice(
                        "unused-suppression",
                        f"{ANNOTATION} on {resource.ref}: {_shown(token, codes)} has no violated or unknown result "
                        f"on this resource to suppress; remove it",
                        d.location,
                    )
                )
    return out
