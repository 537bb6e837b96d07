"""Merging compose files as ``docker compose -f a -f b`` does, keeping where every value was written.

compose-go ``override/merge.go`` (``MergeYaml``: mappings merged key by key, sequences appended, scalars
replaced; per-field rules in ``mergeSpecials``), ``override/uncity.go`` (``EnforceUnicity``: a later entry of
``ports``/``volumes``/``secrets``/``configs``/… with the key of an earlier one replaces it in place) and
``loader/reset.go`` (``!reset`` removes a value, ``!override`` replaces it whole). Each file is merged into the
result of the files before it; a mapping over a non-mapping (or a sequence over a non-sequence) is compose-go's
"cannot override" error. Every node of the result keeps the document and path it came from
(:class:`MergedSpans`), so a chain cites the file that gave the value.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Mapping
from typing import Any

from cnverify.errors import Span
from cnverify.source import Document, Path, format_path

RESET, OVERRIDE = "\x00!reset", "\x00!override"  # how the reader marks compose-go's tags (files.py)
Origin = tuple[Document, Path]


class Source:
    """Where the nodes of a value being merged were written: a document's own paths, or (:class:`Tree`) the
    origins recorded for an already merged value."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc

    def __call__(self, path: Path) -> Origin:
        return (self.doc, path)

    def span(self, path: Path) -> Span:
        doc, src = self(path)
        return doc.span(src)


class Tree(Source):
    def __init__(self, spans: MergedSpans) -> None:
        self.spans = spans

    def __call__(self, path: Path) -> Origin:
        p = path
        while p not in self.spans.origins and p:
            p = p[:-1]
        return self.spans.origins[p]


class MergeError(Exception):
    def __init__(self, message: str, at: Span) -> None:
        super().__init__(message)
        self.at = at


class MergedSpans(Mapping[Path, Span]):
    """Field path of the merged document → the span where that value was written (in whichever file)."""

    def __init__(self) -> None:
        self.origins: dict[Path, Origin] = {}

    def __getitem__(self, path: Path) -> Span:
        doc, src = self.origins[path]
        return doc.span(src)

    def __contains__(self, path: object) -> bool:
        return path in self.origins

    def __iter__(self) -> Iterator[Path]:
        return iter(self.origins)

    def __len__(self) -> int:
        return len(self.origins)

    def record(self, value: Any, at: Path, src: Path, source: Source) -> None:
        """``value`` (now at ``at``) and all its children were written where ``source`` puts ``src``."""
        self.origins[at] = source(src)
        if isinstance(value, dict):
            for k, v in value.items():
                self.record(v, at + (k,), src + (k,), source)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.record(v, at + (i,), src + (i,), source)

    def place(self, value: Any, at: Path, origin: Origin) -> None:
        """``value`` (now at ``at``) was written at ``origin`` (a document and its path)."""
        self.record(value, at, origin[1], Source(origin[0]))

    def drop(self, at: Path) -> None:
        """Forget the origins below ``at`` (its value is replaced)."""
        self.origins = {p: o for p, o in self.origins.items() if p[: len(at)] != at or len(p) == len(at)}


def _matches(path: Path, pattern: str) -> bool:
    parts = pattern.split(".")
    return len(parts) == len(path) and all(p in ("*", str(k)) for p, k in zip(parts, path, strict=True))


_TO_SEQUENCE = (
    "services.*.annotations services.*.build.args services.*.build.additional_contexts services.*.build.labels "
    "services.*.deploy.labels services.*.dns services.*.dns_opt services.*.dns_search services.*.env_file "
    "services.*.label_file services.*.environment services.*.labels services.*.sysctls services.*.tmpfs "
    "networks.*.labels volumes.*.labels"
).split()
_REPLACE = ("services.*.command", "services.*.entrypoint", "services.*.healthcheck.test", "services.*.ulimits.*")
_TO_MAPPING = ("services.*.depends_on", "services.*.networks", "services.*.models")


