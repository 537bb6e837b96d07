"""The Snapshot: every typed resource of one run, indexed for the properties."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any, Literal, TypeVar

from cnverify import systems
from cnverify.errors import InputError, Span
from cnverify.loader import LoadResult, RawObject
from cnverify.model import KIND_MODELS, Resource, group_of
from cnverify.model.base import UNIT_NAMESPACE
from cnverify.opaque import Opaque, modelled_creators, opaque_of
from cnverify.proof import Notice
from cnverify.source import Path, format_path, paused_gc
from pydantic import ValidationError

T = TypeVar("T", bound=Resource)
MAX_ERRORS_PER_OBJECT = 5


class Snapshot:
    """Typed resources by model class, namespace and name; records which kinds were read."""

    def __init__(
        self,
        resources: Iterable[Resource],
        unknown_kinds: Counter[str] | None = None,
        opaque: Iterable[Opaque] = (),
        unread: Iterable[Span] = (),
    ) -> None:
        self.resources: list[Resource] = list(resources)
        self.unknown_kinds: Counter[str] = unknown_kinds or Counter()
        self.opaque: list[Opaque] = list(opaque)
        self.unread: list[Span] = list(unread)  # documents of this unit that could not be read (input errors)
        self.unread_context: list[Span] = []  # --context documents that could not be read (as much a gap)
        self.notices: list[Notice] = []
        self.context_ids: set[int] = set()  # resources from --context: visible, never subjects
        self.assumed: dict[Span, Any] = {}  # placeholder objects of ``assume:`` by span (cnverify.context)
        for system in systems.implementing("links"):
            system.link(self.resources)  # e.g. a Rollout's workloadRef, before its pods are asked for
        self._creators: dict[str, list[Opaque]] = defaultdict(list)
        for o in (*self.opaque, *modelled_creators(self.resources)):
            if o.creates_pods:
                self._creators[o.namespace].append(o)
        self._by_cls: dict[type[Resource], list[Resource]] = defaultdict(list)
        self._by_ns: dict[tuple[type[Resource], str], list[Resource]] = defaultdict(list)
        for r in self.resources:
            ns = r.namespace
            for cls in _INDEXED.get(type(r)) or _indexed_as(type(r)):
                self._by_cls[cls].append(r)
                self._by_ns[(cls, ns)].append(r)
        self._by_name: dict[tuple[type[Resource], str, str], Resource] = {}
        for r in self.resources:
            self._by_name.setdefault((type(r), r.namespace, r.name), r)
        self.kinds_read: set[str] = set()
        self.reads_into: Snapshot | None = None  # a view records the kinds read on this snapshot instead
        self.settings: dict[str, Any] = {}  # run options properties read (e.g. "mesh_config": a file path)
        self.run_context: Any = None  # the cnverify.run_context.RunContext built for this snapshot, if any

    @property
    def closed_world_gap(self) -> str | None:
        """Why the inputs may not hold every object of the unit (documents that could not be read), or None.

        Every verdict that rests on something being absent ("selects nothing", "does not exist", a quota
        or budget summed over all pods) becomes ``unknown`` when this is set: properties declare such
        verdicts in ``Property.closed_world`` and the engine applies the rule (``engine.closed_world``).
        """
        n, m = len(self.unread), len(self.unread_context)
        if not n and not m:
            return None
        unit = f"{n} document{'s' * (n != 1)} of this unit" if n else ""
        ctx = f"{m} context document{'s' * (m != 1)} (--context)" if m else ""
        first = (self.unread or self.unread_context)[0]
        return f"{unit}{' and ' if n and m else ''}{ctx} could not be read (first at {first})"

    @property
    def first_unread(self) -> Span | None:
        """Where the first document that could not be read is (the unit's before the context's)."""
        spans = self.unread or self.unread_context
        return spans[0] if spans else None

    def pod_creators(self, namespace: str) -> list[Opaque]:
        """Unmodelled objects in ``namespace`` that may create pods (see :mod:`cnverify.opaque`)."""
        return self._creators.get(namespace, [])

    def all(self, cls: type[T]) -> list[T]:
        """Every resource of model ``cls`` (or a subclass), in input order."""
        (self.reads_into or self).kinds_read.add(cls.__name__)
        return self._by_cls.get(cls, [])  # type: ignore[return-value]

    def get(self, cls: type[T], namespace: str, name: str) -> T | None:
        """The resource of exactly model ``cls`` with that namespace and name (first one loaded)."""
        (self.reads_into or self).kinds_read.add(cls.__name__)
        return self._by_name.get((cls, namespace, name))  # type: ignore[return-value]

    def in_namespace(self, cls: type[T], namespace: str) -> list[T]:
        """Every resource of model ``cls`` (or a subclass) in ``namespace``, in input order (indexed)."""
        (self.reads_into or self).kinds_read.add(cls.__name__)
        return list(self._by_ns.get((cls, namespace), []))  # type: ignore[arg-type]

    def kinds(self) -> Counter[str]:
        return Counter(type(r).KIND for r in self.resources)


_INDEXED: dict[type[Resource], tuple[type[Resource], ...]] = {}


def _indexed_as(cls: type[Resource]) -> tuple[type[Resource], ...]:
    """The classes a resource of model ``cls`` is indexed under: ``cls`` and its ``Resource`` bases, in MRO
    order (computed once per class)."""
    bases = _INDEXED[cls] = tuple(c for c in cls.__mro__ if isinstance(c, type) and issubclass(c, Resource))
    return bases


def build(
    loaded: LoadResult,
    namespace: str | None = None,
    context: list[RawObject] | None = None,
    enforce: Literal["", "override", "require"] = "",
    context_unread: Iterable[Span] = (),
) -> tuple[Snapshot, list[InputError]]:
    """Validate raw objects into the typed model; a wrong shape becomes located errors.

    Objects without a namespace are placed in ``namespace`` (the unit's), else in the unnamed unit
    namespace. ``enforce="override"`` sets it on every namespaced object (kustomize's ``namespace:``);
    ``"require"`` rejects an object naming another one, as ``kubectl apply -n`` does (cli-runtime
    ``RequireNamespace``: "the namespace from the provided object ... does not match"). An identity defined twice (group, kind, namespace, name) keeps the later definition,
    as ``kubectl apply`` of the unit would, and becomes one notice located at both. ``context`` objects
    (``--context``: in the cluster, not under review) come first, are visible to every property and are
    listed in ``Snapshot.context_ids``; the engine never reports on them. A context document that could
    not be read (``context_unread``, or a context object of the wrong shape) may hold what an absence-based
    verdict rests on: it is a closed-world gap as a unit document is (``Snapshot.unread_context``).
    """
    resources: list[Resource] = []
    errors: list[InputError] = []
    unknown: Counter[str] = Counter()
    opaque: list[Opaque] = []
    unit_ns = namespace or UNIT_NAMESPACE
    context = context or []
    context_ids: set[int] = set()
    context_errors: list[InputError] = []  # context objects of the wrong shape: reported, and a gap
    with paused_gc():
        for n, raw in enumerate(context + loaded.objects):
            cls = KIND_MODELS.get((group_of(raw.api_version), raw.kind))
            if cls is None:
                unknown[f"{raw.kind} ({raw.api_version})"] += 1
                o = opaque_of(raw)
                opaque.append(o if _namespace_of(raw) else dataclasses.replace(o, namespace=unit_ns))
                continue
            obj = _validate(cls, raw, errors if n >= len(context) else context_errors)
            if obj is not None and namespace and obj.NAMESPACED and n >= len(context) and enforce:
                obj = _enforce(obj, namespace, enforce, errors)
            if obj is not None:
                obj.place(unit_ns)
                resources.append(obj)
                if n < len(context):
                    context_ids.add(id(obj))
        resources, notices = _last_wins(resources, context_ids)
        snap = Snapshot(resources, unknown, opaque, unread=[e.location for e in loaded.errors + errors])
        snap.notices = notices
        snap.unread_context = [*context_unread, *(e.location for e in context_errors)]
        snap.context_ids = context_ids
        return snap, context_errors + errors


def _enforce(obj: Resource, namespace: str, how: str, errors: list[InputError]) -> Resource | None:
    """Apply the unit's namespace to an object that names one (see :func:`build`)."""
    own = obj.metadata.namespace
    if not own or own == namespace:
        return obj
    if how == "override":
        obj.metadata.namespace = namespace
        return obj
    errors.append(
        InputError(
            obj.metadata.at("namespace"),
            f"{obj.KIND} {own}/{obj.name}: the namespace from the "
            f"provided object {own!r} does not match --namespace {namespace!r}; kubectl apply -n "
            f"{namespace} rejects it (not verified)",
        )
    )
    return None


def _namespace_of(raw: RawObject) -> str | None:
    meta = raw.data.get("metadata") if isinstance(raw.data, dict) else None
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    return ns if isinstance(ns, str) and ns else None


def _last_wins(resources: list[Resource], context_ids: set[int]) -> tuple[list[Resource], list[Notice]]:
    """Resolve identities defined more than once: the later definition replaces the earlier one.

    A unit object replacing a context one is an update of what the cluster holds, not a duplicate."""
    last: dict[tuple[str, str, str, str], int] = {}
    notices: list[Notice] = []
    keep = [True] * len(resources)
    for i, r in enumerate(resources):
        if not r.metadata.name or not r.APPLY_IDENTITY:  # generateName / Envoy configs, compose parts: no identity
            continue
        key = (r.GROUP, r.KIND, r.namespace, r.name)
        if key in last:
            first = resources[last[key]]
            keep[last[key]] = False
            where = r.metadata.at("name")
            if id(first) not in context_ids:
                notices.append(
                    Notice(
                        "duplicate-object",
                        f"{r.ref} is defined twice, at {first.metadata.at('name')} "
                        f"and {where}: kubectl apply keeps the later definition ({where}), the only one "
                        "verified",
                        where,
                        (first.metadata.at("name"),),
                    )
                )
        last[key] = i
    return [r for r, k in zip(resources, keep, strict=True) if k], notices


def without_nulls(value: Any) -> Any:
    """``value`` with every ``key: null`` removed: in the Kubernetes API (and proto JSON) null means unset."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def _validate(cls: type[Resource], raw: RawObject, errors: list[InputError]) -> Resource | None:
    data: Any = raw.data
    try:
        obj = cls.model_validate(without_nulls(data) if raw.doc.has_nulls else data)
    except ValidationError as exc:
        for path, msgs in _grouped(exc, data)[:MAX_ERRORS_PER_OBJECT]:
            errors.append(
                InputError(
                    raw.doc.span(raw.path + path), f"{raw.kind} {_name(data)}: {format_path(path)}: {' or '.join(msgs)}"
                )
            )
        return None
    if not obj.api_version:
        obj.api_version = raw.api_version
    if not obj.kind:
        obj.kind = raw.kind
    obj.bind(raw.doc, raw.path)
    return obj


def _grouped(exc: ValidationError, data: Any) -> list[tuple[Path, list[str]]]:
    """Errors by manifest field: the part of each pydantic ``loc`` that exists in ``data`` (union
    members such as ``int``/``str`` are not fields), messages of one field joined."""
    out: dict[Path, list[str]] = {}
    for e in exc.errors():
        path: list[str | int] = []
        node = data
        for part in e["loc"]:
            present = (
                isinstance(node, dict)
                and part in node
                or isinstance(node, list)
                and isinstance(part, int)
                and 0 <= part < len(node)
            )
            if present:
                path.append(part)
                node = node[part]
            elif not (isinstance(part, str) and (part in ("int", "str", "float", "bool") or "[" in part)):
                path.append(part)  # a missing required field: name it (its span falls back to the parent)
                break
        msg = str(e.get("msg", "invalid value")).removeprefix("Value error, ")
        if e.get("type") == "string_type" and isinstance(e.get("input"), bool):
            msg += (
                f", not the boolean {str(e['input']).lower()} "
                "(kubectl reads a plain y, n, yes, no, on, off as one: quote it)"
            )
        msgs = out.setdefault(tuple(path), [])
        if msg not in msgs:
            msgs.append(msg)
    return list(out.items())


def _name(data: Any) -> str:
    meta = data.get("metadata") if isinstance(data, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else data.get("name") if isinstance(data, dict) else None
    return repr(name) if name else "(unnamed)"


last_wins = _last_wins  # the public name (cnverify diff resolves duplicates as prove does)
