"""CNV302 quota-holds-under-scaling."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.encodings.quantity import format_milli, milli
from cnverify.model import (
    WORKLOAD_KINDS,
    HorizontalPodAutoscaler,
    LimitRange,
    Resource,
    ResourceQuota,
    RuntimeClass,
)
from cnverify.model.flagger import Canary
from cnverify.obligation import Obligation
from cnverify.properties._shared.namespaces import namespace_view
from cnverify.properties._shared.resources import swarm_capacity
from cnverify.properties._shared.resources.nomad_quota import NOMAD_KINDS, nomad_capacity
from cnverify.properties._shared.resources.quota_members import quota_members, rejected_pods
from cnverify.properties._shared.resources.quota_model import encode, headroom, worst_case
from cnverify.properties._shared.resources.quota_objects import (
    MODELLED,
    is_storage_key,
    tally_quota,
)
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.snapshot import Snapshot
from cnverify.systems.kubernetes.quota import pod_usage


@register
class QuotaHoldsUnderScaling(Property):
    """
    ## What it proves
    For every ResourceQuota, at every replica count each workload of its namespace can run (HPA range, else
    `spec.replicas`, 0 for a disabled HPA) plus the extra pods of a rolling update (Deployment `maxSurge`,
    default 25% rounded up; none for `Recreate`; an Argo Rollout's extra pods in the state of its update with the
    most pods, over each step, transition, abort and promotion: a basic canary's weights approximated by replica
    counts within `maxSurge`, a traffic-routed canary's count at each step beside the full stable (`setCanaryScale`,
    `minPodsPerReplicaSet`, `dynamicStableScale`), blue-green's preview and promotion; the witness names the state;
    a Flagger Canary's target: its generated primary at the same count plus the surge), the namespace totals of
    `requests.*`, `limits.*`, bare
    `cpu`/`memory`/`ephemeral-storage`, hugepages, extended resources, `pods`/`count/pods`, storage
    (`requests.storage`, `persistentvolumeclaims`, per storage class: the PVCs of the inputs plus each
    StatefulSet's `volumeClaimTemplates` × replicas) and object counts (Services by type and node ports,
    ConfigMaps, Secrets, the modelled kinds, a Deployment's kept ReplicaSets) stay within `spec.hard`; and
    every container states each cpu/memory value the quota tracks (after LimitRange defaults), since the API
    server rejects pods that do not. A key cnverify does not count makes a proof `unknown`. Objects whose
    controlling owner is in the inputs (a `kubectl get` dump's ReplicaSets and Pods) are counted once,
    through their owner. A Docker Swarm stack (a compose project declaring its nodes in `x-cnverify-swarm`): its
    tasks — `deploy.replicas`, one per eligible node for `global`, plus `parallelism` more during a
    `start-first` update or rollback — fit the nodes by their reservations, placement constraints and
    `max_replicas_per_node` (violated: no placement exists; proved: every task finds a node in any order SwarmKit
    places them; else `unknown` with a placement); a project that reserves resources but declares no nodes is
    `unknown`.

    A Nomad quota specification (Enterprise) limits, per region, the sum of the `resources` (cpu MHz, memory,
    memory_max MB) of the allocations of the namespaces whose namespace specification names it: every task group
    there at its top count (`scaling.max`, else `count`) plus its deployment's canaries; a breach that needs
    `max_parallel` replacements to overlap the old allocations is `unknown` (undocumented). A Nomad group whose
    namespace no quota spec in the inputs limits is `unknown`, with its worst state.

    ## Why it matters
    Quota is enforced on pods, not on Deployments: a rollout or an HPA scale-up that crosses `hard` leaves
    ReplicaSets stuck on "exceeded quota" exactly when capacity is needed.

    ## Evidence
    Violated: the replica assignment (and surge) with the totals against `hard`, saying whether the breach
    needs the surge. Proved and violated both show the worst case per key and its headroom. A proof rests on
    each workload's "at most N pods" and each key's total: every total at its worst case is within its cap, no
    search (`--certify` has Z3 confirm that those facts refute every assignment); a breach is found by one solver
    query per quota over integer replica variables. Scopes other than BestEffort/NotBestEffort, and DaemonSets or
    CronJobs contributing to a key, are `unknown` unless a breach exists without them.

    ## Example
    ```yaml
    hard: {requests.cpu: "4"}   # web: 500m × HPA max 10 = 5 → violated at web=10
    ```

    ## Assumes
    - The namespace holds only the inputs' objects and what controllers create from them as modelled (a
      Deployment's surge pods and kept ReplicaSets, an Argo Rollout's canary / preview pods, StatefulSet claims);
      unmodelled kinds that may create pods
      or objects make a proof `unknown`.
    - A Deployment a Flagger Canary targets runs beside its generated primary (a copy at the same replica range,
      its HPA a copy of the target's) during an analysis, and one of the two rolls at a time (the primary's
      promotion or the target's update): the primary is counted as the target's surge.
    - An Argo Rollout runs one update at a time: a new revision started while an older ReplicaSet waits out its
      scale-down delay adds that ReplicaSet's pods (an `assumes:` chain step per Rollout).
    - Cluster-made objects: ConfigMap `kube-root-ca.crt` is counted; "no other controller adds ConfigMaps /
      Secrets" is an `assumes:` chain step.
    - RuntimeClass overhead comes from the RuntimeClass in the inputs; a class that is not there makes a
      proof `unknown`. A claim without a storage class gets the cluster's default class: class keys `unknown`.
    - A Nomad quota's namespaces run only the inputs' jobs in its region; Nomad injects a Connect sidecar with its
      documented resources (250 MHz, 128 MB, `sidecar_task` merged over them); reserved `cores` and tasks without
      `memory_max` make a cpu / memory_max proof `unknown`.
    - ResourceQuota, LimitRanger and RuntimeClass admission are enabled; no mutating webhook (VPA) rewrites
      requests; `count/pods` assumes no failed or evicted pods linger in storage.
    - Swarm: the nodes of `x-cnverify-swarm` are the swarm's, with the resources their engines report, and run
      no task of another stack (an `assumes:` chain step).
    """

    code = "CNV302"
    name = "quota-holds-under-scaling"
    title = "ResourceQuota holds at every replica count"
    severity = "error"
    reads = (
        ResourceQuota,
        *WORKLOAD_KINDS,
        HorizontalPodAutoscaler,
        LimitRange,
        RuntimeClass,
        *{c for c in MODELLED.values()},
        Canary,
        *swarm_capacity.READS,
        *NOMAD_KINDS,
    )
    remediation = "Raise the quota, lower requests, or cap HPA maxReplicas / maxSurge so the worst case fits."
    closed_world = frozenset({"proved"})  # absent here may be in an unread document

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        models: tuple[type[Resource], ...] = (
            *WORKLOAD_KINDS,
            HorizontalPodAutoscaler,
            LimitRange,
            RuntimeClass,
            *MODELLED.values(),
            Canary,
        )
        for cls in models:
            snap.all(cls)
        for q in snap.all(ResourceQuota):
            ob = self.obligation(q, at=q.spec.at("hard"))
            creators = [o for o in snap.pod_creators(q.namespace) if not o.counted_with]  # else: counted in surge
            if creators and q.spec.hard:
                ob.only_refute(
                    f"{'; '.join(o.who for o in creators[:3])} may run pods or create objects in "
                    f"namespace {q.namespace} (not modelled) that this quota also counts"
                )
            yield self._check(snap, namespace_view(snap, q.namespace), ob, q)
        yield from swarm_capacity.obligations(self, ctx)  # a Swarm stack against its node inventory
        yield from nomad_capacity(self.obligation, snap)

    def _check(self, full: Snapshot, snap: Snapshot, ob: Obligation, q: ResourceQuota) -> Obligation:
        raw = q.spec.hard or {}
        hard = {k: milli(v) for k, v in raw.items()}
        compute = sorted(k for k in hard if pod_usage(k, {}, {}) is not None or is_storage_key(k))
        static, static_says, uncounted = tally_quota(full, snap, ob, q)
        skip = f" (not counted: {', '.join(uncounted)})" if uncounted else ""
        if not compute and not static:
            ob.decide("proved", f"the quota tracks no key that pods or manifest objects use{skip}")
            return ob
        members = quota_members(full, snap, ob, q, compute)
        if members is None:
            return ob
        if rejected_pods(ob, q, members, compute):
            return ob
        open_keys = {k for m in members if m.open for k in compute if m.usage[k] > 0}
        zero = {k: 0 for k in compute}
        worst, counts, surges = worst_case(members, static, surge=True)
        worst, flat = {**zero, **worst}, {**zero, **worst_case(members, static, surge=False)[0]}
        view = headroom(hard, worst, counts, surges, open_keys)
        ob.note(f"replica-range view of namespace {q.namespace}: {view}", at=q.spec.at("hard"))
        if not any(worst[k] > hard[k] for k in worst) and open_keys:
            opened = sorted({m.w.ref for m in members if m.open})
            ob.unknown(
                f"{', '.join(opened)} run an unknown number of pods contributing to {', '.join(sorted(open_keys))}"
            )
            return ob
        checked = {k: hard[k] for k in (*compute, *static)}
        encode(ob, q, raw, checked, members, static, static_says)  # within every cap: proved without search
        needs_surge = not any(flat[k] > hard[k] for k in flat)
        names = {m.key for m in members} | {f"{k} {m.key}" for m in members for k in ("surge", "state")}
        ob.on(
            violated=lambda w: (
                (
                    "at " + ", ".join(f"{k}={v}" for k, v in w.items() if k in names and v) + ": "
                    if any(k in names and v for k, v in w.items())
                    else ""
                )
                + "; ".join(
                    f"{k} {w[k]} > hard {format_milli(hard[k], k)}" for k in sorted(checked) if milli(w[k]) > hard[k]
                )
                + (" (only during a rollout: the breach needs the maxSurge pods)" if needs_surge else "")
                + skip
            ),
            proved=f"quota {q.name} holds at every reachable replica count: {view}{skip}",
        )
        return ob
