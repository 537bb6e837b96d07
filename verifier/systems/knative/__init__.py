"""Knative: Serving's Service (a Deployment per Revision) and Eventing's Broker and Trigger."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

from cnverify.model import Resource
from cnverify.model.eventing import Broker, Trigger
from cnverify.model.knative import KnativeService
from cnverify.opaque import Opaque
from cnverify.snapshot import Snapshot
from cnverify.systems.base import Group, Share, Split, System

SERVING = Group(creates_pods=True, creator="Knative Serving (a Deployment per Revision)")


class Knative(System):
    name = "knative"
    title = "Knative Serving and Eventing"
    order = 30
    kinds = (KnativeService, Broker, Trigger)
    groups = {
        "serving.knative.dev": SERVING,  # Configuration, Revision: a Deployment per Revision
        "eventing.knative.dev": Group(creates_pods=True),  # unmodelled eventing kinds may run adapters
        "messaging.knative.dev": Group(creates_pods=False),  # channels and subscriptions configure dispatchers
    }
    declines = {
        "links": "its references are resolved by the properties that read them",
        "raw_shapes": "Knative objects carry apiVersion and kind",
        "route_tables": "a Knative Service's routing is its traffic split (CNV103); its ingress is not modelled",
        "diff_actions": "no routing table, so no route actions to compare",
    }

    def modelled_creator(self, resource: Resource) -> Opaque | None:
        """A Knative Service runs a Deployment per Revision whose pods carry the revision template's labels
        (plus Knative's own)."""
        if not isinstance(resource, KnativeService):
            return None
        labels = resource.spec.template.metadata.labels or {}
        return Opaque.of_modelled(resource, dict(labels), SERVING.creator)

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.knative import targets

        return (targets,)

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """``spec.traffic`` percents (an absent block defaults to 100% to the latest revision)."""
        for ksvc in snap.all(KnativeService):
            traffic = ksvc.spec.traffic
            if not traffic:
                continue
            shares = [
                Share(
                    t.tag or t.revision_name or ("latest" if t.latest_revision is not False else "?"),
                    t.percent,
                    t.at("percent") if t.percent is not None else t.at(),
                )
                for t in traffic
            ]
            yield Split(
                ksvc,
                "spec.traffic",
                ksvc.spec.at("traffic"),
                shares,
                field="percent",
                effect="Knative's webhook rejects the traffic block",
            )

    def split_reads(self) -> tuple[type[KnativeService], ...]:
        return (KnativeService,)


SYSTEM = Knative()
