"""YAML/JSON composition with exact source spans.

Documents are composed with libyaml's C parser (:class:`cnverify.kubeyaml.KubeLoader`), then turned
into plain Python values as kubectl sees them while recording, for every field path, the raw position of
the node; a :class:`~cnverify.errors.Span` is built only for a path that is looked up (:class:`SpanTable`:
10k objects record ~300k positions, results cite a fraction).  The cyclic garbage collector is paused
while composing (docs/PERFORMANCE.md#yaml-composition).
Alias expansion is bounded per file and per run so an alias bomb becomes a located error.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import yaml
from cnverify.errors import InputError, Span
from cnverify.kubeyaml import (
    MERGE,
    PLAIN,
    RESOLVABLE_START,
    STR,
    WORDS,
    KubeLoader,
    NotKubeYaml,
    bad_separator,
    json_stream,
    key_string,
    key_value,
    quote_flow_colon_scalar,
    scalar_value,
    stays_text,
)

Path = tuple[str | int, ...]
Position = int
"""0-based start line, start column, end line and end column in the composed text, 32 bits each in one int
(:func:`position`): an int is no object the garbage collector tracks, a tuple is (~300k per 10k objects)."""
_BITS = 32  # a file is at most MAX_FILE_BYTES (64 MiB): every line and column fits
_MASK = (1 << _BITS) - 1

MAX_ALIAS_NODES_PER_FILE = 400_000  # nodes alias expansion may add to one file (go-yaml allows ~400k per document)
MAX_ALIAS_NODES_PER_RUN = 2_000_000  # ... and to all the files of one load session
MAX_DEPTH = 500
MAX_FLOW_COLON_REWRITES = 50  # scalars like 2001:db8:: in a flow list, each costs one more parse
MAX_FILE_BYTES = 64 * 1024 * 1024


def scalar(node: yaml.ScalarNode) -> Any:
    """A scalar's value as kubectl sees it (:mod:`cnverify.kubeyaml`); unconvertible → ComposeError."""
    try:
        return scalar_value(node.tag, node.value)
    except NotKubeYaml as exc:
        raise ComposeError(str(exc), node) from None


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


