"""Map each field of a ``kustomize build`` object back to the file and line that gave it its value.

kustomize's build metadata (``buildMetadata: [originAnnotations, transformerAnnotations]``) says
which file an object came from (``config.kubernetes.io/origin``: ``path``, or ``configuredIn`` +
``configuredBy`` for generated objects) and which kustomizations transformed it, in order
(``alpha.config.kubernetes.io/transformations``; it names the kustomization, not the patch file).
A field keeps the origin document's span when the origin has the same path (list items aligned
by their merge key, e.g. a container's ``name``) and value; otherwise the last kustomization that
could have set it is searched, outermost first: its patches (strategic merge documents aligned the
same way; JSON 6902 ``add``/``replace`` values under their pointer) and its transformer fields
(``namespace``, ``namePrefix``/``nameSuffix``, ``commonLabels``/``labels``, ``commonAnnotations``,
``images``, ``replicas``, generators). A field nothing explains keeps its nearest located ancestor's
span and is counted as unmapped.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from cnverify.errors import Span
from cnverify.kustomize import Tree
from cnverify.kustomize_sources import Kustomization, align, get, load_docs, value_at
from cnverify.source import Document, Path, format_path

ORIGIN = "config.kubernetes.io/origin"
TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"
_HASHED = re.compile(r"-[a-z0-9]{10}$")
_LABEL_MAPS = ("labels", "matchLabels", "selector")
MISSING = object()  # no source value at this path


class Locator:
    """Locates rendered objects of one build; ``resolve`` turns a path kustomize printed into ours."""

    def __init__(self, tree: Tree, resolve: Callable[[str], str]) -> None:
        self.tree = tree
        self._printed = resolve
        self._resolved: dict[str, str] = {}
        self._real = {os.path.realpath(f): f for f in tree.files}  # kustomize may print symlink-resolved paths
        self.kustomizations = {f: Kustomization(d) for f, d in tree.kustomizations.items()}
        self._files: dict[str, list[Document]] = {}
        self.unmapped = 0
        self.unmapped_sample: list[str] = []  # the first few unmapped fields (diagnostics)

    def resolve(self, printed: str) -> str:
        """A path kustomize printed as the tree's own spelling of that file."""
        if printed not in self._resolved:
            path = self._printed(printed)
            self._resolved[printed] = self._real.get(os.path.realpath(path), path)
        return self._resolved[printed]

    def locate(self, rendered: Document) -> Document:
        """A document with ``rendered``'s data (build annotations stripped) and source spans."""
        data = rendered.data
        origin, chain = _pop_metadata(data)
        applicable = [self.kustomizations[f] for f in dict.fromkeys(self.resolve(p) for p in chain)
                      if f in self.kustomizations]
        applicable.reverse()  # the last transformation wins: search outermost first
        found = Found(data)
        self._origin(origin, found)
        source = found.source
        spans: dict[Path, Span] = {}
        stack: list[tuple[Path, Any, Path | None, Any]] = [
            ((), data, found.prefix if source else None, value_at(source.data, found.prefix) if source else None)]
        while stack:
            path, value, opath, old = stack.pop()
            leaf = not isinstance(value, (dict, list))
            span = None
            if opath is not None and (not leaf or old == value):
                span = source.spans.get(opath)  # type: ignore[union-attr]
            if span is None and path:
                span = self._setter(path, value, old if opath is not None else MISSING, found, applicable)
            if span is None:
                span = spans[path[:-1]] if path else found.base
                if leaf and found.generator is None:
                    self.unmapped += 1
                    if len(self.unmapped_sample) < 50:
                        self.unmapped_sample.append(f"{data.get('kind')}/{get(data, ('metadata', 'name'))} "
                                                    f"{format_path(path)}={value!r}")
            spans[path] = span
            if isinstance(value, (dict, list)):
                items = value.items() if isinstance(value, dict) else enumerate(value)
                for key, child in items:
                    step = align((key,), value, old, path[-1] if path else "") if opath is not None else None
                    child_o = opath + step if step is not None and opath is not None else None
                    stack.append((path + (key,), child, child_o,
                                  value_at(old, step) if step is not None else None))
        return Document(found.base.file, source.index if source else 0, data, spans, rendered.has_nulls)

    def _origin(self, origin: dict[str, Any], found: Found) -> None:
        """Fill ``found``: the origin document and path (or generator entry) and the fallback span."""
        name = str(get(found.data, ("metadata", "name")) or "")
        if isinstance(origin.get("path"), str):
            file = self.resolve(origin["path"])
            if not self._search(found, [file], name):
                found.base = Span(file, 1, 1)
            return
        kust = self.kustomizations.get(self.resolve(str(origin.get("configuredIn", ""))))
        if kust is None:
            kust = next(iter(self.kustomizations.values()))
        by = origin.get("configuredBy")
        entry = kust.generator_for(name)
        found.base = kust.doc.span(entry or ())
        if isinstance(by, dict) and str(by.get("kind", "")).endswith("Generator") and entry:
            found.generator = (kust, entry)
        elif not (isinstance(by, dict) and str(by.get("kind", "")).endswith("Generator")):
            # a patch that replaced metadata.annotations also replaced the origin annotation (kustomize
            # then names the patch): look for the object in every resource file of the build
            self._search(found, sorted(f for f in self.tree.files if f not in self.kustomizations
                                       and f.endswith((".yaml", ".yml", ".json"))), name)

    def _search(self, found: Found, files: list[str], name: str) -> bool:
        """Set ``found.source`` to the document of ``files`` whose kind matches and whose name the
        rendered name contains (the longest such name); whether one was found."""
        best: tuple[int, bool] = (-1, False)
        namespace = get(found.data, ("metadata", "namespace"))
        same_kind: list[tuple[Document, Path]] = []
        for file in files:
            if file not in self._files:
                self._files[file] = load_docs(file)
            for doc in self._files[file]:
                for path, obj in _objects(doc.data):
                    if obj.get("kind") != found.data.get("kind"):
                        continue
                    same_kind.append((doc, path))
                    oname = str(get(obj, ("metadata", "name")) or "")
                    score = (len(oname), get(obj, ("metadata", "namespace")) == namespace)  # same namespace wins
                    if oname and oname in name and score > best:
                        best, found.source, found.prefix, found.base = score, doc, path, doc.spans[path]
        if best[0] < 0 and len(files) == 1 and len(same_kind) == 1:  # a patch renamed it: the file's only one
            (doc, path), best = same_kind[0], (0, False)
            found.source, found.prefix, found.base = doc, path, doc.spans[path]
        return best[0] >= 0

    def _setter(self, path: Path, value: Any, old: Any, found: Found, applicable: list[Kustomization]) -> Span | None:
        """The span of whatever set ``path`` to ``value``: a patch, a transformer field, a generator."""
        for kust in applicable:
            span = kust.replaced(path, found.data)
            if span is not None:
                return span
            for patch in kust.patches:
                span = patch.sets(path, value, found.data)
                if span is not None:
                    return span
            at = _transformer_field(kust, path, value, old, found.data)
            if at is not None:
                return kust.doc.span(at)
        if isinstance(value, str) and _HASHED.search(value):  # a reference to a generated object
            for kust in self.kustomizations.values():
                entry = kust.generator_for(value)
                if entry is not None:
                    return kust.doc.span(entry + ("name",))
        if isinstance(old, str) and "$(" in old:  # a var ($(NAME)) substituted: the var's entry
            for kust in self.kustomizations.values():
                entry = kust.var_entry(old)
                if entry is not None:
                    return kust.doc.span(entry)
        if found.generator is not None and len(path) == 2 and path[0] in ("data", "binaryData"):
            kust, entry = found.generator
            return kust.generator_key(entry, str(path[1]))
        return None


