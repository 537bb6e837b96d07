"""The source side of kustomize locations: kustomization fields, patches and path alignment."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from cnverify.errors import Span
from cnverify.source import MAX_FILE_BYTES, Document, Path, compose, decode

GENERATOR_KEYS = ("configMapGenerator", "secretGenerator")
# strategic-merge keys of the Kubernetes list fields kustomize merges (k8s.io/api patchMergeKey tags):
# containers, env, volumes, imagePullSecrets: name; ports: containerPort (Service: port); volumeMounts:
# mountPath (several mounts share a volume name); other lists of mappings: name when they have one
FIELD_MERGE_KEYS = {
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "hostAliases": ("ip",),
    "ports": ("containerPort", "port", "name"),
    "topologySpreadConstraints": ("topologyKey",),
}
MERGE_KEYS = ("name",)
_ABSENT = object()


def get(data: Any, path: Path) -> Any:
    """The value at ``path`` or None."""
    value = value_at(data, path)
    return None if value is _ABSENT else value


def value_at(data: Any, path: Path) -> Any:
    """The value at ``path``, or a sentinel that equals nothing when absent."""
    for step in path:
        if isinstance(step, int) and isinstance(data, list) and 0 <= step < len(data):
            data = data[step]
        elif isinstance(step, str) and isinstance(data, dict) and step in data:
            data = data[step]
        else:
            return _ABSENT
    return data


def align(path: Path, rendered: Any, source: Any, field: str | int = "") -> Path | None:
    """``path`` of the rendered value translated into ``source`` (list items matched by merge key);
    ``field`` is the key holding ``rendered`` when ``path`` starts at a list index."""
    out: list[str | int] = []
    for step in path:
        if isinstance(step, int):
            if not isinstance(rendered, list) or not isinstance(source, list) or step >= len(rendered):
                return None
            j = _match(rendered, step, source, FIELD_MERGE_KEYS.get(str(field), MERGE_KEYS))
            if j is None:
                return None
            rendered, source = rendered[step], source[j]
            out.append(j)
        else:
            if not isinstance(rendered, dict) or not isinstance(source, dict) or step not in source:
                return None
            rendered, source = rendered.get(step), source[step]
            out.append(step)
            field = step
    return tuple(out)


def _match(rendered: list[Any], index: int, items: list[Any], keys: tuple[str, ...]) -> int | None:
    """The index in the source list ``items`` of the source of ``rendered[index]``."""
    item = rendered[index]
    if isinstance(item, dict):
        present = [key for key in keys if key in item]
        for key in present:  # e.g. a Service port whose number a patch changed is still found by name
            found = [j for j, o in enumerate(items) if isinstance(o, dict) and o.get(key) == item[key]]
            if found:  # several (a port for TCP and UDP): the equal one, the one at the same place, the first
                return next((j for j in found if items[j] == item), index if index in found else found[0])
        for key in present:  # a name a prefix/suffix transformer changed (RoleBinding subjects)
            value = item[key]
            found = [
                j
                for j, o in enumerate(items)
                if isinstance(o, dict)
                and isinstance(o.get(key), str)
                and isinstance(value, str)
                and o[key]
                and o[key] in value
                and not any(isinstance(r, dict) and r.get(key) == o[key] for r in rendered)
            ]
            longest = max((len(items[j][key]) for j in found), default=0)
            found = [j for j in found if len(items[j][key]) == longest]  # "web-web" over "web" in "p-web-web"
            if index in found or len({items[j][key] for j in found}) == 1:
                return index if index in found else found[0]
            if found:
                return None  # names equally long that the rendered name all contains: no telling which
        if present:
            return None  # an item the source does not have
        if index < len(items) and items[index] == item:
            return index
        equal = next((j for j, o in enumerate(items) if o == item), None)  # shifted by an inserted item
        if equal is not None:
            return equal
        source = items[index] if index < len(items) else None
        return index if isinstance(source, dict) and _shares_leaf(item, source) else None  # changed by a patch
    if index < len(items) and items[index] == item:
        return index
    return next((j for j, o in enumerate(items) if o == item), index if index < len(items) else None)


def _shares_leaf(item: Any, source: Any) -> bool:
    """Whether some scalar of ``item`` sits at the same path with the same value in ``source``."""
    stack: list[tuple[Any, Any]] = [(item, source)]
    while stack:
        a, b = stack.pop()
        if isinstance(a, dict) and isinstance(b, dict):
            stack += [(v, b[k]) for k, v in a.items() if k in b]
        elif isinstance(a, list) and isinstance(b, list):
            stack += list(zip(a, b, strict=False))
        elif not isinstance(a, (dict, list)) and a == b:
            return True
    return False


def load_docs(file: str) -> list[Document]:
    """Every composable document of ``file`` (unreadable parts are skipped: kustomize read them)."""
    try:
        with open(file, "rb") as fh:
            text, _ = decode(fh.read(MAX_FILE_BYTES + 1), file)
    except OSError:
        return []
    return [d for d in compose(text or "", file) if isinstance(d, Document)]


def _shifted(doc: Document, lines: int) -> Document:
    spans = {p: Span(s.file, s.line + lines, s.column) for p, s in doc.spans.items()}
    return Document(doc.file, doc.index, doc.data, spans, doc.has_nulls)


@dataclass
class Patch:
    """One patch document (strategic merge mapping or JSON 6902 operation list) and its target."""

    doc: Document
    target: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)

    def sets(self, path: Path, value: Any, obj: dict[str, Any], names: set[str]) -> Span | None:
        """The span in this patch that gives ``path`` of ``obj`` its ``value``, or None; ``names`` are
        the names the object had up to this patch (its target may name any of them)."""
        data = self.doc.data
        container = isinstance(value, (dict, list))
        if isinstance(data, dict):
            kind, name = data.get("kind"), get(data, ("metadata", "name"))
            if (kind and kind != obj.get("kind")) or not self._names(obj, name, names):
                return None
            at = align(path, obj, data)
            if at is not None and (container or value_at(data, at) == value):
                return self.doc.spans.get(at)
            return None
        if not isinstance(data, list) or not self._names(obj, None, names):
            return None
        for i, op in enumerate(data):
            if (
                not isinstance(op, dict)
                or op.get("op") not in ("add", "replace")
                or not isinstance(op.get("path"), str)
            ):
                continue
            tokens = [t.replace("~1", "/").replace("~0", "~") for t in op["path"].split("/")[1:]]
            if not _pointer_match(tokens, path):
                continue
            rest = path[len(tokens) :]
            if value_at(op.get("value"), rest) == value:  # exact: an added item may have moved
                return self.doc.spans.get((i, "value", *rest)) or self.doc.span((i,))
        return None

    def _names(self, obj: dict[str, Any], name: Any, names: set[str]) -> bool:
        """Whether the patch may apply to ``obj``: the kind and name of its target (anchored regular
        expressions, as kustomize's selectors), else its own name, match the object's."""
        target = self.target
        if isinstance(target.get("kind"), str) and target["kind"] and not _matches(target["kind"], {obj.get("kind")}):
            return False
        if isinstance(target.get("name"), str) and target["name"]:
            return _matches(target["name"], names)
        return bool(target) or not isinstance(name, str) or name in names  # a target: the patch's own name aside

    def renames(self, kind: str, name: str) -> str | None:
        """The name this patch renamed a ``kind`` object to ``name`` from (a JSON 6902 ``/metadata/name``
        value, or a strategic merge one with ``allowNameChange``), or None."""
        old = self.target.get("name")
        if (
            not isinstance(old, str)
            or not old
            or re.escape(old) != old
            or (self.target.get("kind") and self.target["kind"] != kind)
        ):
            return None  # no target or a pattern: the old name is not known
        data = self.doc.data
        if isinstance(data, list):
            return (
                old
                if any(
                    isinstance(op, dict)
                    and op.get("op") in ("add", "replace")
                    and op.get("path") == "/metadata/name"
                    and op.get("value") == name
                    for op in data
                )
                else None
            )
        if isinstance(data, dict) and self.options.get("allowNameChange") and get(data, ("metadata", "name")) == name:
            return old
        return None


class Kustomization:
    """One kustomization file: its composed document and the sources it names."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.dir = os.path.dirname(doc.file)
        self.data: dict[str, Any] = doc.data

    @cached_property
    def patches(self) -> list[Patch]:
        """Every patch document this kustomization applies (files, inline, strategic merge, JSON 6902)."""
        out: list[Patch] = []
        for key, i, entry in self._patch_entries():
            raw_target, raw_options = entry.get("target"), entry.get("options")
            target = raw_target if isinstance(raw_target, dict) else {}
            if isinstance(entry.get("path"), str):
                docs = load_docs(os.path.normpath(os.path.join(self.dir, entry["path"])))
            elif isinstance(entry.get("patch"), str):
                docs = self._inline(entry["patch"], (key, i, "patch") if key != "patchesStrategicMerge" else (key, i))
            else:
                continue
            options = raw_options if isinstance(raw_options, dict) else {}
            out += [Patch(d, target, options) for d in docs]
        return out

    def _patch_entries(self) -> Iterator[tuple[str, int, dict[str, Any]]]:
        for key in ("patches", "patchesJson6902", "patchesStrategicMerge"):
            for i, entry in enumerate(self.data.get(key) or []):
                if isinstance(entry, str):  # patchesStrategicMerge: a path or an inline patch
                    entry = {"patch": entry} if "\n" in entry else {"path": entry}
                if isinstance(entry, dict):
                    yield key, i, entry

    def _inline(self, text: str, at: Path) -> list[Document]:
        """An inline patch's documents, located inside the kustomization (block scalars exactly)."""
        span = self.doc.span(at)
        docs = [d for d in compose(text, self.doc.file) if isinstance(d, Document)]
        try:
            with open(self.doc.file, encoding="utf-8", errors="replace") as fh:
                line = fh.read().splitlines()[span.line - 1]
        except (OSError, IndexError):
            line = ""
        block = line.rstrip().endswith(("|", "|-", "|+", ">", ">-", ">+"))
        if block:
            return [_shifted(d, span.line) for d in docs]
        return [Document(d.file, d.index, d.data, {p: span for p in d.spans}, d.has_nulls) for d in docs]

    @cached_property
    def _replacements(self) -> list[tuple[Document, Path, dict[str, Any]]]:
        """Each replacement (inline or from a ``path:`` file) with the document and path holding it."""
        out: list[tuple[Document, Path, dict[str, Any]]] = []
        for i, entry in enumerate(self.data.get("replacements") or []):
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                for doc in load_docs(os.path.normpath(os.path.join(self.dir, entry["path"]))):
                    items = list(enumerate(doc.data)) if isinstance(doc.data, list) else [(None, doc.data)]
                    out += [(doc, () if j is None else (j,), r) for j, r in items if isinstance(r, dict)]
            elif isinstance(entry, dict):
                out.append((self.doc, ("replacements", i), entry))
        return out

    def replaced(self, path: Path, obj: dict[str, Any], names: set[str]) -> Span | None:
        """The ``fieldPaths`` entry of a replacement that targets ``path`` of ``obj`` (which had
        ``names``), or None."""
        for doc, at, repl in self._replacements:
            for ti, target in enumerate(repl.get("targets") or []):
                if (
                    not isinstance(target, dict)
                    or not _selects(target.get("select"), obj, names)
                    or any(_selects(r, obj, names) for r in target.get("reject") or [])
                ):
                    continue
                for fi, field_path in enumerate(target.get("fieldPaths") or []):
                    if isinstance(field_path, str) and _leads_to(field_path, path, obj):
                        return doc.span(at + ("targets", ti, "fieldPaths", fi))
        return None

    def generator_entry(self, generator: str, name: str) -> Path | None:
        """The entry (``configMapGenerator[i]``) of the builtin ``generator`` (``ConfigMapGenerator``)
        named ``name`` (the generated object's name before prefixes, suffixes and hash), or None."""
        key = generator[:1].lower() + generator[1:]
        entries = self.data.get(key) if key in GENERATOR_KEYS else None
        for i, gen in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(gen, dict) and gen.get("name") == name:
                return (key, i)
        return None

    def renaming_replacements(self, kind: str) -> set[str]:
        """The names (literal ones) of the ``kind`` objects a replacement of this kustomization renames."""
        out: set[str] = set()
        for _, _, repl in self._replacements:
            for target in repl.get("targets") or []:
                select = target.get("select") if isinstance(target, dict) else None
                if (
                    isinstance(select, dict)
                    and "metadata.name" in (target.get("fieldPaths") or [])
                    and select.get("kind") in (None, "", kind)
                    and isinstance(select.get("name"), str)
                    and re.escape(select["name"]) == select["name"]
                ):
                    out.add(select["name"])
        return out

    def renamed_from(self, kind: str, name: str) -> str | None:
        """The name a patch of this kustomization renamed a ``kind`` object to ``name`` from, or None."""
        return next((old for p in self.patches if (old := p.renames(kind, name)) is not None), None)

    def generator_key(self, entry: Path, key: str) -> Span | None:
        """Where the generator ``entry`` takes data key ``key`` from: its literal, file or env line."""
        gen = get(self.data, entry)
        if not isinstance(gen, dict):
            return None
        for j, lit in enumerate(gen.get("literals") or []):
            if isinstance(lit, str) and lit.split("=", 1)[0].strip() == key:
                return self.doc.span(entry + ("literals", j))
        for j, ref in enumerate(gen.get("files") or []):
            if isinstance(ref, str) and (ref.split("=", 1)[0] if "=" in ref else os.path.basename(ref)) == key:
                return self.doc.span(entry + ("files", j))
        envs = [e for e in (gen.get("envs") or []) if isinstance(e, str)]
        envs += [gen["env"]] if isinstance(gen.get("env"), str) else []
        for env in envs:
            file = os.path.normpath(os.path.join(self.dir, env))
            try:
                with open(file, encoding="utf-8", errors="replace") as fh:
                    for n, line in enumerate(fh, 1):
                        if line.split("=", 1)[0].strip() == key:
                            return Span(file, n, 1)
            except OSError:
                continue
        return None

    def image_entry(self, value: str, old: Any) -> Path | None:
        """The ``images[i]`` key that rewrote an image reference (``old`` → ``value``)."""
        for i, img in enumerate(self.data.get("images") or []):
            if not isinstance(img, dict) or not isinstance(img.get("name"), str):
                continue
            new = img.get("newName") or img["name"]
            if _image_name(value) == new or (isinstance(old, str) and _image_name(old) == img["name"]):
                key = next((k for k in ("newTag", "digest", "newName") if k in img), None)
                return ("images", i, key) if key else ("images", i)
        return None

    def var_entry(self, text: str) -> Path | None:
        """The ``vars[i]`` entry whose ``$(NAME)`` appears in ``text`` (kustomize's legacy vars)."""
        for i, var in enumerate(self.data.get("vars") or []):
            if isinstance(var, dict) and isinstance(var.get("name"), str) and f"$({var['name']})" in text:
                return ("vars", i)
        return None

    def replicas_entry(self, value: Any, names: set[str]) -> Path | None:
        """The ``replicas[i]`` entry naming the object (by any of its ``names``) with that count."""
        for i, entry in enumerate(self.data.get("replicas") or []):
            if isinstance(entry, dict) and entry.get("count") == value and entry.get("name") in names:
                return ("replicas", i, "count")
        return None


def _pointer_match(tokens: list[str], path: Path) -> bool:
    """Whether a JSON pointer leads to (a prefix of) ``path``, allowing for list items that later
    inserts shifted right (``/items/0`` now at ``items[2]``) and ``-`` (appended)."""
    if len(tokens) > len(path):
        return False
    return all(
        token == str(step) or (isinstance(step, int) and (token == "-" or token.isdigit() and step > int(token)))
        for token, step in zip(tokens, path, strict=False)
    )


def _selects(selector: Any, obj: dict[str, Any], names: set[str]) -> bool:
    """A replacement target selector (kind, name: anchored patterns; the name any the object had)."""
    if not isinstance(selector, dict):
        return False
    kind, name = selector.get("kind"), selector.get("name")
    return (not isinstance(kind, str) or not kind or _matches(kind, {obj.get("kind")})) and (
        not isinstance(name, str) or not name or _matches(name, names)
    )


@lru_cache(maxsize=512)
def _pattern(text: str) -> re.Pattern[str] | None:
    try:
        return re.compile(f"(?:{text})")
    except re.error:
        return None


def _matches(pattern: str, values: set[Any]) -> bool:
    """Whether a kustomize selector field (a regular expression anchored at both ends) matches one of
    ``values``; a pattern Python cannot compile matches only itself."""
    compiled = _pattern(pattern)
    return any(isinstance(v, str) and (compiled.fullmatch(v) is not None if compiled else v == pattern) for v in values)


_SEGMENT = re.compile(r"\[[^\]]*\]|[^.\[\]]+")


def _leads_to(field_path: str, path: Path, obj: Any) -> bool:
    """Whether a kustomize field path (``a.[name=x].b``, ``[dotted.key]``, ``*``) leads to ``path``."""
    segments = _SEGMENT.findall(field_path)
    if len(segments) > len(path):
        return False
    node = obj
    for seg, step in zip(segments, path, strict=False):
        if seg.startswith("[") and "=" in seg:
            key, want = seg[1:-1].split("=", 1)
            if not isinstance(step, int) or str(get(node, (step, key))) != want:
                return False
        elif seg.startswith("["):
            if step != seg[1:-1]:
                return False
        elif seg != "*" and seg != str(step):
            return False
        node = value_at(node, (step,))
    return True


def _image_name(ref: str) -> str:
    """``registry/name:tag@digest`` → ``registry/name``."""
    ref = ref.split("@", 1)[0]
    head, _, tail = ref.rpartition("/")
    return (head + "/" if head else "") + tail.split(":", 1)[0]
