"""The property registry: every catalogued property, discovered from ``cnverify.properties``."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from typing import ClassVar

from cnverify.errors import Span
from cnverify.model.base import Resource
from cnverify.obligation import Obligation, Where, span_of
from cnverify.proof import Severity
from cnverify.run_context import RunContext

REGISTRY: dict[str, type["Property"]] = {}
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
