"""The property registry: every catalogued property, discovered from ``cnverify.properties``."""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import ClassVar, TypeVar

from cnverify.errors import Span, UsageError
from cnverify.model.base import Resource
from cnverify.obligation import Obligation, Where, span_of
from cnverify.proof import Severity
from cnverify.run_context import RunContext

REGISTRY: dict[str, type[Property]] = {}
DOC_SECTIONS = ("What it proves", "Why it matters", "Evidence", "Example", "Assumes")
"""Required docstring sections, in order. *Assumes* lists the real-system inputs a verdict depends on beyond
the objects the property reads (mesh config, admission plugins, controllers' runtime behaviour,
cluster-scoped objects); where an assumption can be checked on the inputs the property decides it per
obligation: an ``assumes:`` chain step (:meth:`Obligation.assume`) or ``unknown``."""


class Property:
    """Base class of a property module's class. The docstring is its Markdown page."""

    code: ClassVar[str]
    name: ClassVar[str]
    title: ClassVar[str]
    severity: ClassVar[Severity] = "error"
    reads: ClassVar[tuple[type[Resource], ...]] = ()
    remediation: ClassVar[str] = ""
    closed_world: ClassVar[frozenset[str]] = frozenset()
    """Verdicts that rest on the unit being read whole ("does not exist", "selects nothing", a sum over
    every pod): the engine makes them ``unknown`` when documents of the unit could not be read."""
    existence: ClassVar[bool] = False
    """The property asks only whether referenced objects exist: a proof citing an object assumed in the
    configuration (``assume:``) stands; for other properties it becomes ``unknown`` (cnverify.context)."""

    def __init__(self, severity: Severity | None = None) -> None:
        if severity is not None:
            self.severity = severity  # type: ignore[misc]

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        """The obligations over ``ctx.snap`` (derived data through ``ctx.memo``; Z3 only through ``ctx.check``)."""
        raise NotImplementedError

    def obligation(self, subject: Resource, *, at: Where, path: str | None = None) -> Obligation:
        """A new obligation on ``subject`` located at ``at`` (the most specific node)."""
        loc = span_of(at) or subject.at() or Span("<unknown>", 1, 1)
        return Obligation(prop=self, subject=subject, location=loc, path=path)

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def assumes(cls) -> str:
        """The docstring's *Assumes* section (what the verdict rests on beyond the inputs)."""
        m = re.search(r"^#+\s*Assumes\s*\n(.*?)(?=^#+\s|\Z)", cls.doc(), re.M | re.S)
        return m.group(1).strip() if m else ""

    @classmethod
    def summary(cls) -> str:
        """The first paragraph of the docstring's *What it proves* section, on one line."""
        m = re.search(r"#+\s*What it proves\s*\n(.*?)(\n\s*\n|\n#|$)", cls.doc(), re.S)
        return " ".join((m.group(1) if m else cls.title).split())


def register(cls: type[Property]) -> type[Property]:
    """Class decorator adding a property to the registry (codes must be unique)."""
    if cls.code in REGISTRY and REGISTRY[cls.code] is not cls:
        raise ValueError(f"duplicate property code {cls.code}")
    REGISTRY[cls.code] = cls
    return cls


_loaded = False


def load_properties() -> dict[str, type[Property]]:
    """Import every module below ``cnverify.properties`` once; return the registry sorted by code."""
    global _loaded
    if not _loaded:
        import cnverify.properties as pkg

        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg.__name__}."):
            importlib.import_module(info.name)
        _loaded = True
    return dict(sorted(REGISTRY.items()))


# --- selection: the one rule every caller uses (CLI, config, suppressions, diff, engine) -------------------
CODE_PREFIX = re.compile(r"(?i)CNV\d{0,3}")
"""A code or code prefix: ``CNV`` and up to three digits, any case (``cnv102``, ``CNV1``, ``cnv``)."""
T = TypeVar("T")


class UnknownProperty(UsageError):
    """A selection token that names no property; the message carries a close-match hint when one exists."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.hint = _close_match(token)
        self.hint_text = f"; did you mean {self.hint}?" if self.hint else " (see 'cnverify properties list')"
        super().__init__(f"unknown property code or name: {token}{self.hint_text}")


def _close_match(token: str) -> str | None:
    """The code or name closest to ``token`` (a well-formed code such as CNV999 gets none: no code is close)."""
    props = load_properties()
    if CODE_PREFIX.fullmatch(token):
        return None
    names = {**{c.lower(): c for c in props}, **{p.name: p.name for p in props.values()}}
    close = difflib.get_close_matches(token.lower(), list(names), n=1, cutoff=0.6)
    return names[close[0]] if close else None


def resolve(token: str) -> set[str]:
    """The codes ``token`` names, by the one rule (docs/CI.md#selecting-properties): a property code or a
    code prefix (``CNV`` and up to three digits, case-insensitive: ``cnv102``, ``CNV1``, ``CNV``), or a
    property name (case-insensitive: ``route-target-exists``).  A token naming nothing raises
    :class:`UnknownProperty` (with a close-match hint)."""
    props = load_properties()
    if CODE_PREFIX.fullmatch(token):
        codes = {c for c in props if c.startswith(token.upper())}
    else:
        codes = {c for c, p in props.items() if p.name == token.lower()}
    if not codes:
        raise UnknownProperty(token)
    return codes


def tokens(values: Iterable[str]) -> list[str]:
    """Selection tokens from option values or an annotation: separated by commas or whitespace."""
    return [t for v in values for t in re.split(r"[,\s]+", v) if t]


def checked(values: Iterable[str]) -> list[str]:
    """:func:`tokens` of ``values``, each one naming a property (else the first :class:`UnknownProperty`)."""
    out = tokens(values)
    for error in unknown(out):
        raise error
    return out


def unknown(values: Iterable[str]) -> list[UnknownProperty]:
    """One error per token that names no property (in order)."""
    out = []
    for t in values:
        try:
            resolve(t)
        except UnknownProperty as exc:
            out.append(exc)
    return out


def select(patterns: Sequence[str], ignore: Iterable[str] = ()) -> list[type[Property]]:
    """The properties ``patterns`` name (all when empty) minus those ``ignore`` names, sorted by code.
    An unknown token in either raises :class:`UnknownProperty`."""
    chosen = set().union(*map(resolve, patterns)) if patterns else set(load_properties())
    dropped: set[str] = set().union(*map(resolve, ignore))
    return [cls for code, cls in load_properties().items() if code in chosen - dropped]


def per_code(settings: Mapping[str, T]) -> dict[str, T]:
    """A setting per token (``{"CNV1": "warning", "CNV103": "info"}``) as a setting per code: the most
    specific token wins (one naming fewer properties: a code or name over a prefix, a longer prefix over a
    shorter one); between equally specific tokens the later one wins."""
    ranked = sorted(((len(resolve(t)), -i, t) for i, t in enumerate(settings)), reverse=True)
    return {code: settings[t] for _, _, t in ranked for code in sorted(resolve(t))}
