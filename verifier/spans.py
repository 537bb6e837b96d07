"""Field paths and their source spans: a composed document's value with the raw position of every path
(:class:`SpanTable`), and the :class:`~cnverify.errors.Span` built from one only when it is looked up.

:mod:`cnverify.source` composes the documents and records the positions; every name here is also importable
from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from cnverify.errors import Span

Path = tuple[str | int, ...]
Position = int
"""0-based start line, start column, end line and end column in the composed text, 32 bits each in one int
(:func:`position`): an int is no object the garbage collector tracks, a tuple is (~300k per 10k objects)."""
_BITS = 32  # a file is at most MAX_FILE_BYTES (64 MiB): every line and column fits
_MASK = (1 << _BITS) - 1
_BITS2, _BITS3 = 2 * _BITS, 3 * _BITS


@dataclass(slots=True)
class Document:
    """One YAML document: its value and a span for every field path."""

    file: str
    index: int
    data: Any
    spans: Mapping[Path, Span] = field(repr=False)  # a SpanTable when composed here
    has_nulls: bool = False  # some mapping value is null (the model layer then drops those keys)

    def span(self, path: Path) -> Span:
        """The span of ``path`` or, when that node is absent, of its nearest ancestor."""
        spans = self.spans
        if type(spans) is SpanTable:
            return spans.nearest(path if type(path) is tuple else tuple(path))
        p = tuple(path)
        while p not in spans and p:
            p = p[:-1]
        return spans[p]


def format_path(path: Path) -> str:
    """``("spec", "http", 1, "route")`` → ``spec.http[1].route``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a composed text starts inside its file (a JSON stream's values are composed one by one)."""

    file: str
    line: int = 0  # 0-based line of the text's first character
    column: int = 0  # 0-based column of the text's first character

    def span(self, node: yaml.Node) -> Span:
        return self.expand(position(node))

    def expand(self, pos: Position) -> Span:
        """The span in the file of a position in the composed text."""
        sl, sc, el, ec = pos >> _BITS3, pos >> _BITS2 & _MASK, pos >> _BITS & _MASK, pos & _MASK
        if self.line or self.column:  # a value of a JSON stream: its offsets (0-based line, column) added
            sc += self.column if sl == 0 else 0
            ec += self.column if el == 0 else 0
            sl += self.line
            el += self.line
        return new_span(self.file, sl + 1, sc + 1, el + 1, ec + 1)


SPAN_FIELDS = ("file", "line", "column", "end_line", "end_column")  # Span's fields, in order (a test checks)
_new = object.__new__
_set_file, _set_line, _set_column, _set_end_line, _set_end_column = (Span.__dict__[f].__set__ for f in SPAN_FIELDS)


def new_span(file: str, line: int, column: int, end_line: int, end_column: int) -> Span:
    """``Span(file, line, column, end_line, end_column)`` set through its slots: the frozen dataclass's
    ``__init__`` sets each field with ``object.__setattr__`` (~1.9 against ~1.2 µs; ~90k spans a 10k run)."""
    span = _new(Span)
    _set_file(span, file)
    _set_line(span, line)
    _set_column(span, column)
    _set_end_line(span, end_line)
    _set_end_column(span, end_column)
    return span


def position(node: yaml.Node) -> Position:
    s, e = node.start_mark, node.end_mark
    return ((s.line << _BITS | s.column) << _BITS | e.line) << _BITS | e.column


class SpanTable(Mapping[Path, Span]):
    """Field path → span, holding raw positions and building a :class:`Span` only when one is looked up
    (once per path: the span replaces the position in ``positions``, so every later look-up of the path,
    ``Node.at``'s among them, finds it with one dict read and shares it)."""

    __slots__ = ("origin", "positions", "built")

    def __init__(self, origin: Origin, positions: dict[Path, Position] | None = None) -> None:
        self.origin = origin
        self.positions: dict[Path, Position | Span] = {} if positions is None else positions  # type: ignore[assignment]
        self.built: dict[Path, Span] = {}  # a looked-up path that holds no node → its nearest ancestor's span

    def __getitem__(self, path: Path) -> Span:
        got = self.positions[path]
        if type(got) is int:
            got = self.positions[path] = self.origin.expand(got)
        return got  # type: ignore[return-value]

    def nearest(self, path: Path) -> Span:
        """The span of ``path`` or, when it holds no node, of its nearest ancestor (:meth:`Document.span`;
        ``Node.at`` inlines it)."""
        positions = self.positions
        got = positions.get(path)
        if type(got) is int:
            got = positions[path] = self.origin.expand(got)
        elif got is None:
            got = self.absent(path)
        return got  # type: ignore[return-value]

    def absent(self, path: Path) -> Span:
        """The span of a path that holds no node: its nearest ancestor's (built so), remembered per path."""
        built = self.built.get(path)
        if built is None:
            p = path[:-1]
            while p not in self.positions and p:
                p = p[:-1]
            built = self.built[path] = self[p]
        return built

    def __contains__(self, path: object) -> bool:
        return path in self.positions

    def __iter__(self) -> Iterator[Path]:
        return iter(self.positions)

    def __len__(self) -> int:
        return len(self.positions)


class ComposeError(Exception):
    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.node = node
