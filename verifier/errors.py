"""Located input errors and the span type shared by every layer."""
from __future__ import annotations

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


class UsageError(Exception):
    """A problem with how cnverify was invoked (exit code 2)."""
