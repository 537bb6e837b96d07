"""CNV302's members: the workloads a ResourceQuota counts, and the pods it rejects (docs/SEMANTICS.md#resourcequota);
no property here (split from the property module)."""

from __future__ import annotations

from cnverify.encodings.resources import pod_level_resources, pod_limits, pod_requests
from cnverify.model import WORKLOAD_KINDS, CronJob, Job, Pod, ResourceQuota, Rollout, pod_template, template_known
from cnverify.obligation import Obligation
from cnverify.properties._shared.owners import owner_in_inputs
from cnverify.properties._shared.replicas import replica_range
from cnverify.properties._shared.resources.effective import containers_of, runtime_overhead
from cnverify.properties._shared.resources.quota_model import Member, tabulable
from cnverify.properties._shared.resources.quota_objects import claim_usage, is_storage_key, statefulset_claims
from cnverify.snapshot import Snapshot
from cnverify.systems.kubernetes.quota import in_scope, missing_values, pod_usage, scope_filter, surge_of


def quota_members(
    full: Snapshot, snap: Snapshot, ob: Obligation, q: ResourceQuota, compute: list[str]
) -> list[Member] | None:
    """The workloads of ``snap`` (the quota's namespace view of ``full``) the quota counts, with their reachable
    counts, surge and per-pod usage of the ``compute`` keys; None (``ob`` decided ``unknown``) when one cannot be
    counted."""
    scopes, why = scope_filter(q)
    if why:
        ob.unknown(why)
        return None
    out: list[Member] = []
    for kind in WORKLOAD_KINDS:
        for w in snap.all(kind):
            if owner_in_inputs(full, w) or not template_known(w):
                continue  # its owner's replicas and surge count its pods / an unknown template: a pod creator
            effs = containers_of(full, w)
            surge = surge_of(w, full)
            reason = next((ec.unknown for ec in effs if ec.unknown), None) or (
                surge if isinstance(surge, str) else None
            )
            if reason or isinstance(surge, str):  # surge_of's reasons are never empty
                ob.unknown(f"{w.ref}: {reason}")
                return None
            if not in_scope(scopes, effs):
                continue
            if isinstance(w, Rollout):
                ob.assume(
                    f"{w.ref} runs one update at a time (a revision started while an older ReplicaSet "
                    "waits out its scale-down delay adds that ReplicaSet's pods)",
                    at=w.spec.at("strategy"),
                )
            if isinstance(w, Pod) and w.terminal and w.status is not None:  # terminal: status set
                # pods.go podUsageHelper: only count/pods for a finished pod
                ob.note(
                    f"{w.ref} has status.phase {w.status.phase}: quota charges it only to count/pods",
                    w.status.at("phase"),
                )
                usage = {k: 1000 if k == "count/pods" else 0 for k in compute}
                out.append(
                    Member(w, 1, 1, None, None, usage, [], [(f"{w.ref} is one finished pod", w.status.at("phase"))])
                )
                continue
            podlevel = pod_level_resources(w)
            if podlevel and any(k not in ("pods", "count/pods") and not is_storage_key(k) for k in compute):
                ob.unknown(podlevel)  # the pods' compute usage (and "must specify") is not modelled
                return None
            spec, rng = pod_template(w).spec, replica_range(snap, w)
            charged = any(k not in ("pods", "count/pods") and not is_storage_key(k) for k in compute)
            overhead = runtime_overhead(full, ob, w, spec, charged=charged)
            reqs, lims = pod_requests(effs, overhead), pod_limits(effs, overhead)
            high = rng.high  # a Job's completions already cap it (replica_range)
            if "count/pods" in compute and isinstance(w, (Job, CronJob)):
                ob.only_refute(f"count/pods also counts the finished pods of {w.ref}, which stay in storage")
            usage = {k: pod_usage(k, reqs, lims) or 0 for k in compute if not is_storage_key(k)}
            for k in filter(is_storage_key, compute):
                claims = claim_usage(k, statefulset_claims(w))
                if isinstance(claims, str):  # counted at 0, a lower bound: a breach still stands
                    ob.only_refute(f"{w.ref}: {claims}")
                usage[k] = claims if isinstance(claims, int) else 0
            member = Member(
                w,
                rng.low,
                high,
                rng.unknown or (None if rng.high is not None else "unbounded"),
                surge,
                usage,
                effs,
                rng.why,
            )
            if why := tabulable(member):
                ob.unknown(why)
                return None
            out.append(member)
    return out


def rejected_pods(ob: Obligation, q: ResourceQuota, members: list[Member], compute: list[str]) -> bool:
    """Decide ``ob`` violated when a member's pods state no value of a tracked key (the API server rejects them:
    "must specify"); True when it did."""
    rejected = [(m, k, miss) for m in members if m.high != 0 for k in compute if (miss := missing_values(k, m.effs))]
    if rejected:
        for m, k, miss in rejected:
            ob.note(
                f"{m.w.ref}: {', '.join(miss)} state{'s' * (len(miss) == 1)} no {k} value, even after defaults",
                at=pod_template(m.w).spec.at("containers"),
            )
        m, k, miss = rejected[0]
        ob.decide(
            "violated",
            f'quota {q.name} tracks {k}, so the API server rejects these pods: "must specify {k}"',
            witness={"workload": m.w.ref, "missing": k, "containers": miss},
        )
        ob.on(
            violated=f'pods of {m.w.ref} are rejected ("must specify {k}"): quota {q.name} tracks {k} and '
            f"{', '.join(miss)} state{'s' * (len(miss) == 1)} no such value"
        )
        return True
    return False
