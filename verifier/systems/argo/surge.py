"""The extra pods a Rollout runs during an update, over its replica count N (docs/SEMANTICS.md#argo-rollouts).

The exact maximum over the update's reachable states (:func:`cnverify.systems.argo.states.rollout_states`): a
basic canary's steps and transitions (at most N + maxSurge), a traffic-routed canary's canary count at each step
(stable stays at N; ``setCanaryScale``; ``dynamicStableScale``), blue-green's preview and promotion.
"""

from __future__ import annotations

from functools import lru_cache

from cnverify.errors import Span
from cnverify.model.argo import Rollout
from cnverify.systems.argo.states import State, rollout_states
from cnverify.systems.kubernetes.quota import Surge


def peak(ro: Rollout, n: int) -> State | str:
    """The state with the most pods at N = ``n`` (the first such in update order), or why not modelled."""
    states = rollout_states(ro, n)
    if isinstance(states, str):
        return states
    return max(states, key=lambda s: s.pods)  # max keeps the first of equals


def step_at(ro: Rollout, s: State) -> Span:
    """Where a state is written: its step, else the strategy."""
    strategy = ro.spec.strategy
    steps = strategy.canary.steps if strategy.canary is not None else None
    if steps and s.step is not None and s.step < len(steps):
        return steps[s.step].at()
    return strategy.at("canary") if strategy.canary is not None else strategy.at("blueGreen")


def describe(s: State) -> str:
    """``stable 3 + canary 2`` (the roles with pods)."""
    parts = [f"{role} {s.count(role)}" for role in ("stable", "canary", "old") if s.count(role)]
    return " + ".join(parts).replace("old ", "previous stable ") or "no pods"


def rollout_surge(ro: Rollout) -> Surge | str:
    """The update's extra pods per replica count (a :class:`Surge` whose ``per_count`` names the peak state), or
    why they are not bounded by what the manifest says."""
    strategy = ro.spec.strategy
    probe = peak(ro, 1)
    if isinstance(probe, str):
        return probe

    @lru_cache(maxsize=1024)
    def per_count(n: int) -> tuple[int, str, Span]:
        s = peak(ro, n)
        assert not isinstance(s, str)  # the reason does not depend on N (checked at N = 1 above)
        return s.pods - n, f"{s.label}: {describe(s)}", step_at(ro, s)

    at = strategy.at("canary") if strategy.canary is not None else strategy.at("blueGreen")
    kind = "blue-green" if strategy.blue_green is not None else "canary"
    return Surge(
        0,
        False,
        at,
        f"{kind} update of {ro.name}: at each replica count the most pods run in the state with the most pods "
        "among its steps, transitions, abort and promotion (argo-rollouts canary.go / bluegreen.go)",
        per_count=per_count,
    )
