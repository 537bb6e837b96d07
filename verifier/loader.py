"""Reading inputs: files, directories, stdin; splitting lists into objects (other shapes: the systems' ``split_raw``)."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO

from cnverify.errors import InputError, Span, UsageError
from cnverify.kustomize import skip_reason
from cnverify.source import MAX_FILE_BYTES, Document, Path, compose, decode, paused_gc

FileReader = Callable[[str, str], "list[Document | InputError] | str"]

YAML_OR_JSON = (".yaml", ".yml", ".json")
EXTENSIONS = (*YAML_OR_JSON, ".hcl", ".nomad")  # .hcl/.nomad: read by a system's file reader (Consul, Nomad)


@dataclass(slots=True)
class RawObject:
    """One object inside a document: its data and where it sits (``path`` inside ``doc``)."""

    doc: Document
    path: Path
    data: Any
    api_version: str = ""
    kind: str = ""


@dataclass
class LoadResult:
    objects: list[RawObject] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    unrecognized: int = 0  # documents that are neither objects nor Envoy configs
    unrecognized_at: list[tuple[Span, str]] = field(default_factory=list)  # each one: where and why

    def extend(self, other: LoadResult) -> None:
        """Append another result (e.g. one file's) to this one."""
        self.objects += other.objects
        self.errors += other.errors
        self.inputs += other.inputs
        self.unrecognized += other.unrecognized
        self.unrecognized_at += other.unrecognized_at


@dataclass
class Walk:
    """The files under the arguments, in apply order, with the problems met on the way."""

    files: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # inputs entries of files not read
    roots: dict[str, str] = field(default_factory=dict)  # file → the argument it was found under


def path_key(path: str) -> tuple[str, ...]:
    """Sort key of apply order: path components compared one by one (as ``kubectl apply -R`` walks)."""
    return tuple(os.path.normpath(path).split(os.sep))


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def walk(paths: Iterable[str], excluded: Callable[[str], bool] | None = None) -> Walk:
    """Expand the arguments into files: in argument order, as ``kubectl apply -f a -f b`` visits them
    (cli-runtime ``Builder.FilenameParam`` loops over the paths in order), so that the later definition
    of an object wins as it does there; directories recursively in sorted order, hidden folders skipped.

    Only regular files are read; a symlink is followed only when its target stays inside the
    argument's tree, and a file reached twice (symlinked copies) is read once. Dangling symlinks,
    symlinks out of the tree, FIFOs/devices and unreadable folders become located errors. A path
    that does not exist is a usage error.
    """
    out = Walk()
    candidates: list[tuple[str, str, str]] = []  # (file, argument, real path)
    real_dirs: dict[str, str] = {}  # folder → its real path
    for arg in dict.fromkeys(paths):  # in argument order, as kubectl -f a -f b (the later definition wins)
        if arg == "-":
            candidates.append((arg, arg, arg))
            continue
        if not os.path.lexists(arg):
            raise UsageError(f"no such file or directory: {arg}")
        tree = arg if os.path.isdir(arg) else None
        for f in _walk_dir(arg, out) if tree else [arg]:
            if excluded is None or not excluded(f):
                real = _regular(f, tree, out, real_dirs)
                if real is not None:
                    candidates.append((f, arg, real))
    by_real: dict[str, list[tuple[str, str]]] = {}
    for f, arg, real in candidates:
        by_real.setdefault(real, []).append((f, arg))
    for found in by_real.values():  # one path per file: the file itself rather than a link to it
        f, arg = found[0] if len(found) == 1 else min(found, key=lambda p: (os.path.islink(p[0]), path_key(p[0])))
        out.files.append(f)
        out.roots[f] = arg
        out.skipped += [
            {"file": g, "documents": 0, "skipped": f"the same file as {f} (a symlink)"} for g, _ in found if g != f
        ]
    out.skipped.sort(key=lambda i: path_key(i["file"]))
    return out


def _walk_dir(arg: str, out: Walk) -> list[str]:
    found: list[str] = []

    def failed(exc: OSError) -> None:
        where = exc.filename or arg
        out.errors.append(
            InputError(Span(str(where), 1, 1), f"cannot read folder: {exc.strerror}; its files are not verified")
        )

    for root, dirs, files in os.walk(arg, onerror=failed):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for d in list(dirs):
            full = os.path.join(root, d)
            if os.path.islink(full):  # never walked into: its files are either in the tree or outside it
                dirs.remove(d)
                target = os.path.realpath(full)
                if not os.path.exists(full):
                    out.errors.append(InputError(Span(full, 1, 1), "dangling symlink (its target does not exist)"))
                elif not _within(target, os.path.realpath(arg)):
                    out.errors.append(
                        InputError(
                            Span(full, 1, 1),
                            f"symlink to {target}, outside {arg}; not "
                            "followed (pass the target as an argument to verify it)",
                        )
                    )
        found += [os.path.join(root, f) for f in files if f.endswith(EXTENSIONS)]
    return sorted(found, key=path_key)


def _regular(path: str, tree: str | None, out: Walk, real_dirs: dict[str, str]) -> str | None:
    """The real path of ``path`` if it may be read (a regular file inside ``tree``), else None with an error.

    A file that is no symlink has its folder's real path (``real_dirs``, filled here) and its own name."""
    if link := os.path.islink(path):
        if not os.path.exists(path):
            out.errors.append(InputError(Span(path, 1, 1), "dangling symlink (its target does not exist)"))
            return None
        real = os.path.realpath(path)
        if tree is not None and not _within(real, os.path.realpath(tree)):
            out.errors.append(
                InputError(
                    Span(path, 1, 1),
                    f"symlink to {real}, outside {tree}; not followed (pass the target as an argument to verify it)",
                )
            )
            return None
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        out.errors.append(InputError(Span(path, 1, 1), f"cannot read file: {exc.strerror}"))
        return None
    if not stat.S_ISREG(mode):
        out.errors.append(
            InputError(
                Span(path, 1, 1),
                "not a regular file (a FIFO, socket or device); not opened (pipe a stream with 'cnverify prove -')",
            )
        )
        return None
    if link:
        return os.path.realpath(path)
    folder, name = os.path.split(path)
    real_folder = real_dirs.get(folder)
    if real_folder is None:
        real_folder = real_dirs[folder] = os.path.realpath(folder)
    return os.path.join(real_folder, name)


def iter_files(paths: Iterable[str]) -> Iterator[str]:
    """The readable files under ``paths`` in apply order (see :func:`walk`); ``-`` stays as is."""
    yield from walk(paths).files


def load(paths: Iterable[str], stdin: TextIO | BinaryIO | None = None) -> LoadResult:
    """Compose every input and split it into raw objects; problems become located errors."""
    found = walk(paths)
    result = LoadResult(errors=list(found.errors), inputs=list(found.skipped))
    with paused_gc():
        for path in found.files:
            result.extend(load_file(path, stdin))
    return result


def load_file(path: str, stdin: TextIO | BinaryIO | None = None, *, skip_patches: bool = True) -> LoadResult:
    """Read, compose and split one input (a file path or ``-``)."""
    result = LoadResult()
    skipped = skip_reason(path) if skip_patches else None
    if skipped:
        result.inputs.append({"file": path, "documents": 0, "skipped": skipped})
        return result
    name, text, err = _read(path, stdin)
    count = 0
    if err is None and text is not None and name.endswith(".json") and not text.strip():
        err = InputError(Span(name, 1, 1), "empty JSON file: no value")
    reader = None if err is not None or text is None else _reader(name)
    items = reader(text, name) if reader is not None and text is not None else None
    if isinstance(items, str):
        if not name.endswith(YAML_OR_JSON):
            return result  # not this system's file (HCL that is no Consul config entry): left alone, not listed
        items = None  # YAML no system reads specially (not a CloudFormation template): the core reading
    if err is not None:
        result.errors.append(err)
    elif text is not None:
        with paused_gc():
            for item in compose(text, name) if items is None else items:
                if isinstance(item, InputError):
                    result.errors.append(item)
                    continue
                count += 1
                _document(item, result)
    result.inputs.append({"file": name, "documents": count})
    return result


_READERS: list[Any] = [None, []]
"""The adapter list ``systems.adapters()`` returned (a new one when a system registers) and its file readers."""


def _reader(name: str) -> FileReader | None:
    """The file readers systems register for this file name's extension (``System.file_readers``), tried in
    adapter order: the first that takes the file reads it; a str says why none did."""
    from cnverify import systems

    adapters = systems.adapters()
    if _READERS[0] is not adapters:  # the (extension, reader) pairs of these adapters, in order: once
        _READERS[:] = [adapters, [(ext, r) for s in adapters for ext, r in s.file_readers.items()]]
    readers = [r for ext, r in _READERS[1] if name.endswith(ext)]
    if not readers:
        return None

    def first(text: str, file: str) -> list[Document | InputError] | str:
        declined = []
        for read in readers:
            got = read(text, file)
            if not isinstance(got, str):
                return got
            declined.append(got)
        return "; ".join(declined)

    return first


def _document(doc: Document, out: LoadResult) -> None:
    """Split one document into objects; what is no object is an input error or listed as unrecognized."""
    before = len(out.objects), len(out.errors)
    if isinstance(doc.data, dict):
        _split(doc, doc.data, (), out)
    if (len(out.objects), len(out.errors)) == before:
        what = (
            f"a list of {len(doc.data)} items"
            if isinstance(doc.data, list)
            else f"a {type(doc.data).__name__} scalar"
            if not isinstance(doc.data, dict)
            else "a strategic-merge patch ($patch)"
            if "$patch" in doc.data
            else f"a mapping with apiVersion {doc.data['apiVersion']!r} (not a string) and no kind"
            if "apiVersion" in doc.data
            else "a mapping without apiVersion and kind"
        )
        out.unrecognized += 1
        out.unrecognized_at.append((doc.span(()), f"document {doc.index + 1} is {what}, not an object"))


def _read(path: str, stdin: TextIO | BinaryIO | None) -> tuple[str, str | None, InputError | None]:
    """``(display name, text, error)`` of a file or of stdin (``-``), size-capped and UTF-8 checked.

    Files are opened non-blocking and checked to be regular before reading (a FIFO never blocks).
    """
    if path == "-":
        stream = stdin if stdin is not None else sys.stdin
        raw = getattr(stream, "buffer", stream).read(MAX_FILE_BYTES + 1)
        if isinstance(raw, str):
            return "<stdin>", raw, None
        text, err = decode(raw, "<stdin>")
        return "<stdin>", text, err
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                return (
                    path,
                    None,
                    InputError(
                        Span(path, 1, 1),
                        "not a regular file (a FIFO, socket or device); "
                        "not opened (pipe a stream with 'cnverify prove -')",
                    ),
                )
            text, err = decode(read_upto(fd, MAX_FILE_BYTES + 1, status.st_size), path)
        finally:
            os.close(fd)
    except OSError as exc:
        text, err = None, InputError(Span(path, 1, 1), f"cannot read file: {exc.strerror}")
    return path, text, err


def read_upto(fd: int, limit: int, size: int) -> bytes:
    """The first ``limit`` bytes of an open file (all of it if shorter), asking first for the ``size`` it
    reports (a buffered ``read(limit)`` would allocate ``limit`` bytes, 64 MiB, for every file)."""
    parts: list[bytes] = []
    left = limit
    ask = min(max(size, 0) + 1, limit)  # one more byte than reported: the end is seen, or a grown file goes on
    while left > 0:
        chunk = os.read(fd, min(ask, left))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
        ask = max(ask, 1 << 16)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _split(doc: Document, data: Any, path: Path, out: LoadResult, list_kind: tuple[str, str] | None = None) -> None:
    if not isinstance(data, dict):
        if list_kind is not None:
            out.errors.append(InputError(doc.span(path), f"a {list_kind[1]}List item is not a mapping; not an object"))
        return
    if "$patch" in data:
        return  # a strategic-merge patch directive (kustomize), not an object: listed as unrecognized
    kind, api = data.get("kind"), data.get("apiVersion")
    if list_kind is not None and kind is None and api is None and list_kind[1]:
        api, kind = list_kind  # a typed list (ServiceList) leaves its items' kind implied
        data = {**data, "apiVersion": api, "kind": kind}
    if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list):
        for i, item in enumerate(data["items"]):
            _split(doc, item, path + ("items", i), out, (api if isinstance(api, str) else "", kind[:-4]))
        return
    if isinstance(kind, str) and isinstance(api, str) and kind and api:
        out.objects.append(RawObject(doc, path, data, api, kind))
        return
    other_format = (
        kind is None and api is not None and not isinstance(api, str)
    )  # `apiVersion: 1`: Grafana provisioning
    if (
        (api is not None and not other_format)
        or list_kind is not None
        or (kind is not None and isinstance(data.get("metadata"), dict))
    ):
        out.errors.append(
            InputError(
                doc.span(path + (("apiVersion",) if api is not None else ("kind",) if kind is not None else ())),
                _half_object(data, kind, api),
            )
        )
        return
    from cnverify import systems

    for system in systems.implementing("raw_shapes"):  # Envoy bootstraps, xDS resource files, …
        if system.split_raw(doc, data, path, out):
            return


def _half_object(data: dict[str, Any], kind: Any, api: Any) -> str:
    """Why a mapping with only part of an object's identity is not an object (kubectl rejects it too)."""
    close = [k for k in data if isinstance(k, str) and k != "apiVersion" and k.lower().startswith("apiver")]
    if not isinstance(kind, str) or not kind:
        return f"kind must be a non-empty string, not {kind!r}; not an object"
    hint = f" (found {close[0]!r}: a typo?)" if close else ""
    if api is None:
        return f"{kind} has no apiVersion{hint}; not an object"
    return f"{kind}: apiVersion must be a non-empty string, not {api!r}; not an object"
