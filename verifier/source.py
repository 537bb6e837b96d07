"""YAML/JSON composition with exact source spans.

Documents are composed with libyaml's C parser (:class:`cnverify.kubeyaml.KubeLoader`), then turned
into plain Python values as kubectl sees them while recording, for every field path, the raw position of
the node; a :class:`~cnverify.errors.Span` is built only for a path that is looked up
(:class:`~cnverify.spans.SpanTable`, in :mod:`cnverify.spans` with ``Document``, ``Origin`` and ``Path``,
which this module re-exports: 10k objects record ~300k positions, results cite a fraction).  The cyclic garbage collector is paused
while composing (docs/PERFORMANCE.md#yaml-composition).
Alias expansion is bounded per file and per run so an alias bomb becomes a located error (:mod:`cnverify.alias_budget`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from cnverify.alias_budget import (
    MAX_ALIAS_NODES_PER_FILE,
    MAX_ALIAS_NODES_PER_RUN,
    FileBudget,
    alias_expansion,
    run_budget,
)
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
from cnverify.spans import (  # the names every reader of documents imports from here
    _BITS,
    SPAN_FIELDS,
    ComposeError,
    Document,
    Origin,
    Path,
    Position,
    SpanTable,
    format_path,
    new_span,
    position,
)

__all__ = [  # this module's own names and those it re-exports from cnverify.spans and cnverify.alias_budget
    "MAX_ALIAS_NODES_PER_FILE",
    "MAX_ALIAS_NODES_PER_RUN",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_FLOW_COLON_REWRITES",
    "SPAN_FIELDS",
    "ComposeError",
    "Document",
    "Origin",
    "Path",
    "Position",
    "SpanTable",
    "alias_expansion",
    "compose",
    "decode",
    "format_path",
    "new_span",
    "paused_gc",
    "position",
    "printable",
    "run_budget",
    "scalar",
]

MAX_DEPTH = 500
MAX_FLOW_COLON_REWRITES = 50  # scalars like 2001:db8:: in a flow list, each costs one more parse
MAX_FILE_BYTES = 64 * 1024 * 1024


def scalar(node: yaml.ScalarNode) -> Any:
    """A scalar's value as kubectl sees it (:mod:`cnverify.kubeyaml`); unconvertible → ComposeError."""
    try:
        return scalar_value(node.tag, node.value)
    except NotKubeYaml as exc:
        raise ComposeError(str(exc), node) from None


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
        budget = FileBudget(anchors="&" in text)
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
    budget: FileBudget,
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


def _document(node: yaml.Node, origin: Origin, index: int, budget: FileBudget) -> Iterator[Document | InputError]:
    positions: dict[Path, Position] = {}
    try:
        budget.spend(node)
        data, nulls = _convert(node, origin, positions)
    except ComposeError as exc:
        yield InputError(origin.span(exc.node), str(exc))
    else:
        if data is not None:
            yield Document(origin.file, index, data, SpanTable(origin, positions), nulls)


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
