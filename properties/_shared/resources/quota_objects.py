"""Object-count and storage quota keys: what the manifests determine, and what they cannot.

Checked against kubernetes ``pkg/quota/v1/evaluator/core``: ``services.go`` (``services`` and
``count/services`` 1 each; ``services.loadbalancers`` 1 per LoadBalancer; ``services.nodeports`` every
port of a NodePort or LoadBalancer Service, only ports with an explicit ``nodePort`` when
``allocateLoadBalancerNodePorts: false``), ``persistent_volume_claims.go`` (``persistentvolumeclaims``,
``count/persistentvolumeclaims``, ``requests.storage`` and their ``<class>.storageclass.storage.k8s.io/``
variants; the class is ``spec.storageClassName`` or the beta annotation), ``pods.go`` (``count/pods``
counts every pod in storage, finished ones too), and the generic object-count evaluator
(``count/<resource>.<group>``, legacy ``configmaps``, ``secrets``, ``replicationcontrollers``,
``resourcequotas``). A key not listed here is not counted: the quota's proof becomes ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnverify.encodings.quantity import milli
from cnverify.model import (
    CronJob,
    DaemonSet,
    Deployment,
    DestinationRule,
    HorizontalPodAutoscaler,
    IstioGateway,
    Job,
    KnativeService,
    LimitRange,
    PersistentVolumeClaim,
    PodDisruptionBudget,
    ReplicaSet,
    ReplicationController,
    Resource,
    ResourceQuota,
    Service,
    ServiceEntry,
    StatefulSet,
    VirtualService,
)
from cnverify.model.core import PersistentVolumeClaimTemplate
from cnverify.model.gateway import Gateway, HTTPRoute, ReferenceGrant
from cnverify.model.ingress import Ingress
from cnverify.model.networkpolicy import NetworkPolicy
from cnverify.obligation import Obligation
from cnverify.properties._shared.owners import unowned
from cnverify.snapshot import Snapshot

CLASS_KEY = ".storageclass.storage.k8s.io/"
#: Object-count keys of modelled kinds: key → model class (legacy names and ``count/<resource>.<group>``).
MODELLED: dict[str, type[Resource]] = {
    "services": Service,
    "count/services": Service,
    "replicationcontrollers": ReplicationController,
    "count/replicationcontrollers": ReplicationController,
    "resourcequotas": ResourceQuota,
    "count/resourcequotas": ResourceQuota,
    "persistentvolumeclaims": PersistentVolumeClaim,
    "count/persistentvolumeclaims": PersistentVolumeClaim,
    "count/deployments.apps": Deployment,
    "count/statefulsets.apps": StatefulSet,
    "count/daemonsets.apps": DaemonSet,
    "count/replicasets.apps": ReplicaSet,
    "count/jobs.batch": Job,
    "count/cronjobs.batch": CronJob,
    "count/horizontalpodautoscalers.autoscaling": HorizontalPodAutoscaler,
    "count/poddisruptionbudgets.policy": PodDisruptionBudget,
    "count/limitranges": LimitRange,
    "count/ingresses.networking.k8s.io": Ingress,
    "count/networkpolicies.networking.k8s.io": NetworkPolicy,
    "count/virtualservices.networking.istio.io": VirtualService,
    "count/destinationrules.networking.istio.io": DestinationRule,
    "count/gateways.networking.istio.io": IstioGateway,
    "count/serviceentries.networking.istio.io": ServiceEntry,
    "count/httproutes.gateway.networking.k8s.io": HTTPRoute,
    "count/gateways.gateway.networking.k8s.io": Gateway,
    "count/referencegrants.gateway.networking.k8s.io": ReferenceGrant,
    "count/services.serving.knative.dev": KnativeService,
}
#: Object-count keys of core kinds cnverify keeps unmodelled: key → kind.
UNMODELLED = {
    "configmaps": "ConfigMap",
    "count/configmaps": "ConfigMap",
    "secrets": "Secret",
    "count/secrets": "Secret",
}
CLUSTER_MADE = {
    "ConfigMap": "kube-controller-manager's root-ca-cert-publisher adds ConfigMap kube-root-ca.crt to every namespace "
    "(counted); no other controller adds ConfigMaps to namespace {ns} (Istio adds istio-ca-root-cert "
    "to every namespace of a mesh)",
    "Secret": "no controller adds Secrets to namespace {ns} (service-account token Secrets are no longer created "
    "since Kubernetes 1.24; Helm stores every release revision as a Secret; cert-manager issues them)",
}
STORAGE_KEYS = ("persistentvolumeclaims", "count/persistentvolumeclaims", "requests.storage")
DEFAULT_REVISION_HISTORY = 10  # apps/v1 DeploymentSpec.revisionHistoryLimit default


@dataclass
class Tally:
    """The objects an object-count key counts in one namespace: milli-units, a sentence, assumptions."""

    milli: int
    says: str
    assumptions: list[str] = field(default_factory=list)


def claim_class_key(key: str) -> tuple[str | None, str]:
    """``(storage class or None, base key)`` of a storage key (``gold.storageclass.storage.k8s.io/requests.storage``)."""
    if CLASS_KEY in key:
        sc, base = key.split(CLASS_KEY, 1)
        return sc, base
    return None, key


def is_storage_key(key: str) -> bool:
    return claim_class_key(key)[1] in STORAGE_KEYS


def claim_usage(key: str, claims: list[PersistentVolumeClaimTemplate] | list[PersistentVolumeClaim]) -> int | str:
    """Milli-units ``claims`` add to storage ``key``, or why it cannot be known (a class the admission
    plugin DefaultStorageClass picks)."""
    sc, base = claim_class_key(key)
    total = 0
    for c in claims:
        if sc is not None:
            if c.storage_class is None:
                return (
                    f"a claim without storageClassName gets the cluster's default StorageClass (admission plugin "
                    f"DefaultStorageClass), which the inputs do not show, so {key} cannot be counted"
                )
            if c.storage_class != sc:
                continue
        if base == "requests.storage":
            raw = ((c.spec.resources.requests if c.spec.resources else None) or {}).get("storage")
            total += milli(raw) if raw is not None else 0
        else:
            total += 1000
    return total


def statefulset_claims(w: Resource) -> list[PersistentVolumeClaimTemplate]:
    """The PVCs each pod of a StatefulSet gets (one per volumeClaimTemplate, kept when it scales down)."""
    return list(w.spec.volume_claim_templates or []) if isinstance(w, StatefulSet) else []


def tally(full: Snapshot, snap: Snapshot, namespace: str, key: str) -> Tally | str | None:
    """The static part of ``key`` in ``namespace`` (``snap`` is its view, ``full`` the whole snapshot),
    a reason it cannot be counted, or None when it is a pod compute key (counted per pod)."""
    if key in ("pods", "count/pods") or (not is_storage_key(key) and _compute_like(key)):
        return None
    if is_storage_key(key):
        pvcs = unowned(full, snap.in_namespace(PersistentVolumeClaim, namespace))
        covered = _covered_claims(full, snap, namespace)
        counted = [c for c in pvcs if c.name not in covered or not _same_claim(c, covered[c.name])]
        used = claim_usage(key, counted)
        dup = len(pvcs) - len(counted)
        return (
            used
            if isinstance(used, str)
            else Tally(
                used,
                f"{len(counted)} PersistentVolumeClaim(s) in the inputs"
                + (f", not counting {dup} StatefulSet claim(s) its volumeClaimTemplates already count" if dup else ""),
            )
        )
    if key in ("services.loadbalancers", "services.nodeports"):
        svcs = snap.in_namespace(Service, namespace)
        if key == "services.loadbalancers":
            n = sum(s.spec.type == "LoadBalancer" for s in svcs)
            return Tally(1000 * n, f"{n} Service(s) of type LoadBalancer")
        n = sum(_node_ports(s) for s in svcs)
        return Tally(1000 * n, f"the NodePort and LoadBalancer Services allocate {n} node port(s)")
    if key in UNMODELLED:
        kind = UNMODELLED[key]
        names = {o.name for o in full.opaque if o.kind == kind and o.api_version == "v1" and o.namespace == namespace}
        extra = 1 if kind == "ConfigMap" and "kube-root-ca.crt" not in names else 0
        return Tally(
            1000 * (len(names) + extra),
            f"{len(names)} {kind}(s) in the inputs" + (" + kube-root-ca.crt" if extra else ""),
            [CLUSTER_MADE[kind].format(ns=namespace)],
        )
    cls = MODELLED.get(key)
    if cls is None:
        return f"cnverify does not count {key}"
    objs = unowned(full, snap.in_namespace(cls, namespace))
    if cls is Job and snap.in_namespace(CronJob, namespace):
        return "each CronJob run creates a Job and finished Jobs are kept (history limits, overlapping runs)"
    n, says = len(objs), f"{len(objs)} {cls.KIND}(s) in the inputs"
    if cls is ReplicaSet:
        deps = snap.in_namespace(Deployment, namespace)
        kept = sum(
            (DEFAULT_REVISION_HISTORY if d.spec.revision_history_limit is None else d.spec.revision_history_limit) + 1
            for d in deps
        )
        if deps:
            n, says = (
                n + kept,
                says + f" + up to {kept} kept by {len(deps)} Deployment(s) (revisionHistoryLimit + 1 each)",
            )
    return Tally(1000 * n, says)


def tally_quota(
    full: Snapshot, snap: Snapshot, ob: Obligation, q: ResourceQuota
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """The static part of every key of ``q``: ``(milli by key, sentence by key, keys not counted)``. Each
    cluster-made assumption becomes an ``assumes:`` step; an uncounted key keeps ``ob`` from a proof."""
    tallies = {k: tally(full, snap, q.namespace, k) for k in sorted(q.spec.hard or {})}
    counted = {k: t for k, t in tallies.items() if isinstance(t, Tally)}
    for said in sorted({a for t in counted.values() for a in t.assumptions}):
        ob.assume(said, at=q.spec.at("hard"))
    uncounted = {k: t for k, t in tallies.items() if isinstance(t, str)}
    if uncounted:
        ob.only_refute("; ".join(f"{k}: {why}" for k, why in uncounted.items()))
    return {k: t.milli for k, t in counted.items()}, {k: t.says for k, t in counted.items()}, list(uncounted)


def _covered_claims(full: Snapshot, snap: Snapshot, namespace: str) -> dict[str, PersistentVolumeClaimTemplate]:
    """PVC names a StatefulSet's volumeClaimTemplates count at every reachable replica count:
    ``<template>-<statefulset>-<ordinal>`` (pkg/controller/statefulset/stateful_set_utils.go
    ``getPersistentVolumeClaimName``: ``fmt.Sprintf("%s-%s-%d")``) for the ordinals below
    ``start + minimum replicas``; a claim at a higher ordinal may be retained without a pod and counts."""
    from cnverify.properties._shared.owners import owner_in_inputs
    from cnverify.properties._shared.replicas import replica_range

    out: dict[str, PersistentVolumeClaimTemplate] = {}
    for sts in snap.in_namespace(StatefulSet, namespace):
        if owner_in_inputs(full, sts) or not sts.spec.volume_claim_templates:
            continue  # its pods (and claims) are not counted through its own replicas
        rng = replica_range(snap, sts)
        start = sts.spec.ordinals.start if sts.spec.ordinals is not None else 0
        for t in sts.spec.volume_claim_templates:
            for i in range(start, start + min(rng.low, 100_000)):
                out[f"{t.metadata.name}-{sts.name}-{i}"] = t
    return out


def _same_claim(pvc: PersistentVolumeClaim, t: PersistentVolumeClaimTemplate) -> bool:
    """Does the claim add what its template adds to every storage key (same class, same request)?"""

    def req(spec: object) -> int | None:
        raw = ((spec.resources.requests if spec.resources else None) or {}).get("storage")  # type: ignore[attr-defined]
        return milli(raw) if raw is not None else None

    return pvc.storage_class == t.storage_class and req(pvc.spec) == req(t.spec)


def _node_ports(s: Service) -> int:
    ports = s.spec.ports or []
    if s.spec.type == "NodePort" or (
        s.spec.type == "LoadBalancer" and s.spec.allocate_load_balancer_node_ports is not False
    ):
        return len(ports)
    if s.spec.type == "LoadBalancer":
        return sum(1 for p in ports if p.node_port)
    return 0


def _compute_like(key: str) -> bool:
    from cnverify.systems.kubernetes.quota import pod_usage  # one definition of the pod keys

    return pod_usage(key, {}, {}) is not None
