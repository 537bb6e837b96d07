"""Base classes of the typed model: every node knows its document and field path."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar, get_args, get_origin

from cnverify.errors import Span
from cnverify.source import Document, Path, SpanTable, format_path
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic._internal._model_construction import init_private_attributes
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticUndefined


class _cached(functools.cached_property):  # type: ignore[type-arg,unused-ignore]
    """``functools.cached_property`` without its lock (Python 3.11 takes an ``RLock`` on every first read, ~0.7
    µs; a model is read by one thread, and two racing first reads would compute the same value): the value
    goes in the instance's ``__dict__``, which every later read finds first."""

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.attrname] = self.func(instance)
        return value


class Node(BaseModel):
    """A typed manifest node that can point back to its source (``node.at("field")``)."""

    # defer_build: a model's validator is built when it first validates (a run meets a dozen of the ~330
    # classes; building all at import cost ~0.1 s of every CLI start)
    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        strict=True,
        alias_generator=to_camel,
        arbitrary_types_allowed=True,
        defer_build=True,
        ignored_types=(_cached,),  # Resource's cached properties: no fields
    )
    _doc: Document | None = PrivateAttr(default=None)
    _path: Path = PrivateAttr(default=())
    if TYPE_CHECKING:  # a node has private attributes, so pydantic always sets their dict
        __pydantic_private__: dict[str, Any]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _fast_private_init(cls)

    def bind(self, doc: Document, path: Path) -> None:
        """Record the document and path of this node and, recursively, of its children (a field's node, or the
        nodes of its list or dict)."""
        private = self.__pydantic_private__  # the private attributes' dict: pydantic's own fast path
        private["_doc"], private["_path"] = doc, path
        values = self.__dict__
        for name, key in _KEYS.get(type(self)) or _manifest_keys(type(self)):
            value = values[name]
            if value is None:  # most optional sub-objects are absent
                continue
            if isinstance(value, Node):
                value.bind(doc, path + (key,))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, Node):
                        item.bind(doc, path + (key, i))
            elif isinstance(value, dict):
                for k, item in value.items():
                    if isinstance(item, Node):
                        item.bind(doc, path + (key, k))

    # The accessors below read the private attributes from ``__pydantic_private__`` directly: ``self._doc``
    # would go through ``BaseModel.__getattr__`` (and its ``hasattr`` on the ``ModelPrivateAttr``, which
    # raises), ~1 µs per read; ``at`` is called ~200k times on a 10k-object run.

    @property
    def field_path(self) -> Path:
        """The path of this node inside its document, e.g. ``("spec", "http", 1)``."""
        path: Path = self.__pydantic_private__["_path"]
        return path

    @property
    def path_str(self) -> str:
        return format_path(self.__pydantic_private__["_path"])

    @property
    def doc(self) -> Document | None:
        doc: Document | None = self.__pydantic_private__["_doc"]
        return doc

    def at(self, *fields: str | int) -> Span:
        """Span of a sub-field (by its manifest key) or, if absent, of the nearest ancestor."""
        private = self.__pydantic_private__
        doc: Document | None = private["_doc"]
        if doc is None:
            return Span("<unknown>", 1, 1)
        path = private["_path"] + fields
        spans = doc.spans
        if type(spans) is SpanTable and type(doc) is Document:  # Document.span without its checks (a view may
            return spans.nearest(path)  # redirect paths): one dict read once the path's span is built
        return doc.span(path)


def _fast_private_init(cls: type[Node]) -> None:
    """Give ``cls`` a ``model_post_init`` that sets its private attributes' defaults from one prepared dict.

    Pydantic makes ``init_private_attributes`` (wrapped once per subclass level) every model's post-init; it
    runs for every node validated (~100k a 10k-object run) and asks each private attribute for its default.
    Replaced only where that is all the post-init does and every default is an immutable value or a factory
    of no arguments: the same dict comes out (tests/engine/test_model_init.py checks every model)."""
    post_init = cls.__dict__.get("model_post_init")
    while post_init is not None and getattr(post_init, "__wrapped__", None) is not None:
        post_init = post_init.__wrapped__  # pydantic's wrapper of an inherited post-init
    if post_init is not init_private_attributes and not getattr(post_init, "_private_defaults", False):
        return  # a post-init of a model's own: left to pydantic
    values: dict[str, Any] = {}  # in declaration order, as pydantic's; a factory's entry is its factory
    made: list[str] = []  # the attributes whose default a factory makes
    for name, attr in cls.__private_attributes__.items():
        if attr.default_factory is not None:
            if attr.default_factory_takes_validated_data:
                return
            values[name] = attr.default_factory
            made.append(name)
        elif attr.default is PydanticUndefined:
            continue
        elif type(attr.default) in _IMMUTABLE or attr.default == ():
            values[name] = attr.default
        else:
            return

    copy, set_private = values.copy, object.__setattr__

    def private_defaults(self: BaseModel, context: Any, /) -> None:
        if getattr(self, "__pydantic_private__", None) is None:
            private = copy()
            for name in made:
                private[name] = private[name]()
            set_private(self, "__pydantic_private__", private)

    private_defaults._private_defaults = True  # type: ignore[attr-defined]
    cls.model_post_init = private_defaults  # type: ignore[method-assign]


_IMMUTABLE = (type(None), bool, int, float, str)
_fast_private_init(Node)