@dataclass
class Found:
    """What a rendered object came from: a source document (and its path there) or a generator."""

    data: dict[str, Any]
    source: Document | None = None
    prefix: Path = ()
    base: Span = Span("", 1, 1)
    generator: tuple[Kustomization, Path] | None = None


def _transformer_field(kust: Kustomization, path: Path, value: Any, old: Any, data: dict[str, Any]) -> Path | None:
    """The kustomization field (``namespace``, ``commonLabels.k``, ...) that set ``path`` to ``value``."""
    k = kust.doc.data
    last = path[-1]
    if last == "namespace" and value == k.get("namespace"):
        return ("namespace",)
    if len(path) >= 2 and path[-2] in _LABEL_MAPS:
        if isinstance(k.get("commonLabels"), dict) and k["commonLabels"].get(last) == value:
            return ("commonLabels", last)
        for i, entry in enumerate(k.get("labels") or []):
            if isinstance(entry, dict) and isinstance(entry.get("pairs"), dict) and entry["pairs"].get(last) == value:
                return ("labels", i, "pairs", last)
    if len(path) >= 2 and path[-2] == "annotations" and isinstance(k.get("commonAnnotations"), dict) \
            and k["commonAnnotations"].get(last) == value:
        return ("commonAnnotations", last)
    if last == "image" and isinstance(value, str):
        return kust.image_entry(value, old)
    if path == ("spec", "replicas"):
        return kust.replicas_entry(value, str(get(data, ("metadata", "name")) or ""))
    if isinstance(value, str) and (last == "name" or isinstance(old, str)):
        if _HASHED.search(value):
            entry = kust.generator_for(value)
            if entry is not None:
                return entry + ("name",)
        for key, test in (("namePrefix", value.startswith), ("nameSuffix", value.endswith)):
            affix = k.get(key)
            if isinstance(affix, str) and affix and test(affix):
                return (key,)
    return None


def _pop_metadata(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Remove the two build annotations; return the origin and the transforming kustomizations."""
    meta = data.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    if not isinstance(ann, dict):
        return {}, []
    origin = _yaml(ann.pop(ORIGIN, None))
    chain = _yaml(ann.pop(TRANSFORMATIONS, None))
    if not ann:
        del meta["annotations"]  # type: ignore[index]
    steps = chain if isinstance(chain, list) else []
    return (origin if isinstance(origin, dict) else {},
            [s["configuredIn"] for s in steps if isinstance(s, dict) and isinstance(s.get("configuredIn"), str)])


def _yaml(text: Any) -> Any:
    return _parsed(text) if isinstance(text, str) else None


@lru_cache(maxsize=256)
def _parsed(text: str) -> Any:
    """A build annotation's YAML (many objects share the same text; the result is only read)."""
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def _objects(data: Any) -> list[tuple[Path, dict[str, Any]]]:
    """The objects of a source document: itself, or the items of a ``kind: *List``."""
    if not isinstance(data, dict):
        return []
    if str(data.get("kind", "")).endswith("List") and isinstance(data.get("items"), list):
        return [(("items", i), it) for i, it in enumerate(data["items"]) if isinstance(it, dict)]
    return [((), data)]


def display_path(path: str, root: str) -> str:
    """``path`` (absolute) in the style of ``root``: relative to the working directory when root is."""
    return path if os.path.isabs(root) else os.path.relpath(path)
