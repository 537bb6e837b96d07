"""Targets of Knative Eventing Triggers: the subscriber (a Knative Service, a Kubernetes Service or a URI)."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.errors import Span
from cnverify.model import KnativeService
from cnverify.model.base import group_of
from cnverify.model.eventing import Trigger
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.targets import Check, lookup, missing, service_target, step

READS = (Trigger, KnativeService)


def checks(snap: Snapshot) -> Iterator[Check]:
    for trigger in snap.all(Trigger):
        yield from _trigger(snap, trigger)


def _trigger(snap: Snapshot, trigger: Trigger) -> Iterator[Check]:
    sub = trigger.spec.subscriber
    if sub.ref is None:
        if sub.uri:
            yield Check(
                trigger,
                sub,
                "unknown",
                f"subscriber is the URI {sub.uri} (outside the inventory)",
                [("subscriber uri", sub.at("uri"))],
            )
        return
    ref = sub.ref
    ns = ref.namespace or trigger.namespace
    steps: list[tuple[str, Span]] = [(f"subscriber {ref.kind} {ns}/{ref.name} ({ref.api_version})", ref.at())]
    group = group_of(ref.api_version)
    if ref.kind == "Service" and group == "serving.knative.dev":
        ks = next(iter(lookup(snap, KnativeService, ns, ref.name, trigger)), None)
        if ks is None:
            verdict, claim = missing(snap, ns, f"Knative Service {ns}/{ref.name}")
            yield Check(trigger, ref, verdict, claim, steps)
        else:
            step(steps, f"Knative Service {ns}/{ref.name} exists", ks.metadata.at("name"))
            yield Check(trigger, ref, "proved", f"subscriber resolves to Knative Service {ns}/{ref.name}", steps)
    elif ref.kind == "Service" and group == "":
        step(steps, f"Knative sends events to http://{ref.name}.{ns}.svc.cluster.local (port 80)", ref.at("name"))
        yield service_target(snap, trigger, ref, ns, ref.name, 80, steps, port_required=True, what="subscriber")
    else:
        yield Check(trigger, ref, "unknown", f"subscriber kind {ref.kind} ({ref.api_version}) is not modelled", steps)
