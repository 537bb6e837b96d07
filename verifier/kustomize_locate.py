"""Map each field of a ``kustomize build`` object back to the file and line that gave it its value.

kustomize's build metadata (``buildMetadata: [originAnnotations, transformerAnnotations]``) says
which file an object came from (``config.kubernetes.io/origin``: ``path``, or ``configuredIn`` +
``configuredBy`` for generated objects) and which kustomizations transformed it, in order
(``alpha.config.kubernetes.io/transformations``; it names the kustomization, not the patch file).
The origin document is the one of that file with the object's kind and its name before the build:
the rendered name with the ``namePrefix``/``nameSuffix`` of every transformation undone, outermost
first, and JSON 6902 / ``allowNameChange`` renames traced back to their target (kustomize keeps its
own record, ``internal.config.kubernetes.io/previousNames``, only during the build:
``RemoveBuildAnnotations`` drops it whatever ``buildMetadata`` says). Several candidates are told
apart by namespace, then by field-value agreement; a tie leaves the object at its file's first line.
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
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml
from cnverify.errors import Span
from cnverify.kustomize import Tree
from cnverify.kustomize_sources import Kustomization, align, get, load_docs, value_at
from cnverify.source import Document, Path, format_path

ORIGIN = "config.kubernetes.io/origin"
TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"
_HASHED = re.compile(r"-[245-9bcdfghkmt]{10}$")  # kustomize's name hash: api/hasher encode()
_LABEL_MAPS = ("labels", "matchLabels", "selector")
_AFFIX_SKIPPED = ("CustomResourceDefinition", "APIService", "Namespace")  # kustomize's Prefix/SuffixTransformer
_PATCHERS = ("PatchTransformer", "PatchJson6902Transformer", "PatchStrategicMergeTransformer")
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
        self.generated: dict[str, tuple[Kustomization, Path]] = {}  # rendered name → generator entry
        self.unmapped = 0
        self.unmapped_sample: list[str] = []  # the first few unmapped fields (diagnostics)

    def resolve(self, printed: str) -> str:
        """A path kustomize printed as the tree's own spelling of that file."""
        if printed not in self._resolved:
            path = self._printed(printed)
            self._resolved[printed] = self._real.get(os.path.realpath(path), path)
        return self._resolved[printed]

    def prepare(self, rendered: list[Document]) -> None:
        """Note the rendered name of every generated object of the build (references to it are
        located at its generator entry, whichever object holds them)."""
        for doc in rendered:
            if not isinstance(doc.data, dict):
                continue
            origin, steps = _metadata(doc.data)
            entry = self._generator(origin, self.names(doc.data, origin, steps)) or self._generator(
                origin, self.names(doc.data, origin, steps, hashed=False)
            )
            name = get(doc.data, ("metadata", "name"))
            if entry is not None and isinstance(name, str):
                self.generated.setdefault(name, entry)

    def names(
        self, data: dict[str, Any], origin: dict[str, Any], steps: list[tuple[str, str]], hashed: bool = True
    ) -> Names:
        """The names the object had during the build, recovered by undoing ``steps`` outermost first
        (and, for a generated object, the name hash unless ``hashed`` is false)."""
        kind = str(data.get("kind", ""))
        cur = str(get(data, ("metadata", "name")) or "")
        by = origin.get("configuredBy")
        generated = isinstance(by, dict) and str(by.get("kind", "")).endswith("Generator")
        if generated and hashed and _HASHED.search(cur):
            cur = cur[:-11]  # the hash suffix comes last, after every prefix and suffix
        out = Names(cur, [cur])
        resolved = [(self.resolve(f), t) for f, t in steps]
        for kfile, transformer in reversed(resolved):
            kust = self.kustomizations.get(kfile)
            if kust is not None:
                if transformer in ("PrefixTransformer", "SuffixTransformer") and kind not in _AFFIX_SKIPPED:
                    prefix = transformer == "PrefixTransformer"
                    affix = kust.data.get("namePrefix" if prefix else "nameSuffix")
                    if (
                        isinstance(affix, str)
                        and affix
                        and len(cur) > len(affix)
                        and (cur.startswith(affix) if prefix else cur.endswith(affix))
                    ):
                        cur = cur[len(affix) :] if prefix else cur[: -len(affix)]
                elif transformer in _PATCHERS:
                    cur = kust.renamed_from(kind, cur) or cur
                elif transformer == "ReplacementTransformer":  # its new name is another object's value
                    out.renamed |= kust.renaming_replacements(kind)
            out.before[kfile] = cur  # ends as the name when the kustomization's first transformer ran
            out.history.append(cur)
        out.history.reverse()
        out.original = cur
        out.kustomizations = list(dict.fromkeys(f for f, _ in resolved))
        return out

    def locate(self, rendered: Document) -> Document:
        """A document with ``rendered``'s data (build annotations stripped) and source spans."""
        data = rendered.data
        origin, steps = _metadata(data)
        _strip_metadata(data)
        names = self.names(data, origin, steps)
        applicable = [self.kustomizations[f] for f in names.kustomizations if f in self.kustomizations]
        applicable.reverse()  # the last transformation wins: search outermost first
        found = Found(data, names)
        self._origin(origin, steps, found)
        source = found.source
        spans: dict[Path, Span] = {}
        stack: list[tuple[Path, Any, Path | None, Any]] = [
            ((), data, found.prefix if source else None, value_at(source.data, found.prefix) if source else None)
        ]
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
                        self.unmapped_sample.append(
                            f"{data.get('kind')}/{get(data, ('metadata', 'name'))} {format_path(path)}={value!r}"
                        )
            spans[path] = span
            if isinstance(value, (dict, list)):
                items = value.items() if isinstance(value, dict) else enumerate(value)
                for key, child in items:
                    step = align((key,), value, old, path[-1] if path else "") if opath is not None else None
                    child_o = opath + step if step is not None and opath is not None else None
                    stack.append((path + (key,), child, child_o, value_at(old, step) if step is not None else None))
        return Document(found.base.file, source.index if source else 0, data, spans, rendered.has_nulls)

    def _generator(self, origin: dict[str, Any], names: Names) -> tuple[Kustomization, Path] | None:
        """The generator entry that made an object kustomize says a generator made, or None."""
        by = origin.get("configuredBy")
        kust = self.kustomizations.get(self.resolve(str(origin.get("configuredIn", ""))))
        if kust is None or not isinstance(by, dict) or not str(by.get("kind", "")).endswith("Generator"):
            return None
        entry = kust.generator_entry(str(by["kind"]), names.original)
        return (kust, entry) if entry is not None else None

    def _origin(self, origin: dict[str, Any], steps: list[tuple[str, str]], found: Found) -> None:
        """Fill ``found``: the origin document and path (or generator entry) and the fallback span."""
        if isinstance(origin.get("path"), str):
            file = self.resolve(origin["path"])
            if not self._search(found, [file]):
                found.base = Span(file, 1, 1)
            return
        kust = self.kustomizations.get(self.resolve(str(origin.get("configuredIn", ""))))
        if kust is None:
            kust = next(iter(self.kustomizations.values()))
        by = origin.get("configuredBy")
        found.generator = self._generator(origin, found.names)
        unhashed = self.names(found.data, origin, steps, hashed=False)
        if found.generator is None and unhashed != found.names:  # disableNameSuffixHash, a name like a hash
            found.generator = self._generator(origin, unhashed)
            found.names = unhashed if found.generator else found.names
        found.base = kust.doc.span(found.generator[1] if found.generator else ())
        if not (isinstance(by, dict) and str(by.get("kind", "")).endswith("Generator")):
            # a patch that replaced metadata.annotations also replaced the origin annotation (kustomize
            # then names the patch): look for the object in every resource file of the build
            self._search(
                found,
                sorted(
                    f
                    for f in self.tree.files
                    if f not in self.kustomizations and f.endswith((".yaml", ".yml", ".json"))
                ),
            )

    def _search(self, found: Found, files: list[str]) -> bool:
        """Set ``found.source`` to the object of ``files`` the rendered object was built from: its kind
        and original name (several: the same namespace, then the most equal field values); in one
        file, failing that, the only object of that kind or the one whose field values agree most.
        Whether one was found: a tie is no answer (the object then stays at its file)."""
        kind, namespace = found.data.get("kind"), get(found.data, ("metadata", "namespace"))
        same_kind: list[tuple[Document, Path, dict[str, Any]]] = []
        for file in files:
            if file not in self._files:
                self._files[file] = load_docs(file)
            same_kind += [
                (doc, path, obj)
                for doc in self._files[file]
                for path, obj in _objects(doc.data)
                if obj.get("kind") == kind
            ]
        named = [c for c in same_kind if get(c[2], ("metadata", "name")) == found.names.original]
        if named:
            found.names.renamed = set()  # not renamed by a replacement
        else:
            named = [c for c in same_kind if get(c[2], ("metadata", "name")) in found.names.renamed]
        if len(named) > 1:
            named = [c for c in named if get(c[2], ("metadata", "namespace")) == namespace] or named
        if not named and len(files) == 1:  # renamed by something not undone (a replacement, a plugin)
            named = same_kind
        best = _agreeing(found.data, named) if len(named) > 1 else named
        if len(best) != 1:
            return False
        doc, path, _ = best[0]
        found.source, found.prefix, found.base = doc, path, doc.spans[path]
        return True

    def _setter(self, path: Path, value: Any, old: Any, found: Found, applicable: list[Kustomization]) -> Span | None:
        """The span of whatever set ``path`` to ``value``: a patch, a transformer field, a generator."""
        generated = (
            self.generated.get(value)
            if isinstance(value, str) and (path[-1] == "name" or isinstance(old, str))
            else None
        )  # a generated object's name or a reference
        every = set(found.names.history) | found.names.renamed
        for kust in applicable:
            upto = found.names.upto(kust.doc.file)
            span = kust.replaced(path, found.data, every)
            if span is not None:
                return span
            for patch in kust.patches:
                span = patch.sets(path, value, found.data, upto)
                if span is not None:
                    return span
            if generated is not None:  # before namePrefix/nameSuffix: the hash makes it the generator's
                return generated[0].doc.span(generated[1] + ("name",))
            at = _transformer_field(kust, path, value, old, found.data, every)
            if at is not None:
                return kust.doc.span(at)
        if generated is not None:
            return generated[0].doc.span(generated[1] + ("name",))
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
class Names:
    """The names a rendered object had during the build (kustomize matches patch targets, replicas and
    replacements against the original name or the name at the time)."""

    original: str
    history: list[str] = field(default_factory=list)  # original first, rendered last
    before: dict[str, str] = field(default_factory=dict)  # kustomization file → name when it began
    kustomizations: list[str] = field(default_factory=list)  # the transforming kustomizations, in order
    renamed: set[str] = field(default_factory=set)  # names a replacement may have renamed it from

    def upto(self, kfile: str) -> set[str]:
        """The names a selector of kustomization ``kfile`` may use: every name up to its turn."""
        name = self.before.get(kfile)
        if name is None or name not in self.history:
            return set(self.history)
        return set(self.history[: self.history.index(name) + 1])


