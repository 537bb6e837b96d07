"""CNV205 policy-selects-pods."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.encodings.labels import UnsupportedSelector, format_labels, is_empty
from cnverify.errors import Span
from cnverify.model import DestinationRule, Node, PodDisruptionBudget, Service, ServiceEntry
from cnverify.model.apps import LabelSelector
from cnverify.model.istio import Subset
from cnverify.model.linkerd import Server
from cnverify.model.networkpolicy import NetworkPolicy
from cnverify.obligation import Obligation
from cnverify.properties._shared.selectors.linkerd_servers import port_named
from cnverify.properties._shared.selectors.pod_facts import Part, labels_of, require_selected, unmodelled_creators
from cnverify.properties._shared.selectors.pods import POD, SHAPE_READS, PodShape, label_terms, shapes_of
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.snapshot import Snapshot
from cnverify.systems.istio.hosts import (
    TOPOLOGY_KEYS,
    resolve_host,
    service_index,
)


@register
class PolicySelectsPods(Property):
    """
    ## What it proves
    The selector of a PodDisruptionBudget, a NetworkPolicy (`spec.podSelector`) or a DestinationRule
    subset (host Service selector AND subset labels) selects at least one pod template. An empty
    NetworkPolicy podSelector (all pods of the namespace) holds trivially. A Linkerd Server's
    podSelector too, and the container port its `spec.port` names exists (TCP) on a selected pod.

    ## Why it matters
    A policy that selects nothing does nothing, silently: a PDB that protects no pod, a
    NetworkPolicy that isolates nothing, or a subset with no endpoints — traffic routed to it gets 503.

    ## Evidence
    Proved: a selected pod (`@pod` names its owner). Violated: every requirement and the labels
    of every template that carries the keys (minimal core). A subset whose host is not a Service
    of the input, or whose labels are node topology labels, is `unknown`.

    ## Example
    ```yaml
    kind: DestinationRule
    spec: {host: reviews, subsets: [{name: v3, labels: {version: v3}}]}  # violated if no reviews pod has v3
    ```

    ## Assumes
    - Pods as in CNV202, with the same rule for unmodelled pod creators (`unknown`).
    - DestinationRule hosts resolve as in CNV102 (the Service is in the inputs).
    """

    code = "CNV205"
    name = "policy-selects-pods"
    title = "Policy selector selects at least one pod"
    severity = "warning"
    reads = (PodDisruptionBudget, NetworkPolicy, DestinationRule, Service, ServiceEntry, Server, *SHAPE_READS)
    remediation = "Make the selector (or subset labels) match the labels of the intended pod template."
    closed_world = frozenset({"violated"})  # absent here may be in an unread document

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        self.snap = snap  # for the unmodelled pod creators of a namespace
        self.terms = label_terms(ctx)
        try:
            shapes = shapes_of(ctx)
            for pdb in snap.all(PodDisruptionBudget):
                yield self.pdb(pdb, shapes.get(pdb.namespace, []))
            for np in snap.all(NetworkPolicy):
                yield self.netpol(np, shapes.get(np.namespace, []))
            services = service_index(snap)
            snap.all(ServiceEntry)  # read by host resolution (also when no DR needs it)
            for dr in snap.all(DestinationRule):
                for i, subset in enumerate(dr.spec.subsets or []):
                    yield self.subset(snap, dr, i, subset, shapes, services)
            for srv in snap.all(Server):
                yield from self.server(srv, shapes.get(srv.namespace, []))
        finally:  # the property outlives the run: its snapshot and terms are freed with the run's
            del self.snap, self.terms

    def server(self, srv: Server, shapes: list[PodShape]) -> Iterator[Obligation]:
        """A Linkerd Server's podSelector, then the container port its ``spec.port`` names."""
        sel, spec = srv.spec.pod_selector, srv.spec
        ob = self.obligation(srv, at=spec.at("podSelector" if sel is not None else "externalWorkloadSelector"))
        if sel is None:
            ob.unknown("an externalWorkloadSelector selects ExternalWorkloads (VMs outside the cluster), not pods")
            yield ob
            return
        yield self.netpol_like(ob, sel, spec, shapes, srv.namespace)
        if isinstance(spec.port, str):
            creators = self.snap.pod_creators(srv.namespace)
            port_ob = port_named(self.obligation(srv, at=spec.at("port"), path="spec.port"), srv, shapes, creators)
            yield from [port_ob] if port_ob is not None else []

    def pdb(self, pdb: PodDisruptionBudget, shapes: list[PodShape]) -> Obligation:
        sel, spec = pdb.spec.selector, pdb.spec
        ob = self.obligation(pdb, at=spec.at("selector"))
        if sel is None or (is_empty(sel) and not pdb.selects_all_when_empty):
            ob.note("spec.selector is " + ("not set" if sel is None else "{}"), spec.at("selector"))
            ob.decide(
                "violated", f"{'a nil' if sel is None else 'an empty'} selector in {pdb.api_version} selects no pods"
            )
            ob.on(
                violated=f"{pdb.ref} selects no pods ({'no' if sel is None else 'empty'} selector, {pdb.api_version})"
            )
            return ob
        if is_empty(sel):
            return self.everything(ob, shapes, pdb.namespace, spec.at("selector"), "{} selects every pod")
        return self.query(ob, [(sel, spec, ("selector",), "the PDB selector")], shapes, pdb.namespace)

    def netpol(self, np: NetworkPolicy, shapes: list[PodShape]) -> Obligation:
        ob = self.obligation(np, at=np.spec.at("podSelector"))
        return self.netpol_like(ob, np.spec.pod_selector, np.spec, shapes, np.namespace)

    def netpol_like(
        self, ob: Obligation, sel: LabelSelector, spec: Node, shapes: list[PodShape], ns: str
    ) -> Obligation:
        """``spec.podSelector`` of a NetworkPolicy or a Linkerd Server: empty selects every pod of ``ns``."""
        if is_empty(sel):
            ob.note("spec.podSelector is empty (or omitted): every pod of the namespace", spec.at("podSelector"))
            ob.decide("proved", f"an empty podSelector selects all pods of namespace {ns}")
            ob.on(proved=f"{ob.subject.ref} applies to every pod of namespace {ns}")
            return ob
        return self.query(ob, [(sel, spec, ("podSelector",), "the podSelector")], shapes, ns)

    def subset(
        self,
        snap: Snapshot,
        dr: DestinationRule,
        i: int,
        subset: Subset,
        shapes: dict[str, list[PodShape]],
        services: dict[tuple[str, str], list[Service]],
    ) -> Obligation:
        ob = self.obligation(dr, at=subset.at("labels") if subset.labels else subset.at(), path=f"spec.subsets[{i}]")
        host = resolve_host(snap, dr.spec.host, dr.namespace, services)
        svc = host.service
        if svc is None:
            ob.note(f"host {dr.spec.host!r} expands to {host.fqdn}", dr.spec.at("host"))
            ob.unknown(host.why)
            return ob
        ob.note(f"host {dr.spec.host!r} is {host.fqdn}: {svc.ref}", dr.spec.at("host"))
        if not svc.spec.selector or svc.spec.type == "ExternalName":
            ob.unknown(f"{svc.ref} has no selector: its endpoints are not derived from pods")
            return ob
        labels = subset.labels or {}
        # pilot AugmentLabels sets a node/cluster topology label only when its value is non-empty: an
        # empty-valued topology requirement is met only by a pod that writes the key as "" itself
        # (istio analyzer IST0173, testdata destinationrule-empty-topology-labels.yaml)
        topo = sorted(k for k, v in labels.items() if k in TOPOLOGY_KEYS and v != "")
        plain = {k: v for k, v in labels.items() if k not in TOPOLOGY_KEYS or v == ""}
        empty_topo = sorted(k for k in plain if k in TOPOLOGY_KEYS)
        written = [s for s in shapes.get(svc.namespace, []) if set(empty_topo) & set(s.labels)] if empty_topo else []
        if written:
            ob.note(written[0].describe(empty_topo), written[0].where)
            ob.unknown(
                f"{written[0].owner.ref} writes {', '.join(empty_topo)} itself; the node's non-empty value "
                "replaces it on the endpoint (AugmentLabels) when the node has one"
            )
            return ob
        parts: list[Part] = [(svc.spec.selector, svc.spec, ("selector",), f"{svc.ref}'s selector")]
        if plain:
            parts.append((plain, subset, ("labels",), f"subset {subset.name!r}"))
        pool = shapes.get(svc.namespace, [])
        if topo and any(s.may_be_selected({**svc.spec.selector, **plain}, terms=self.terms) is not False for s in pool):
            ob.unknown(f"subset labels {', '.join(topo)} come from the node a pod runs on")
            return ob
        if topo:
            ob.note(
                f"node topology labels {', '.join(topo)} are ignored: the rest already selects nothing",
                subset.at("labels"),
            )
        return self.query(ob, parts, pool, svc.namespace)

    def everything(self, ob: Obligation, shapes: list[PodShape], ns: str, at: Span, why: str) -> Obligation:
        ob.note(why, at)
        if shapes:
            first = shapes[0]
            ob.note(first.describe(), first.where)
            ob.decide(
                "proved", f"it selects every pod of namespace {ns}", witness={POD: first.owner.ref, **first.labels}
            )
        elif unmodelled_creators(ob, [], self.snap.pod_creators(ns)):
            return ob
        else:
            ob.decide("violated", f"namespace {ns} has no pod template")
        ob.on(
            proved=f"{ob.subject.ref} selects every pod of namespace {ns}",
            violated=f"{ob.subject.ref} selects every pod of namespace {ns}, which has none",
        )
        return ob

    def query(self, ob: Obligation, parts: list[Part], shapes: list[PodShape], ns: str) -> Obligation:
        try:
            require_selected(ob, parts, shapes, ns, self.snap.pod_creators(ns), self.terms)
        except UnsupportedSelector as exc:
            ob.unknown(str(exc))
            return ob
        ref = ob.subject.ref + (f" {ob.path}" if ob.path else "")
        ob.on(
            proved=lambda w: f"{ref} selects the pods of {w[POD]} ({format_labels(labels_of(w))})",
            violated=f"{ref} selects no pod template in namespace {ns}",
        )
        return ob