class ComposeError(Exception):
    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.node = node


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
        sl, sc, el, ec = pos >> 3 * _BITS, pos >> 2 * _BITS & _MASK, pos >> _BITS & _MASK, pos & _MASK
        return new_span(
            self.file,
            sl + self.line + 1,
            sc + (self.column if sl == 0 else 0) + 1,
            el + self.line + 1,
            ec + (self.column if el == 0 else 0) + 1,
        )


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
    (once per path: spans are immutable, so every look-up of a path shares one)."""

    __slots__ = ("origin", "positions", "built")

    def __init__(self, origin: Origin, positions: dict[Path, Position] | None = None) -> None:
        self.origin = origin
        self.positions: dict[Path, Position] = {} if positions is None else positions
        self.built: dict[Path, Span] = {}  # looked-up path (present or not) → its span (Node.at reads it too)

    def __getitem__(self, path: Path) -> Span:
        position = self.positions[path]
        built = self.built.get(path)
        if built is None:
            built = self.built[path] = self.origin.expand(position)
        return built

    def nearest(self, path: Path) -> Span:
        """The span of ``path`` or, when it holds no node, of its nearest ancestor (:meth:`Document.span`)."""
        built = self.built.get(path)
        if built is None:
            p, positions = path, self.positions
            while p not in positions and p:
                p = p[:-1]
            built = self.built[path] = self.origin.expand(positions[p])
        return built

    def __contains__(self, path: object) -> bool:
        return path in self.positions

    def __iter__(self) -> Iterator[Path]:
        return iter(self.positions)

    def __len__(self) -> int:
        return len(self.positions)


def _children(n: yaml.Node) -> list[yaml.Node]:
    if isinstance(n, yaml.MappingNode):
        return [c for pair in n.value for c in pair]
    return n.value if isinstance(n, yaml.SequenceNode) else []


def alias_expansion(root: yaml.Node, budget: int) -> int:
    """How many nodes alias expansion adds to ``root``; refuses recursive aliases and more than ``budget``.

    Sizes are computed once per distinct node, so this costs O(distinct nodes) however large
    the expansion would be.
    """
    size: dict[int, int] = {}
    visiting: set[int] = set()
    shared: dict[int, yaml.Node] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        n, done = stack.pop()
        key = id(n)
        if done:
            size[key] = 1 + sum(size[id(c)] for c in _children(n))
            continue
        if key in size:
            shared[key] = n
            continue
        if key in visiting:
            raise ComposeError("recursive alias: a node contains itself", n)
        visiting.add(key)
        stack.append((n, True))
        stack.extend((c, False) for c in _children(n))
    added = size[id(root)] - len(size)
    if added > budget:
        worst = max(shared.values(), key=lambda n: size[id(n)])
        raise ComposeError(
            f"aliases would expand this document by {added:,} nodes, past what is left of the "
            f"alias budget ({MAX_ALIAS_NODES_PER_FILE:,} nodes per file, {MAX_ALIAS_NODES_PER_RUN:,} "
            "per run; an alias bomb?); the rest of the file is not read",
            worst,
        )
    return added


_MISSING = object()
MAX_REMEMBERED_PLAIN = 4096
_PLAIN_VALUES: dict[str, Any] = {}
"""Plain scalar text → its value (:func:`scalar_value` is a function of tag and text, and its values are
immutable: numbers, booleans, None, str); the first texts met (ports, replicas, booleans repeat)."""


def _convert(node: yaml.Node, origin: Origin, spans: dict[Path, Position]) -> tuple[Any, bool]:
    """Iteratively convert a composed node tree to Python values, recording each path's position.

    Returns the value and whether any value inside it is null.  Values and spans (in insertion order), the
    null flag and the first error are those of a plain depth-first walk (every node pushed, popped,
    converted; tests/engine/test_convert.py keeps that walk as the reference): the fast paths below only
    skip pushing what the walk would convert without a visible effect (a mapping's plain keys and
    convertible scalar values) and fall back to the walk's own steps for anything else.
    """
    nulls = False
    root: list[Any] = [None]
    # stack items: (node, path, container, key, depth)
    stack: list[tuple[yaml.Node, Path, Any, Any, int]] = [(node, (), root, 0, 0)]
    pop, push = stack.pop, stack.append
    scalar_node, str_tag, plain_tag, words, resolvable = yaml.ScalarNode, STR, PLAIN, WORDS, RESOLVABLE_START
    mapping_node = yaml.MappingNode
    plain_values = _PLAIN_VALUES
    while stack:
        n, path, parent, key, depth = pop()
        if depth > MAX_DEPTH:
            raise ComposeError(f"nesting depth exceeds {MAX_DEPTH} levels", n)
        if type(parent) is list:  # the root or a list item, located at its node (a mapping value: at its key)
            s, e = n.start_mark, n.end_mark
            spans[path] = ((s.line << _BITS | s.column) << _BITS | e.line) << _BITS | e.column
        if type(n) is mapping_node or isinstance(n, yaml.MappingNode):  # most popped nodes are mappings
            mapping: dict[Any, Any] = {}
            parent[key] = mapping
            mark, inline = len(stack), depth < MAX_DEPTH  # a scalar value one level down passes the depth check
            for k_node, v_node in n.value:  # fast path: plain keys, each once, no merge key
                k = k_node.value
                k_tag = k_node.tag
                if (
                    type(k_node) is not scalar_node
                    or not (k_tag == str_tag or k_tag == plain_tag and k and k[0] not in resolvable and k not in words)
                    or k in mapping
                ):
                    del stack[mark:]  # the walk's own steps for this mapping (they raise its first error)
                    mapping.clear()
                    _convert_pairs(n, path, mapping, depth, origin, spans, push)
                    break
                kp = path + (k,)
                s, e = k_node.start_mark, k_node.end_mark
                spans[kp] = ((s.line << _BITS | s.column) << _BITS | e.line) << _BITS | e.column
                if inline and type(v_node) is scalar_node:
                    text, tag = v_node.value, v_node.tag
                    if tag == str_tag or tag == plain_tag and text and text[0] not in resolvable and text not in words:
                        mapping[k] = text
                        continue
                    value = plain_values.get(text, _MISSING) if tag == plain_tag else _MISSING
                    if value is _MISSING:
                        try:
                            value = scalar_value(tag, text)
                        except NotKubeYaml:  # left to the walk: its error comes in the walk's order
                            value = _MISSING
                        else:
                            if tag == plain_tag and len(plain_values) < MAX_REMEMBERED_PLAIN:
                                plain_values[text] = value
                    if value is not _MISSING:
                        mapping[k] = value
                        if value is None:
                            nulls = True
                        continue
                mapping[k] = None
                push((v_node, kp, mapping, k, depth + 1))
        elif isinstance(n, yaml.ScalarNode):
            text = n.value
            value = parent[key] = text if stays_text(n.tag, text) else scalar(n)
            if value is None:
                nulls = True
        elif isinstance(n, yaml.SequenceNode):
            items: list[Any] = [None] * len(n.value)
            parent[key] = items
            for i, child in enumerate(n.value):
                push((child, path + (i,), items, i, depth + 1))
        else:  # pragma: no cover
            raise ComposeError(f"unsupported YAML node {type(n).__name__}", n)
    return root[0], nulls


def _convert_pairs(
    n: yaml.MappingNode,
    path: Path,
    mapping: dict[Any, Any],
    depth: int,
    origin: Origin,
    spans: dict[Path, Position],
    push: Callable[[tuple[yaml.Node, Path, Any, Any, int]], None],
) -> None:
    """The walk's step for a mapping with merge keys, keys to resolve or a duplicate key: every pair's key
    converted (the first unconvertible one is the error), then duplicates refused, then every value pushed."""
    for k, k_node, v_node in _merged_pairs(n):
        if k in mapping:
            raise ComposeError(
                f"duplicate key {k!r} (first at line {origin.expand(spans[path + (k,)]).line}); "
                "which value counts is up to the tool (kubectl, docker compose and cfn-lint reject the file)",
                k_node,
            )
        kp = path + (k,)
        spans[kp] = position(k_node)
        mapping[k] = None
        push((v_node, kp, mapping, k, depth + 1))


def _key(node: yaml.Node) -> str:
    """A mapping key as the JSON key kubectl makes of it (``on`` → ``"true"``, ``1`` → ``"1"``)."""
    if not isinstance(node, yaml.ScalarNode):
        raise ComposeError("mapping keys must be scalars", node)
    if stays_text(node.tag, node.value):
        return node.value
    try:
        return key_string(key_value(node.tag, node.value))
    except NotKubeYaml as exc:
        raise ComposeError(str(exc), node) from None


def _is_merge(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.value == "<<" and node.tag in (PLAIN, MERGE)


def _sources(value: yaml.Node) -> list[yaml.Node]:
    return list(value.value) if isinstance(value, yaml.SequenceNode) else [value]


def _merged_pairs(n: yaml.MappingNode) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """``(key, key node, value node)`` with ``<<`` merge keys applied (explicit keys win, then earlier merges).

    Iterative, so deeply nested merges cannot exhaust Python's stack; past ``MAX_DEPTH`` levels
    they are an error like any other nesting.
    """
    out = []
    for k, v in n.value:
        if k.value == "<<" and _is_merge(k):
            break
        out.append((_key(k), k, v))
    else:
        return out
    out = [(_key(k), k, v) for k, v in n.value if not _is_merge(k)]
    seen = {key for key, _, _ in out}
    stack = [(src, 1) for k, v in reversed(n.value) if _is_merge(k) for src in reversed(_sources(v))]
    while stack:
        m, depth = stack.pop()
        if not isinstance(m, yaml.MappingNode):
            raise ComposeError("merge key '<<' needs a mapping or a list of mappings", m)
        if depth > MAX_DEPTH:
            raise ComposeError(f"merge keys nested deeper than {MAX_DEPTH} levels", m)
        for k, v in m.value:
            if not _is_merge(k):
                key = _key(k)
                if key not in seen:
                    seen.add(key)
                    out.append((key, k, v))
        stack.extend((src, depth + 1) for k, v in reversed(m.value) if _is_merge(k) for src in reversed(_sources(v)))
    return out


def decode(raw: bytes, file: str) -> tuple[str | None, InputError | None]:
    """Decode bytes as UTF-8 (BOM allowed); undecodable bytes become a located error."""
    if len(raw) > MAX_FILE_BYTES:
        return None, InputError(Span(file, 1, 1), f"file is larger than {MAX_FILE_BYTES // 2**20} MiB; not read")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, InputError(
            Span(file, line, col), f"not valid UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded"
        )


def printable(text: str) -> str:
    """``text`` (a file name, a report) encodable as UTF-8: undecodable bytes of file names (the surrogate
    escapes ``os`` gives them) shown as ``\\xff``."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def compose(
    text: str, file: str, transform: Callable[[yaml.Node], yaml.Node] | None = None
) -> Iterator[Document | InputError]:
    """Yield each document of ``text`` (multi-document YAML, JSON, or a stream of JSON objects) or a
    located error.

    A syntax error ends the stream (the parser cannot resynchronise); documents before it are
    still yielded.  Text that starts with ``{`` and holds several JSON values one after another is
    read as kubectl reads it (``yaml.NewYAMLOrJSONDecoder``): one document per value. ``transform`` rewrites
    each composed node tree first (a system's own tags: CloudFormation's ``!Ref``).
    """
    file = printable(file)
    if "\x00" in text:
        pos = text.index("\x00")
        line = text.count("\n", 0, pos) + 1
        yield InputError(Span(file, line, 1), "file contains a NUL byte; not a text file")
        return
    stream = json_stream(text)
    bad = None if stream else bad_separator(text)
    if stream:
        parts = [(text[start:end], Origin(file, line, column)) for start, end, line, column in stream]
    else:
        parts = [(text[: bad.cut] if bad else text, Origin(file))]
    with paused_gc(), run_budget():
        budget = _FileBudget(anchors="&" in text)
        for n, (part, origin) in enumerate(parts):
            yield from _compose_text(part, origin, n, budget, transform)
            if budget.stop:
                return
    if bad:
        yield InputError(Span(file, bad.line, 1), bad.message)