@dataclass
class Found:
    """What a rendered object came from: a source document (and its path there) or a generator."""

    data: dict[str, Any]
    names: Names
    source: Document | None = None
    prefix: Path = ()
    base: Span = Span("", 1, 1)
    generator: tuple[Kustomization, Path] | None = None


def _transformer_field(
    kust: Kustomization, path: Path, value: Any, old: Any, data: dict[str, Any], names: set[str]
) -> Path | None:
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
    if (
        len(path) >= 2
        and path[-2] == "annotations"
        and isinstance(k.get("commonAnnotations"), dict)
        and k["commonAnnotations"].get(last) == value
    ):
        return ("commonAnnotations", last)
    if last == "image" and isinstance(value, str):
        return kust.image_entry(value, old)
    if path == ("spec", "replicas"):
        return kust.replicas_entry(value, names)
    if isinstance(value, str) and (last == "name" or isinstance(old, str)):
        for key, test in (("namePrefix", value.startswith), ("nameSuffix", value.endswith)):
            affix = k.get(key)
            if isinstance(affix, str) and affix and test(affix) and (not isinstance(old, str) or old in value):
                return (key,)  # the affix kept the source name (a name a patch changed is not its doing)
    return None


def _metadata(data: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The origin and the transformations (kustomization as printed, transformer kind), in order."""
    ann = get(data, ("metadata", "annotations"))
    if not isinstance(ann, dict):
        return {}, []
    origin, chain = _yaml(ann.get(ORIGIN)), _yaml(ann.get(TRANSFORMATIONS))
    steps = [
        (s["configuredIn"], str(get(s, ("configuredBy", "kind")) or ""))
        for s in (chain if isinstance(chain, list) else [])
        if isinstance(s, dict) and isinstance(s.get("configuredIn"), str)
    ]
    return (origin if isinstance(origin, dict) else {}), steps


def _strip_metadata(data: dict[str, Any]) -> None:
    """Remove the two build annotations (and ``annotations`` when nothing else is left)."""
    meta = data.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(meta, dict) and isinstance(ann, dict):
        ann.pop(ORIGIN, None)
        ann.pop(TRANSFORMATIONS, None)
        if not ann:
            del meta["annotations"]


def _agreeing(data: dict[str, Any], candidates: list[Any]) -> list[Any]:
    """The candidates (``(doc, path, object)``) sharing the most scalar values with ``data`` at the
    same paths (names aside); all of the best when they tie."""
    scores = [_shared(data, c[2]) for c in candidates]
    top = max(scores, default=0)
    return [c for c, n in zip(candidates, scores, strict=True) if n == top] if top > 0 else candidates


def _shared(a: Any, b: Any) -> int:
    """How many scalars of ``a`` sit at the same path with the same value in ``b`` (not metadata.name)."""
    count, stack = 0, [(a, b, 0)]
    while stack:
        x, y, depth = stack.pop()
        if isinstance(x, dict) and isinstance(y, dict):
            stack += [(v, y[k], depth + 1) for k, v in x.items() if k in y and not (depth == 1 and k == "name")]
        elif isinstance(x, list) and isinstance(y, list):
            stack += [(v, w, depth + 1) for v, w in zip(x, y, strict=False)]
        elif not isinstance(x, (dict, list)) and x == y:
            count += 1
    return count


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