class Merger:
    """The merged value of the files given so far (:meth:`add` one document after another)."""

    def __init__(self) -> None:
        self.value: dict[str, Any] = {}
        self.spans = MergedSpans()

    def add(self, doc: Document, read: Any = None) -> None:
        """Merge one more document (``read(path)``: the documents of a file ``extends`` names)."""
        data = copy.deepcopy(doc.data) if isinstance(doc.data, dict) else {}  # documents are cached: never mutated
        for path in list(_tagged(data, (), RESET)) + list(_tagged(data, (), OVERRIDE)):
            _delete(self.value, path)  # compose-go ResetProcessor.Apply: before the merge
        data = _untag(data)
        source = extended(doc, data, read) if _extends(data) else Source(doc)
        self.value = self._merge(self.value, data, (), (), source)
        _unique(self.value, self.spans)

    def _merge(self, base: Any, over: Any, at: Path, src: Path, source: Source) -> Any:
        if any(_matches(at, p) for p in _REPLACE):
            self.spans.record(over, at, src, source)
            return over
        if any(_matches(at, p) for p in _TO_SEQUENCE):
            if isinstance(base, dict):
                base = self._rekey(_sequence(base), at, lambda item: str(item).split("=", 1)[0])
            return self._append(_sequence(base), _sequence(over), at, src, source, keyed=isinstance(over, dict))
        if any(_matches(at, p) for p in _TO_MAPPING):
            dep = {"condition": "service_started", "required": True} if at[-1] == "depends_on" else None
            if isinstance(base, list):
                names = [str(s) for s in base]
                base = self._rekey(_mapping(base, dep), at, lambda name: names.index(name))
            base, over = base, _mapping(over, dep)
        elif _matches(at, "services.*.build"):
            base, over = ({"context": v} if isinstance(v, str) else v for v in (base, over))
        if over is None:
            return base
        if isinstance(base, dict):
            if not isinstance(over, dict):
                raise MergeError(f"cannot override {format_path(at)}", source.span(src))
            for k, v in over.items():
                if k in base:
                    base[k] = self._merge(base[k], v, at + (k,), src + (k,), source)
                else:
                    base[k] = v
                    self.spans.record(v, at + (k,), src + (k,), source)
            return base
        if isinstance(base, list):
            if not isinstance(over, list):
                raise MergeError(f"cannot override {format_path(at)}", source.span(src))
            return self._append(base, over, at, src, source, keyed=False)
        self.spans.record(over, at, src, source)
        return over

    def _rekey(self, value: Any, at: Path, old_key: Any) -> Any:
        """``value`` (at ``at``) converted from another shape: each child keeps the origin of the child it was
        (``old_key(new key or item)`` → the old key)."""
        origins = self.spans.origins
        items = enumerate(value) if isinstance(value, list) else ((k, k) for k in value)
        moved = {new: origins.get(at + (old_key(item),)) for new, item in items}
        for new, origin in moved.items():
            if origin is not None:
                self.spans.place(value[new], at + (new,), origin)
        return value

    def _append(self, base: list[Any], over: list[Any], at: Path, src: Path, source: Source, keyed: bool) -> list[Any]:
        for i, item in enumerate(over):
            key = str(item).split("=", 1)[0] if keyed else i
            self.spans.record(item, at + (len(base),), src + (key,), source)
            base.append(item)
        return base


def _extends(data: dict[str, Any]) -> bool:
    services = data.get("services")
    return isinstance(services, dict) and any(isinstance(v, dict) and "extends" in v for v in services.values())


def extended(doc: Document, data: dict[str, Any], read: Any) -> Source:
    """Apply ``extends`` to the services of one file, in place, as compose-go ``loader/extends.go`` does
    before the file is merged: the base service (of this file, or of ``extends.file`` beside it) merged with the
    service by the override rules (``override.ExtendService``); the origins of the result."""
    local = Merger()
    local.value = data
    local.spans.record(data, (), (), Source(doc))
    services = data["services"]
    for name in list(services):
        _extend(local, doc, services, name, read, ())
    return Tree(local.spans)


def _extend(
    local: Merger, doc: Document, services: dict[str, Any], name: str, read: Any, stack: tuple[str, ...]
) -> tuple[Any, Source, Path]:
    """Service ``name`` of ``services`` (in ``doc``) with its ``extends`` applied: the value, and where its
    nodes were written (a source and the service's path in it)."""
    svc, at = services.get(name), ("services", name)
    ext = svc.get("extends") if isinstance(svc, dict) else None
    if ext is None:
        return svc, Tree(local.spans), at
    where = local.spans[at + ("extends",)]
    ref, file = (ext, None) if isinstance(ext, str) else (ext.get("service"), ext.get("file"))
    key = f"{doc.file}:{name}"
    if key in stack:
        raise MergeError(f"extends cycle: {' -> '.join((*stack, key))}", where)
    if file is not None:
        base_doc, base_services = _other(doc, str(file), where, read)
        other = Merger()
        other.value = {"services": base_services}
        other.spans.record(other.value, (), (), Source(base_doc))
        base, base_source, base_at = _extend(other, base_doc, base_services, str(ref), read, (*stack, key))
    else:
        if ref not in services:
            raise MergeError(f"cannot extend service {name!r}: service {ref!r} not found", where)
        base, base_source, base_at = _extend(local, doc, services, str(ref), read, (*stack, key))
    merged = copy.deepcopy(base) if isinstance(base, dict) else {}
    own = {k: v for k, v in (svc or {}).items() if k != "extends"}
    local.spans.drop(at)
    local.spans.record(merged, at, base_at, base_source)
    services[name] = local._merge(merged, own, at, at, Source(doc))
    return services[name], Tree(local.spans), at


