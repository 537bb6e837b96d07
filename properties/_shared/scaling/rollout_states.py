"""An Argo Rollout's pods at each reachable update state as solver terms (CNV404); no property here.

The states themselves are the Argo adapter's (:func:`cnverify.systems.argo.states.rollout_states`).
"""

from __future__ import annotations

from collections.abc import Callable

import z3
from cnverify.model import WORKLOAD_KINDS, Resource, pod_template, template_known
from cnverify.model.argo import Rollout
from cnverify.obligation import Obligation
from cnverify.run_context import RunContext
from cnverify.snapshot import Snapshot
from cnverify.systems.argo.states import Role, State, role_labels, rollout_states
from cnverify.systems.argo.surge import describe, step_at

#: The most (replica count, state) pairs tabulated for one Rollout.
MAX_PAIRS = 4096
ROLES: tuple[Role, ...] = ("stable", "canary", "old")


def selected_pods(
    ob: Obligation, ro: Rollout, n: z3.ArithRef, low: int, high: int | None, selects: Callable[[dict[str, str]], bool]
) -> z3.ArithRef | str:
    """The pods of ``ro`` a selector picks (``selects(pod labels)``) in some reachable state at N = ``n``: a term
    over a state variable (shown in the witness as the state's name), or why the states are not enumerated."""
    if high is None or (high - low + 1) > MAX_PAIRS:
        return f"{ro.ref} may run {low}..{high if high is not None else '∞'} replicas: too many to enumerate its update states"
    table: dict[int, list[State]] = {}
    for k in range(low, high + 1):
        states = rollout_states(ro, k)
        if isinstance(states, str):
            return states
        table[k] = states
    width = max(len(s) for s in table.values())
    if (high - low + 1) * width > MAX_PAIRS:
        return f"{ro.ref}: {(high - low + 1) * width} (replica count, update state) pairs are too many to enumerate"
    picked = {role: selects(role_labels(ro, role)) for role in ROLES}

    def pods(s: State) -> int:
        return sum(s.count(role) for role in ROLES if picked[role])

    state = z3.Int(f"state {ro.KIND}/{ro.name}")
    term: z3.ArithRef = z3.IntVal(0)
    for k in range(high, low - 1, -1):
        row = table[k]
        inner: z3.ArithRef = z3.IntVal(pods(row[0]))
        for i in range(len(row) - 1, 0, -1):
            inner = z3.If(state == i, pods(row[i]), inner)
        term = inner if k == high else z3.If(n == k, inner, term)
    at_top = table[high]
    fewest = min(at_top, key=pods)
    roles = [r for r in ROLES if picked[r]]
    ob.fact(
        z3.And(state >= 0, z3.Or([z3.And(n == k, state < len(row)) for k, row in table.items()])),
        at=step_at(ro, fewest),
        says=f"{ro.ref}'s update passes through {len(at_top)} states at {high} replicas (steps, transitions, abort, "
        f"promotion); the selector picks its {', '.join(roles) or 'no'} pods; fewest: {pods(fewest)} in "
        f"{fewest.label} ({describe(fewest)})",
    )
    ob.show(
        f"state {ro.KIND}/{ro.name}",
        n * width + state,
        lambda v: (lambda s: f"{s.label}: {describe(s)}")(table[int(v) // width][int(v) % width]),
    )
    return term


def labelled_pods(ctx: RunContext, view: Snapshot, namespace: str) -> list[tuple[Resource, list[dict[str, str]]]]:
    """The workloads of ``namespace`` (``view``: its namespace view) whose template is known, in ``WORKLOAD_KINDS`` then
    input order, with their pods' label sets (``pod_label_sets``): once per run and namespace (every budget of the
    namespace scans the same)."""

    def compute() -> list[tuple[Resource, list[dict[str, str]]]]:
        return [(w, pod_label_sets(w)) for kind in WORKLOAD_KINDS for w in view.all(kind) if template_known(w)]

    return ctx.memo(("rollout_states.labelled_pods", namespace), compute, reads=WORKLOAD_KINDS)


def pod_label_sets(w: Resource) -> list[dict[str, str]]:
    """The label sets of a workload's pods: one per Rollout role (ephemeral metadata), else the template's."""
    if isinstance(w, Rollout):
        return [role_labels(w, role) for role in ROLES]
    return [pod_template(w).metadata.labels or {}]