def _compose_text(
    text: str,
    origin: Origin,
    first_index: int,
    budget: _FileBudget,
    transform: Callable[[yaml.Node], yaml.Node] | None = None,
) -> Iterator[Document | InputError]:
    """Compose every document of ``text``.  A plain scalar libyaml refuses but go-yaml reads (``::`` before a
    flow indicator, as in ``[1.2.3.4, 2001:db8::]``) is quoted and the text composed again, skipping the
    documents already yielded."""
    done = 0  # documents yielded before a rewrite
    for _ in range(MAX_FLOW_COLON_REWRITES + 1):
        loader = KubeLoader(text)
        index = first_index
        try:
            while loader.check_node():
                node = loader.get_node()
                if node is None:
                    continue
                if index - first_index >= done:
                    yield from _document(transform(node) if transform else node, origin, index, budget)
                    if budget.stop:
                        return
                index += 1
            return
        except yaml.MarkedYAMLError as exc:
            rewritten = quote_flow_colon_scalar(text, exc)
            if rewritten is None:
                mark = exc.problem_mark or exc.context_mark
                yield InputError(_mark(origin, mark), f"YAML syntax error: {exc.problem or exc.context}")
                return
            text, done = rewritten, index - first_index
        except yaml.reader.ReaderError as exc:  # a character YAML forbids (control characters)
            char = exc.character if isinstance(exc.character, int) else ord(exc.character)
            yield InputError(_offset_span(origin, text, exc.position), f"YAML: {exc.reason}: character U+{char:04X}")
            return
        finally:
            loader.dispose()
    yield InputError(
        _mark(origin, None),
        f"more than {MAX_FLOW_COLON_REWRITES} plain scalars with '::' in flow collections; quote them",
    )


