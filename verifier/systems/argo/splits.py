"""The weights an Argo Rollout writes into the Istio routes it manages, at each state of its update (CNV103).

``processRoutes`` (argoproj/argo-rollouts 9f8d111d ``rollout/trafficrouting/istio/istio.go``): the canary
destination gets the state's weight ``w``; the stable ``100 − w − Σ experiment weights − Σ additional-subset
weights``, clamped at 0 (the constant 100, not maxTrafficWeight); additional subsets keep their weights;
experiment Services are added with theirs; every other destination is deleted. Reported per route at the state
whose total is furthest from 100 (else the state with the largest canary weight), named in the chain.
"""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.model.argo import CanaryStep, Rollout
from cnverify.model.istio import VirtualService
from cnverify.snapshot import Snapshot
from cnverify.systems.argo.istio import Managed, Roles, managed, ref_path, vs_name
from cnverify.systems.argo.states import State, rollout_states
from cnverify.systems.argo.surge import step_at
from cnverify.systems.base import Share, Split
from cnverify.systems.routing.targets import lookup

READS = (Rollout, VirtualService)


def _experiment(step: CanaryStep | None) -> list[tuple[str, int]]:
    """``(template name, weight)`` of an experiment step's weighted templates (their Services get the weight)."""
    templates = (step.experiment or {}).get("templates") if step is not None else None
    out = []
    for t in templates if isinstance(templates, list) else []:
        w = t.get("weight") if isinstance(t, dict) else None
        if isinstance(w, int) and not isinstance(w, bool):
            out.append((str(t.get("name", "?")), w))
    return out


def written(ro: Rollout, roles: Roles, m: Managed, s: State) -> list[Share]:
    """The destinations and weights of route ``m`` after the Rollout writes state ``s``."""
    steps = ro.spec.strategy.canary.steps or [] if ro.spec.strategy.canary else []
    step = steps[s.step] if s.step is not None and s.step < len(steps) else None
    w = s.weight or 0
    exp = _experiment(step)
    dests = list(m.route.route or [])
    kept = sum(d.weight or 0 for d in dests if roles.role(d) == "additional")
    stable = max(0, 100 - w - sum(e for _, e in exp) - kept)
    at = step_at(ro, s)
    out = []
    for d in dests:
        role = roles.role(d)
        host = d.destination.host + (f"/{d.destination.subset}" if d.destination.subset else "")
        if role in ("canary", "stable"):
            value = w if role == "canary" else stable
            out.append(Share(f"{role} {host} (written at {s.label})", value, at, d.at()))
        elif role == "additional":
            out.append(Share(f"additional subset {host} (kept as written)", d.weight, d.at("weight"), d.at()))
    out += [Share(f"experiment {name} (added at {s.label})", e, at) for name, e in exp]
    return out


def splits(snap: Snapshot) -> Iterator[Split]:
    for ro in snap.all(Rollout):
        c = ro.spec.strategy.canary
        istio = c.traffic_routing.istio if c is not None and c.traffic_routing is not None else None
        if istio is None or ro.spec.strategy.blue_green is not None:
            continue
        states = rollout_states(ro, 1)  # the weights do not depend on the replica count
        if isinstance(states, str):
            continue
        weighted = [s for s in states if s.weight is not None]
        roles = Roles.of(ro, istio)
        for i, ref in enumerate(istio.services):
            ns, name = vs_name(ref, ro.namespace)
            found = lookup(snap, VirtualService, ns, name, ro)
            routes, errors = managed(ro, ref, found[0]) if found else ([], ["absent"])
            if errors:
                continue  # CNV102 reports the reference
            path = ref_path(istio, i)
            for m in routes:
                if roles.missing(list(m.route.route or [])):
                    continue
                options = [(s, written(ro, roles, m, s)) for s in weighted]
                worst = max(options, key=lambda o: (abs(sum(x.weight or 0 for x in o[1]) - 100), o[0].weight or 0))
                yield Split(
                    ro,
                    f"{path}.{m.kind}[{m.index}]",
                    ref.at("name"),
                    worst[1],
                    effect=f"at {worst[0].label} the Rollout writes these weights into {m.where} (stable clamped at "
                    "0: Istio rejects negative weights)",
                )
