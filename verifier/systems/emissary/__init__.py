"""Emissary-ingress (Ambassador, ``getambassador.io`` v2/v3alpha1): Mappings as Envoy routes, Host attachment,
Listener binding, canary weights (docs/SEMANTICS.md#emissary-ingress; rules read from emissary 3ebe0f46,
``python/ambassador/src/ambassador/ir`` and ``envoy/v3``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import ModuleType

from cnverify.encodings.http import Entry
from cnverify.encodings.http_precheck import disjoint
from cnverify.model import Resource
from cnverify.model.emissary import (
    GROUP,
    RESOLVERS,
    EmissaryHost,
    EmissaryListener,
    EmissaryMapping,
    EmissaryTCPMapping,
)
from cnverify.snapshot import Snapshot
from cnverify.systems.base import ActionReader, Group, Share, Split, System
from cnverify.systems.emissary.ir import Installation, Route, installations


class Emissary(System):
    name = "emissary"
    title = "Emissary-ingress"
    order = 95
    kinds = (EmissaryMapping, EmissaryHost, EmissaryListener, EmissaryTCPMapping, *RESOLVERS)
    groups = {GROUP: Group(creates_pods=False)}  # Module, TLSContext, filters…: Emissary's own configuration
    declines = {
        "modelled_creators": "Emissary objects configure the Emissary pods, which are deployed apart from them",
        "links": "its references (Hosts, Listeners, Services) are resolved by its tables and targets modules",
        "raw_shapes": "Emissary objects carry apiVersion and kind",
    }

    def route_tables(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.emissary import tables

        return (tables,)

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.emissary import targets

        return (targets,)

    def diff_actions(self) -> Mapping[str, ActionReader]:
        from cnverify.systems.emissary.actions import mapping_action

        return {"emissary": mapping_action}

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """Canary groups (irbasemappinggroup ``normalize_weights_in_mappings``): weighted Mappings take their
        weights, unweighted ones share the rest; a lone Mapping takes 100% whatever its weight."""
        for inst in installations(snap):
            for i, g in enumerate(inst.groups):
                if len(g) > 1 or g[0].mapping.spec.weight is not None:
                    yield _split(inst, i, g)

    def split_reads(self) -> tuple[type[Resource], ...]:
        return (EmissaryMapping, EmissaryHost, EmissaryListener)


SYSTEM = Emissary()


def _split(inst: Installation, i: int, g: list[Route]) -> Split:
    first = next((r for r in g if r.mapping.spec.weight is not None), g[0])
    subject, at = first.mapping, first.mapping.spec.at("weight")
    if len(g) == 1:
        share = Share(f"Mapping {subject.namespace}/{subject.name}", subject.spec.weight, at, subject.spec.at())
        return Split(subject, "spec.weight", at, [share], rule="lone")
    shares = []
    for r in g:
        m, w = r.mapping, r.mapping.spec.weight
        label = f"Mapping {m.namespace}/{m.name}" + ("" if w is not None else " (no weight: the rest)")
        shares.append(Share(label, w if w is not None else r.share, m.spec.at("weight"), m.spec.at()))
    written = sum(r.mapping.spec.weight or 0 for r in g)
    effect = ""
    if i in inst.errors:
        effect = (
            f"Emissary posts '{inst.errors[i]}' and 'Could not normalize mapping weights, ignoring...'; the split it "
            "then applies depends on the order it reads the group's Mappings (irbasemappinggroup)"
        )
    elif written < 100:
        effect = f"{100 - written}% of the requests the group matches fall through to {_below(inst, i)}"
    return Split(subject, "spec.weight", at, shares, effect=effect)


def _below(inst: Installation, i: int) -> str:
    """Where a group's leaked requests go: the next routes that may match them, else 404."""
    from cnverify.systems.emissary.tables import route_match

    mine = Entry("a", "a", route_match(inst.groups[i][0], inst.groups[i], fraction=False))
    for g in inst.groups[i + 1 :]:
        other = Entry("b", "b", route_match(g[0], g, fraction=False))
        if not disjoint(mine, other):
            m = g[0].mapping
            return f"the routes after the group (the first that may match: Mapping {m.namespace}/{m.name}, prefix {m.spec.prefix}), or 404 where none matches"
    return "no other route (Emissary answers 404)"
