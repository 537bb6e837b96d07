"""The Snapshot: every typed resource of one run, indexed for the properties."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import ValidationError

from cnverify.errors import InputError
from cnverify.loader import LoadResult, RawObject
from cnverify.model import KIND_MODELS, Resource, group_of
from cnverify.opaque import Opaque, opaque_of
from cnverify.source import Path, format_path, paused_gc

T = TypeVar("T", bound=Resource)
MAX_ERRORS_PER_OBJECT = 5


class Snapshot:
    """Typed resources by model class, namespace and name; records which kinds were read."""

    def __init__(self, resources: Iterable[Resource], unknown_kinds: Counter[str] | None = None,
                 opaque: Iterable[Opaque] = ()) -> None:
        self.resources: list[Resource] = list(resources)
        self.unknown_kinds: Counter[str] = unknown_kinds or Counter()
        self.opaque: list[Opaque] = list(opaque)
        self._creators: dict[str, list[Opaque]] = defaultdict(list)
        for o in self.opaque:
            if o.creates_pods:
                self._creators[o.namespace].append(o)
        self._by_cls: dict[type[Resource], list[Resource]] = defaultdict(list)
        self._by_ns: dict[tuple[type[Resource], str], list[Resource]] = defaultdict(list)
        for r in self.resources:
            ns = r.namespace
            for cls in type(r).__mro__:
                if isinstance(cls, type) and issubclass(cls, Resource):
                    self._by_cls[cls].append(r)
                    self._by_ns[(cls, ns)].append(r)
        self._by_name: dict[tuple[type[Resource], str, str], Resource] = {}
        for r in self.resources:
            self._by_name.setdefault((type(r), r.namespace, r.name), r)
        self.kinds_read: set[str] = set()
        self.settings: dict[str, Any] = {}  # run options properties read (e.g. "mesh_config": a file path)

    def pod_creators(self, namespace: str) -> list[Opaque]:
        """Unmodelled objects in ``namespace`` that may create pods (see :mod:`cnverify.opaque`)."""
        return self._creators.get(namespace, [])

    def all(self, cls: type[T]) -> list[T]:
        """Every resource of model ``cls`` (or a subclass), in input order."""
        self.kinds_read.add(cls.__name__)
        return self._by_cls.get(cls, [])  # type: ignore[return-value]

    def get(self, cls: type[T], namespace: str, name: str) -> T | None:
        """The resource of exactly model ``cls`` with that namespace and name (first one loaded)."""
        self.kinds_read.add(cls.__name__)
        return self._by_name.get((cls, namespace, name))  # type: ignore[return-value]

    def in_namespace(self, cls: type[T], namespace: str) -> list[T]:
        """Every resource of model ``cls`` (or a subclass) in ``namespace``, in input order (indexed)."""
        self.kinds_read.add(cls.__name__)
        return list(self._by_ns.get((cls, namespace), []))  # type: ignore[arg-type]

    def kinds(self) -> Counter[str]:
        return Counter(type(r).KIND for r in self.resources)


def build(loaded: LoadResult) -> tuple[Snapshot, list[InputError]]:
    """Validate raw objects into the typed model; a wrong shape becomes located errors."""
    resources: list[Resource] = []
    errors: list[InputError] = []
    unknown: Counter[str] = Counter()
    opaque: list[Opaque] = []
    with paused_gc():
        for raw in loaded.objects:
            cls = KIND_MODELS.get((group_of(raw.api_version), raw.kind))
            if cls is None:
                unknown[f"{raw.kind} ({raw.api_version})"] += 1
                opaque.append(opaque_of(raw))
                continue
            obj = _validate(cls, raw, errors)
            if obj is not None:
                resources.append(obj)
        return Snapshot(resources, unknown, opaque), errors


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
            errors.append(InputError(raw.doc.span(raw.path + path),
                                     f"{raw.kind} {_name(data)}: {format_path(path)}: {' or '.join(msgs)}"))
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
            if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) \
                    and 0 <= part < len(node):
                path.append(part)
                node = node[part]
            elif not (isinstance(part, str) and (part in ("int", "str", "float", "bool") or "[" in part)):
                path.append(part)  # a missing required field: name it (its span falls back to the parent)
                break
        msg = str(e.get("msg", "invalid value")).removeprefix("Value error, ")
        msgs = out.setdefault(tuple(path), [])
        if msg not in msgs:
            msgs.append(msg)
    return list(out.items())


def _name(data: Any) -> str:
    meta = data.get("metadata") if isinstance(data, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else data.get("name") if isinstance(data, dict) else None
    return repr(name) if name else "(unnamed)"