def _document(node: yaml.Node, origin: Origin, index: int, budget: _FileBudget) -> Iterator[Document | InputError]:
    positions: dict[Path, Position] = {}
    try:
        budget.spend(node)
        data, nulls = _convert(node, origin, positions)
    except ComposeError as exc:
        yield InputError(origin.span(exc.node), str(exc))
    else:
        if data is not None:
            yield Document(origin.file, index, data, SpanTable(origin, positions), nulls)


@dataclass
class _FileBudget:
    """Alias expansion allowed to one file: its own budget and what is left of the run's."""

    anchors: bool  # text without '&' has no anchors, so nothing to measure
    used: int = 0
    stop: bool = False

    def spend(self, node: yaml.Node) -> None:
        if not self.anchors:
            return
        budget = min(MAX_ALIAS_NODES_PER_FILE - self.used, MAX_ALIAS_NODES_PER_RUN - _session.alias_nodes)
        try:
            added = alias_expansion(node, max(budget, 0))
        except ComposeError as exc:
            self.stop = "budget" in str(exc)
            raise
        self.used += added
        _session.alias_nodes += added


@dataclass
class _Session:
    """The alias expansion of the current run (:func:`run_budget`); outside one, each text is its own run."""

    active: int = 0
    alias_nodes: int = 0


_session = _Session()


@contextmanager
def run_budget() -> Iterator[None]:
    """One run: alias expansion is budgeted across every file composed inside (``cnverify prove`` wraps
    its whole run in it); nests (the outermost scope counts)."""
    if _session.active == 0:
        _session.alias_nodes = 0
    _session.active += 1
    try:
        yield
    finally:
        _session.active -= 1


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (it would walk every node of a large load); nests."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _offset_span(origin: Origin, text: str, pos: int) -> Span:
    line = text.count("\n", 0, pos)
    col = pos - (text.rfind("\n", 0, pos) + 1)
    return Span(origin.file, origin.line + line + 1, col + (origin.column if line == 0 else 0) + 1)


def _mark(origin: Origin, mark: yaml.Mark | None) -> Span:
    if mark is None:
        return Span(origin.file, origin.line + 1, origin.column + 1)
    return Span(origin.file, mark.line + origin.line + 1, mark.column + (origin.column if mark.line == 0 else 0) + 1)
