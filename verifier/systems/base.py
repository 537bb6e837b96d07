"""The `System` adapter: the hooks through which one input system tells cnverify what it means.

Every hook of :data:`HOOKS` is either implemented by the adapter (a non-empty attribute, an
overridden method) or declined in ``declines`` with a reason; ``tests/test_systems.py`` checks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from cnverify.errors import InputError, Span
    from cnverify.loader import LoadResult
    from cnverify.model import Resource
    from cnverify.opaque import Opaque
    from cnverify.snapshot import Snapshot
    from cnverify.source import Document

HOOKS: dict[str, str] = {
    "kinds": "the modelled kinds the system owns (`kinds`)",
    "api_groups": "the API groups it claims and what their unmodelled kinds imply about pods (`groups`)",
    "modelled_creators": "modelled objects that get pods the model does not describe (`modelled_creator`)",
    "links": "cross-object references resolved when a unit's snapshot is built (`link(resources)`)",
    "raw_shapes": "documents without apiVersion/kind the loader splits into objects (`split_raw`)",
    "route_tables": "route-table translators into the first-match IR (`route_tables`)",
    "targets": "route-target resolution modules: backend refs → Services, clusters, … (`target_modules`)",
    "weighted_splits": "weighted destinations whose weights CNV103 checks (`weighted_splits`, `split_reads`)",
    "diff_actions": "readers of a route's action for `cnverify diff`, by table system (`diff_actions`)",
}
"""Every hook an adapter implements or declines, with what it provides."""
_METHODS = {
    "modelled_creators": "modelled_creator",
    "links": "link",
    "raw_shapes": "split_raw",
    "route_tables": "route_tables",
    "targets": "target_modules",
    "weighted_splits": "weighted_splits",
    "diff_actions": "diff_actions",
}


@dataclass(frozen=True)
class Group:
    """One claimed API group: do its *unmodelled* kinds create pods, the exceptions, who likely creates them."""

    creates_pods: bool
    except_kinds: frozenset[str] = frozenset()  # kinds for which the opposite of ``creates_pods`` holds
    creator: str = ""  # who most likely creates the pods (named first in reasons)

    def creates(self, kind: str) -> bool:
        return self.creates_pods != (kind in self.except_kinds)


@dataclass
class Share:
    """One weighted destination as written: its label, weight (None = unset), the weight's span (or the
    destination's when unset) and the destination's own span."""

    label: str
    weight: int | None
    at: Span
    node_at: Span | None = None
    written: str = ""  # the weight as written when ``weight`` is a rescaled value (an SMI v1alpha1 quantity)


@dataclass
class SideRule:
    """Another validator of the same weights (the consul-k8s webhook's float32 sum): the exact value it computes,
    the value it requires, and what happens when they differ."""

    says: str  # the chain step: how the value is computed, with the value
    value: Fraction
    must: Fraction
    at: Span
    fails: str  # what a failure means (who rejects what)


@dataclass(frozen=True)
class Written:
    """A number as a template writes it, at ``path`` of the split's subject: a constant or a template parameter
    (``{"Ref": name}``) the property bounds; the weight is the number over ``scale`` (100: a percentage)."""

    label: str
    value: Any
    path: tuple[str | int, ...]
    scale: int = 1


@dataclass(frozen=True)
class State:
    """One reachable state of a traffic shift (a CodeDeploy deployment): what it is and the new version's weight."""

    says: str
    weight: Fraction | Written


@dataclass
class Split:
    """Weighted destinations of one route for CNV103.

    ``rule``: ``"sum"`` (the weights must sum to ``total``), ``"lone"`` (one destination that gets 100%
    whatever its weight), ``"relative"`` (Gateway API: some weight must be above 0; ``l4``: a TCP/TLS rule),
    ``"fraction"`` (a Lambda alias: at most one additional version besides the primary, its weight in [0, 1]
    as ``fractions`` write it or at every one of ``states``, the primary getting the rest).
    """

    subject: Resource
    path: str
    at: Span
    shares: list[Share]
    rule: Literal["sum", "lone", "relative", "fraction"] = "sum"
    total: int = 100
    field: str = "weight"
    total_at: Span | None = None
    effect: str = ""  # what a wrong sum does, when not "the effective split"
    l4: bool = False
    index: int = 0  # the rule's index (``relative``)
    noun: str = "backendRef"  # what one destination is called in the chain (``relative``)
    also: tuple[SideRule, ...] = ()  # ``sum``: other rules the same weights must meet (each a chain step)
    fractions: tuple[Written, ...] = ()  # ``fraction``: each share's weight as written
    states: tuple[State, ...] = ()  # ``fraction``: the states of a traffic shift (then ``fractions`` is empty)
    unknown: str = ""  # why the weights cannot be read (the verdict is unknown)


ActionReader = Callable[[Any, Any], Any]


class System:
    """Base of every adapter; subclasses set the class attributes and override the hooks they implement."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    order: ClassVar[int] = 100  # consumers list results of adapters in this order
    kinds: ClassVar[tuple[type[Resource], ...]] = ()
    groups: ClassVar[Mapping[str, Group]] = {}
    declines: ClassVar[Mapping[str, str]] = {}
    # file extension → reader(text, name): documents, or why the file is not this system's (not a hook: the
    # loader reads only .yaml/.yml/.json itself; Consul reads its HCL config entries)
    file_readers: ClassVar[Mapping[str, Callable[[str, str], list[Document | InputError] | str]]] = {}

    def implements(self, hook: str) -> bool:
        if hook == "kinds":
            return bool(self.kinds)
        if hook == "api_groups":
            return bool(self.groups)
        method = _METHODS[hook]
        return getattr(type(self), method) is not getattr(System, method)

    def modelled_creator(self, resource: Resource) -> Opaque | None:
        """``resource`` (of one of :attr:`kinds`) as a creator of pods the model does not describe, or None."""
        raise NotImplementedError

    def link(self, resources: Iterable[Resource]) -> None:
        """Resolve references between the unit's objects (e.g. a Rollout's ``workloadRef``), once per object."""
        raise NotImplementedError

    def split_raw(self, doc: Document, data: dict[str, Any], path: tuple[str | int, ...], out: LoadResult) -> bool:
        """Split a mapping without apiVersion/kind into objects (True: recognised, objects added to ``out``)."""
        raise NotImplementedError

    def route_tables(self) -> tuple[ModuleType, ...]:
        """Translator modules: ``translate(snap) -> (clauses, tables)``, ``READS``, optionally ``decide``."""
        raise NotImplementedError

    def target_modules(self) -> tuple[ModuleType, ...]:
        """Target modules: ``checks(snap) -> Iterator[Check]`` and ``READS``."""
        raise NotImplementedError

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """The system's weighted routes, in document order."""
        raise NotImplementedError

    def split_reads(self) -> tuple[type[Resource], ...]:
        """The kinds :meth:`weighted_splits` reads."""
        return ()

    def diff_actions(self) -> Mapping[str, ActionReader]:
        """``{table system: reader(subject, route node) -> Action | None}``."""
        raise NotImplementedError