def _other(doc: Document, file: str, where: Span, read: Any) -> tuple[Document, dict[str, Any]]:
    """The first document of the file an ``extends`` names (relative to ``doc``'s folder) and its services."""
    found = read(os.path.normpath(os.path.join(os.path.dirname(doc.file), file))) if read is not None else []
    first = next((d for d in found if isinstance(d, Document)), None)
    services = first.data.get("services") if first is not None and isinstance(first.data, dict) else None
    if first is None or not isinstance(services, dict):
        raise MergeError(f"cannot extend from {file}: no services there", where)
    return first, copy.deepcopy(services)


def _sequence(value: Any) -> list[Any]:
    """compose-go ``convertIntoSequence``: a mapping becomes sorted ``k=v`` entries (``k`` for a null value)."""
    if isinstance(value, dict):
        out: list[str] = []
        for k, v in value.items():
            if v is None:
                out.append(str(k))
            else:
                out += [f"{k}={x}" for x in (v if isinstance(v, list) else [v])]
        return sorted(out)
    return list(value) if isinstance(value, list) else [value] if isinstance(value, str) else []


def _mapping(value: Any, default: dict[str, Any] | None) -> Any:
    """compose-go ``convertIntoMapping``: a list of names becomes a mapping (each with ``default``)."""
    if isinstance(value, list):
        return {str(s): (dict(default) if default is not None else None) for s in value}
    return value


def _tagged(value: Any, at: Path, tag: str) -> Iterator[Path]:
    if _tag_of(value) == tag:
        yield at
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _tagged(v, at + (k,), tag)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _tagged(v, at + (i,), tag)


def _tag_of(value: Any) -> str | None:
    """The marker files.py leaves: ``{RESET: None}``; a mapping with the key OVERRIDE, a sequence ending
    with OVERRIDE, or ``{OVERRIDE: scalar}``."""
    if isinstance(value, dict) and RESET in value:
        return RESET
    if isinstance(value, dict) and OVERRIDE in value or isinstance(value, list) and value[-1:] == [OVERRIDE]:
        return OVERRIDE
    return None


def _untag(value: Any) -> Any:
    """Drop ``!reset`` values and unwrap ``!override`` ones."""
    tag = _tag_of(value)
    if tag == RESET:
        return None
    if isinstance(value, dict):
        if tag == OVERRIDE and value[OVERRIDE] is not None:
            return value[OVERRIDE]
        return {k: u for k, v in value.items() if k != OVERRIDE and ((u := _untag(v)) is not None or v is None)}
    if isinstance(value, list):
        return [u for v in value if v != OVERRIDE and ((u := _untag(v)) is not None or v is None)]
    return value


def _delete(value: dict[str, Any], path: Path) -> None:
    node: Any = value
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)


def volume_target(entry: Any) -> str:
    """A ``volumes`` entry's container path (short syntax ``[source:]target[:mode]``)."""
    if isinstance(entry, dict):
        return str(entry.get("target", ""))
    parts = str(entry).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _mount(default: str) -> Any:
    return lambda e: str(e["target"]) if isinstance(e, dict) and "target" in e else f"{default}/{_source(e)}"


def _source(entry: Any) -> str:
    return str(entry.get("source")) if isinstance(entry, dict) else str(entry)


def port_key(entry: Any) -> str:
    """compose-go ``portIndexer``: the text of a short port, else ``host_ip:published:target/protocol``."""
    if not isinstance(entry, dict):
        return str(entry)
    host, proto = entry.get("host_ip", "0.0.0.0"), entry.get("protocol", "tcp")
    return f"{host}:{entry.get('published')}:{entry.get('target')}/{proto}"


_UNIQUE = {
    "ports": port_key,
    "volumes": volume_target,
    "secrets": _mount("/run/secrets"),
    "configs": _mount(""),
    "expose": str,
    "cap_add": str,
    "cap_drop": str,
    "profiles": str,
}


def _unique(value: dict[str, Any], spans: MergedSpans) -> None:
    """compose-go ``EnforceUnicity`` over each service's keyed sequences (the later entry wins, in place)."""
    services = value.get("services")
    for name, svc in services.items() if isinstance(services, dict) else ():
        for field, key_of in _UNIQUE.items():
            items = svc.get(field) if isinstance(svc, dict) else None
            if not isinstance(items, list):
                continue
            at = ("services", name, field)
            kept: list[Any] = []
            where: list[Origin | None] = []
            index: dict[str, int] = {}
            for i, item in enumerate(items):
                origin = spans.origins.get(at + (i,))
                key = key_of(item)
                if key in index:
                    kept[index[key]] = item
                    where[index[key]] = origin
                else:
                    index[key] = len(kept)
                    kept.append(item)
                    where.append(origin)
            if len(kept) != len(items):
                svc[field] = kept
                spans.drop(at)
                for i, (item, origin) in enumerate(zip(kept, where, strict=True)):
                    if origin is not None:
                        spans.place(item, at + (i,), origin)
