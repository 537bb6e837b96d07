"""Located input errors and the span type shared by every layer."""

from __future__ import annotations

import traceback
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A 1-based source position (file:line:column), optionally with an end."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "column": self.column}

    def __reduce__(self) -> tuple[object, ...]:  # pickled by its constructor: no per-field state calls
        return Span, (self.file, self.line, self.column, self.end_line, self.end_column)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class InputError:
    """A problem with the input that prevents a document from being verified."""

    location: Span
    message: str

    def to_json(self) -> dict[str, object]:
        return {"location": self.location.to_json(), "message": self.message}

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


INTERNAL_CODE = "CNV000"
"""Reserved code of an internal-error record (never a property's)."""
INTERNAL_EXIT = 4
"""Exit code of a run with an internal error: its results are incomplete (docs/OUTPUT.md)."""


@dataclass(frozen=True, slots=True)
class InternalError:
    """A property crashed: a bug in cnverify, not in the input.  Its other results stand, its own are
    incomplete.  ``where`` is the innermost frame (``module.py:line``)."""

    property: str
    message: str
    where: str

    @classmethod
    def of(cls, code: str, exc: BaseException) -> InternalError:
        """The record of ``exc`` raised while running property ``code`` (one builder: prove and diff)."""
        tb = traceback.extract_tb(exc.__traceback__)
        where = f"{tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else "?"
        return cls(code, f"{type(exc).__name__}: {exc}", where)

    def to_json(self) -> dict[str, object]:
        return {"code": INTERNAL_CODE, "property": self.property, "message": self.message, "where": self.where}

    def __str__(self) -> str:
        return (
            f"internal error in {self.property} ({self.message} at {self.where}); "
            f"its results are incomplete — please report this"
        )


class UsageError(Exception):
    """A problem with how cnverify was invoked (exit code 2)."""