_KEYS: dict[type[Node], tuple[tuple[str, str], ...]] = {}


def _manifest_keys(cls: type[Node]) -> tuple[tuple[str, str], ...]:
    """``(field name, manifest key)`` of every field of ``cls`` that may hold a node (computed once per class):
    a field typed ``str`` or ``dict[str, str]`` has nothing to bind."""
    keys = _KEYS.get(cls)
    if keys is None:
        validated = {f for d in cls.__pydantic_decorators__.field_validators.values() for f in d.info.fields}
        keys = _KEYS[cls] = tuple(
            (name, info.alias or name)
            for name, info in cls.model_fields.items()
            if name in validated or "*" in validated or info.metadata or _may_hold_node(info.annotation)
        )
    return keys


def _may_hold_node(annotation: Any) -> bool:
    """Whether a value of this type may be or contain a :class:`Node` (unknown or validated types: yes)."""
    if annotation is Any:
        return True
    if isinstance(annotation, type) and get_origin(annotation) is None:
        return issubclass(annotation, Node) or issubclass(Node, annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return len(args) > 1 or _may_hold_node(args[0])  # metadata may be a validator: it may return anything
    if origin is Literal or annotation is None:
        return False
    return not args or any(_may_hold_node(a) for a in args)


class OwnerReference(Node):
    api_version: str = ""
    kind: str = ""
    name: str = ""
    controller: bool | None = None


class ObjectMeta(Node):
    name: str = ""
    generate_name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    creation_timestamp: Any = None
    owner_references: list[OwnerReference] | None = None


UNIT_NAMESPACE = "(unit namespace)"
"""The namespace of objects that name none when nothing fixes it: the same for every such object of a
unit, never assumed equal to ``default`` (``kubectl apply`` puts them in its ``-n`` or the context's
namespace, which the manifests do not show). Not a valid namespace name, so it equals only itself."""


class Resource(Node):
    """A top-level object. ``GROUP``/``KIND`` identify the model; subclasses register themselves."""

    GROUP: ClassVar[str] = ""
    KIND: ClassVar[str] = ""
    NAMESPACED: ClassVar[bool] = True
    APPLY_IDENTITY: ClassVar[bool] = True  # a later definition of the same name replaces it (kubectl apply)
    api_version: str = ""
    kind: str = ""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    _unit_namespace: str = PrivateAttr(default=UNIT_NAMESPACE)

    def place(self, unit_namespace: str) -> None:
        """Set the namespace this object belongs to when it names none (the unit's)."""
        self.__pydantic_private__["_unit_namespace"] = unit_namespace
        for cached in _CACHED:  # read before placing (or before kustomize's namespace was set): read again
            self.__dict__.pop(cached, None)

    # name, namespace and ref are read per obligation (~200k times a 10k run): cached in the instance's
    # __dict__ on first read (a field's cost; pydantic's dump, copy and equality see fields only). An object's
    # metadata is final once ``snapshot.build`` placed it (tests/engine/test_model_cache.py).
    @_cached
    def name(self) -> str:
        return self.metadata.name or self.metadata.generate_name or ""

    @_cached
    def namespace(self) -> str:
        """The namespace; objects without one are in their unit's namespace (see :data:`UNIT_NAMESPACE`)."""
        if not self.NAMESPACED:
            return ""
        return self.metadata.namespace or self.__pydantic_private__["_unit_namespace"]

    @property
    def labels(self) -> dict[str, str]:
        return self.metadata.labels or {}

    @property
    def annotations(self) -> dict[str, str]:
        return self.metadata.annotations or {}

    @_cached
    def ref(self) -> str:
        """``Kind/namespace/name`` (``Kind/name`` for cluster-scoped objects)."""
        if self.NAMESPACED:
            return f"{self.KIND}/{self.namespace}/{self.name}"
        return f"{self.KIND}/{self.name}"

    def subject(self, path: str | None = None) -> dict[str, Any]:
        """The JSON ``subject`` of a finding on this resource (a new dict each time)."""
        out = dict(self._subject)
        if path:
            out["path"] = path
        return out

    @_cached
    def _subject(self) -> dict[str, Any]:
        """:meth:`subject`'s fields (~36k findings a 10k run ask; each gets a copy)."""
        return {
            "apiVersion": self.api_version,
            "kind": self.kind or self.KIND,
            "namespace": self.namespace if self.NAMESPACED else None,
            "name": self.name,
        }


_CACHED = ("name", "namespace", "ref", "_subject")  # Resource's cached properties (a subclass may make one a property)

R = TypeVar("R", bound=type[Resource])
KIND_MODELS: dict[tuple[str, str], type[Resource]] = {}


def register_kind(group: str, kind: str, *, aliases: tuple[str, ...] = ()) -> Callable[[R], R]:
    """Class decorator: documents with apiVersion group ``group`` and ``kind`` load as this model."""

    def deco(cls: R) -> R:
        cls.GROUP, cls.KIND = group, kind
        for g in (group, *aliases):
            KIND_MODELS[(g, kind)] = cls
        return cls

    return deco


def group_of(api_version: str) -> str:
    """``apps/v1`` → ``apps``; ``v1`` → ``""``; an Envoy API name (``envoy.config.route.v3``) is its own group."""
    if "/" in api_version:
        return api_version.rsplit("/", 1)[0]
    return api_version if "." in api_version else ""
