"""References of Argo Rollouts (CNV102): the Services a Rollout names, and the Istio routes it rewrites.

argoproj/argo-rollouts 9f8d111d ``pkg/apis/rollouts/validation/validation_references.go`` (``ValidateService``:
every selector label but ``rollouts-pod-template-hash`` must be a template label, "Service %q has unmatch label %q
in rollout"; ``ValidateVirtualService``), ``rollout/trafficrouting/istio/istio.go`` (see ``argo/istio.py``);
``rollout/service.go`` (the controller adds ``rollouts-pod-template-hash`` to the canary / stable / active /
preview Service's selector at runtime). A failed reference is the controller's InvalidSpec: the Rollout does not
progress.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from cnverify.errors import Span
from cnverify.model import Service
from cnverify.model.argo import IstioVirtualServiceRef, Rollout
from cnverify.model.base import Node
from cnverify.model.istio import DestinationRule, VirtualService
from cnverify.snapshot import Snapshot
from cnverify.systems.argo.istio import Roles, managed, ref_path, vs_name
from cnverify.systems.routing.targets import Check, lookup, missing, service_target, step

READS = (Rollout, VirtualService, DestinationRule)
HASH = "rollouts-pod-template-hash"


def checks(snap: Snapshot) -> Iterator[Check]:
    for ro in snap.all(Rollout):
        yield from _services(snap, ro)
        c = ro.spec.strategy.canary
        routing = c.traffic_routing if c is not None else None
        if routing is None:
            continue
        for name in routing.providers:
            if name != "istio":
                yield Check(
                    ro,
                    routing,
                    "unknown",
                    f"trafficRouting.{name}: the objects Argo Rollouts writes for {name} are not modelled "
                    "(only Istio's routes are checked)",
                    [(f"{ro.ref} routes traffic with {name}", routing.at(name))],
                    where=(routing.at(name), f"spec.strategy.canary.trafficRouting.{name}"),
                )
        if routing.istio is not None:
            for i, ref in enumerate(routing.istio.services):
                yield from _virtual_service(snap, ro, ref, i)
            if routing.istio.destination_rule is not None:
                yield from _destination_rule(snap, ro)


def _services(snap: Snapshot, ro: Rollout) -> Iterator[Check]:
    s = ro.spec.strategy
    named: list[tuple[str, str, Node]] = []
    if s.canary is not None:
        named += [
            ("canaryService", s.canary.canary_service, s.canary),
            ("stableService", s.canary.stable_service, s.canary),
        ]
        pp = s.canary.ping_pong or {}
        named += [
            (f"pingPong.{k}", v, s.canary) for k in ("pingService", "pongService") if isinstance(v := pp.get(k), str)
        ]
    if s.blue_green is not None:
        bg = s.blue_green
        named += [("activeService", bg.active_service, bg), ("previewService", bg.preview_service or "", bg)]
    for fld, name, node in named:
        if name:
            yield _service(snap, ro, fld, name, node)


def _service(snap: Snapshot, ro: Rollout, fld: str, name: str, node: Node) -> Check:
    at = node.at(*fld.split("."))
    path = f"spec.strategy.{'canary' if node is ro.spec.strategy.canary else 'blueGreen'}.{fld}"
    steps: list[tuple[str, Span]] = [(f"{fld} {name}", at)]
    found = service_target(snap, ro, node, ro.namespace, name, None, steps, port_required=False, what=f"{ro.ref} {fld}")
    found = dataclasses.replace(found, service=None, port=None, port_unknown=None, where=(at, path))
    if found.verdict != "proved" or not ro.template_known:
        return found
    svc = lookup(snap, Service, ro.namespace, name, ro)[0]
    labels = ro.template.metadata.labels or {}
    bad = sorted(k for k, v in (svc.spec.selector or {}).items() if k != HASH and labels.get(k) != v)
    if bad:
        steps.append((f"the Rollout's pod template labels: {labels}", ro.template.metadata.at("labels")))
        return dataclasses.replace(
            found,
            verdict="violated",
            claim=f'Service "{name}" has unmatch label "{bad[0]}" in rollout: the controller rejects {ro.ref} '
            "(InvalidSpec) and does not progress it",
        )
    step(
        steps,
        f"its selector matches the Rollout's template labels; at runtime the controller adds {HASH} "
        f"to it so it selects only the {fld.removesuffix('Service')} ReplicaSet's pods",
        svc.spec.at("selector"),
    )
    return dataclasses.replace(found, steps=steps, claim=f"{found.claim}; its selector matches the Rollout's pods")


def _virtual_service(snap: Snapshot, ro: Rollout, ref: IstioVirtualServiceRef, i: int) -> Iterator[Check]:
    c = ro.spec.strategy.canary
    assert c is not None and c.traffic_routing is not None and c.traffic_routing.istio is not None
    istio = c.traffic_routing.istio
    path = ref_path(istio, i)
    ns, name = vs_name(ref, ro.namespace)
    steps: list[tuple[str, Span]] = [(f"{ro.ref} rewrites the weights of VirtualService {ns}/{name}", ref.at("name"))]
    found = lookup(snap, VirtualService, ns, name, ro)
    if not found:
        verdict, claim = missing(snap, ns, f"VirtualService {ns}/{name}")
        yield Check(ro, ref, verdict, claim, steps, where=(ref.at("name"), path))
        return
    vs = found[0]
    step(steps, f"VirtualService {ns}/{name} exists", vs.metadata.at("name"))
    routes, errors = managed(ro, ref, vs)
    if errors:
        claim = f"VirtualService {ns}/{name}: {'; '.join(errors)} (the controller rejects {ro.ref}: InvalidSpec)"
        yield Check(ro, ref, "violated", claim, steps, where=(ref.at("routes"), path))
        return
    roles = Roles.of(ro, istio)
    for m in routes:
        dests = list(m.route.route or [])
        rsteps = [*steps, (f"{m.where} is rewritten by the Rollout", m.route.at())]
        bad = roles.missing(dests)
        dropped = [d for d in dests if roles.role(d) == "other"]
        for d in dropped:
            rsteps.append((f"destination {d.destination.host} is neither the canary nor the stable", d.at()))
        if bad or dropped:
            what = [f"{bad} (the controller rejects {ro.ref}: InvalidSpec)"] if bad else []
            what += [
                f"destination {d.destination.host}{'/' + d.destination.subset if d.destination.subset else ''} "
                "is deleted by the Rollout at its first weight change (istio.go processRoutes keeps only the "
                "canary, stable and additional-subset destinations)"
                for d in dropped
            ]
            yield Check(
                ro,
                ref,
                "violated",
                f"{m.where}: {'; '.join(what)}",
                rsteps,
                where=(ref.at("name"), f"{path}.{m.kind}[{m.index}]"),
            )
            continue
        by = "DestinationRule subsets" if roles.by_subset else "Services"
        claim = f"{m.where} holds the canary and stable destinations (by {by}) and no other"
        yield Check(ro, ref, "proved", claim, rsteps, where=(ref.at("name"), f"{path}.{m.kind}[{m.index}]"))


def _destination_rule(snap: Snapshot, ro: Rollout) -> Iterator[Check]:
    c = ro.spec.strategy.canary
    assert c is not None and c.traffic_routing is not None and c.traffic_routing.istio is not None
    dr_ref = c.traffic_routing.istio.destination_rule
    assert dr_ref is not None
    path = "spec.strategy.canary.trafficRouting.istio.destinationRule"
    steps: list[tuple[str, Span]] = [(f"{ro.ref} pins the subsets of DestinationRule {dr_ref.name}", dr_ref.at("name"))]
    found = lookup(snap, DestinationRule, ro.namespace, dr_ref.name, ro)
    if not found:
        verdict, claim = missing(snap, ro.namespace, f"DestinationRule {ro.namespace}/{dr_ref.name}")
        yield Check(ro, dr_ref, verdict, claim, steps, where=(dr_ref.at("name"), path))
        return
    dr = found[0]
    step(steps, f"DestinationRule {ro.namespace}/{dr.name} exists", dr.metadata.at("name"))
    subsets = {s.name: s for s in dr.spec.subsets or []}
    for fld, name in (("canarySubsetName", dr_ref.canary_subset_name), ("stableSubsetName", dr_ref.stable_subset_name)):
        sub = subsets.get(name)
        s2 = [*steps, (f"{fld} {name}", dr_ref.at(fld))]
        if sub is None:
            claim = f"DestinationRule {ro.namespace}/{dr.name} has no subset {name!r} ({fld})"
            yield Check(ro, dr_ref, "violated", claim, s2, where=(dr_ref.at(fld), f"{path}.{fld}"))
            continue
        step(
            s2,
            f"subset {name} exists; the controller rewrites its labels to pin {HASH} of the "
            f"{fld.removesuffix('SubsetName')} ReplicaSet",
            sub.at(),
        )
        yield Check(
            ro,
            dr_ref,
            "proved",
            f"DestinationRule {ro.namespace}/{dr.name} defines subset {name}",
            s2,
            where=(dr_ref.at(fld), f"{path}.{fld}"),
        )
