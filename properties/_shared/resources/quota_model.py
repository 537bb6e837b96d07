"""CNV302's worst case over the pods of the manifests (docs/SEMANTICS.md#resourcequota); no property here.

What one pod adds to a quota key, the scopes and the rollout surge are Kubernetes' semantics
(``cnverify.systems.kubernetes.quota``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import z3
from cnverify.encodings import zterms as zt
from cnverify.encodings.quantity import format_milli
from cnverify.encodings.resources import EffectiveContainer
from cnverify.errors import Span
from cnverify.model import Resource, ResourceQuota, pod_template
from cnverify.obligation import Obligation, conclusion
from cnverify.properties._shared.terms import deciding_here
from cnverify.systems.kubernetes.quota import Surge


@dataclass
class Member:
    """A workload of the quota's namespace: its reachable counts, surge and per-pod usage per key (milli)."""

    w: Resource
    low: int
    high: int | None
    open: str | None  # why the count is not bounded (then it is counted at ``low``)
    surge: Surge | None
    usage: dict[str, int]
    effs: list[EffectiveContainer]
    why: list[tuple[str, Span]]

    @property
    def key(self) -> str:
        return f"{self.w.KIND}/{self.w.name}"

    @property
    def top(self) -> int:
        return self.low if self.open or self.high is None else self.high


def evaluate(
    members: list[Member], static: dict[str, int], counts: dict[str, int], surges: dict[str, int]
) -> dict[str, int]:
    """Plain-Python quota usage (milli) when member ``m`` runs ``counts[m.key]`` replicas plus
    ``surges[m.key]`` surge pods; ``static`` holds the object-count keys."""
    out = dict(static)
    for m in members:
        pods = counts.get(m.key, 0) + surges.get(m.key, 0)
        for k, c in m.usage.items():
            out[k] = out.get(k, 0) + c * pods
    return out


def worst_case(
    members: list[Member], static: dict[str, int], *, surge: bool
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """The maximal usage over the reachable states (usage is monotone in every count): every member at
    its top count, with its surge when ``surge``.  Returns ``(totals, counts, surges)``."""
    counts = {m.key: m.top for m in members}
    surges = {m.key: m.surge.at_count(m.top) for m in members if surge and m.surge is not None}
    return evaluate(members, static, counts, surges), counts, surges


def headroom(
    hard: dict[str, int], totals: dict[str, int], counts: dict[str, int], surges: dict[str, int], open_keys: set[str]
) -> str:
    """The replica-range view: per key the worst-case total against hard, and where it is reached."""
    at = ", ".join(f"{k}={n}" + (f"+{surges[k]} surge" if surges.get(k) else "") for k, n in counts.items())
    parts = []
    for k in sorted(hard):
        if k in totals:
            ge = "≥ " if k in open_keys else ""
            room = hard[k] - totals[k]
            parts.append(
                f"{k} {ge}{format_milli(totals[k], k)} of {format_milli(hard[k], k)} "
                + (f"(headroom {format_milli(room, k)})" if room >= 0 else f"(over by {format_milli(-room, k)})")
            )
    return f"worst case {'; '.join(parts)} at {at or 'no pods'}"


#: The widest replica range whose update states are tabulated (an Argo Rollout's extra pods per count).
MAX_TABLE = 512


def tabulable(m: Member) -> str | None:
    """Why ``m``'s surge cannot be tabulated over its counts, or None."""
    if m.surge is None or m.surge.per_count is None or m.top - m.low < MAX_TABLE:
        return None
    return (
        f"{m.w.ref} may run {m.low}..{m.top} replicas: too many counts to enumerate its update states (> {MAX_TABLE})"
    )


def _table(n: z3.ArithRef, low: int, top: int, value: Callable[[int], int]) -> z3.ArithRef:
    """``value(n)`` for ``n`` in ``low..top`` as one if-then-else term (``value(top)`` beyond)."""
    term: z3.ArithRef = z3.IntVal(value(top))
    for k in range(top - 1, low - 1, -1):
        term = zt.ite(zt.eq(n, k), value(k), term)
    return term


def _peak_says(m: Member) -> str:
    assert m.surge is not None and m.surge.per_count is not None
    extra, state, _ = m.surge.per_count(m.top)
    return f"{m.surge.says}; at {m.top} replicas: +{extra} pods, {state}"


def _state_of(per_count: Callable[[int], tuple[int, str, Span]]) -> Callable[[Any], Any]:
    return lambda n: "no update in progress" if n == -1 else per_count(int(n))[1]


REFUTE = True
"""Refute a quota within its caps from its bound facts (tests turn it off to have Z3 decide the whole query)."""
GOAL = "some reachable replica assignment exceeds a hard limit"
WITHIN_CAPS = "every total at its worst case is within its cap"


def encode(
    ob: Obligation,
    q: ResourceQuota,
    raw: Mapping[str, object],
    hard: dict[str, int],
    members: list[Member],
    static: dict[str, int],
    static_says: dict[str, str],
) -> None:
    """One query: integer replica (and surge) variables with range facts, totals per key against hard.

    A quota within its caps is refuted from its bound facts instead, without search: each member's "at most N
    pods" and each key's total.  With every per-pod usage non-negative, a total is at most its constant plus
    each usage times the member's top count (``bound``); when that is within the cap for every key no assignment
    exceeds one.  These facts are a minimal core (without a key's total it is free, without a member's bound its
    pods are), not always the one Z3 would pick: where a member's count and pods facts bound it too, Z3 may name
    those.  Their terms are built only under ``--certify`` (``Obligation.refute``: Z3 checks them); else the
    chain is their steps."""
    counted = [(m, m.surge.at_count(m.top) if m.surge is not None else 0) for m in members if any(m.usage.values())]
    bound = {k: static.get(k, 0) for k in hard}
    per_pod: dict[str, list[str]] = {k: [] for k in hard}
    for m, extra in counted:
        for k, c in m.usage.items():
            if c:
                bound[k] += c * (m.top + extra)
                per_pod[k].append(f"{format_milli(c, k)} per {m.w.name} pod")
    monotone = all(c >= 0 for m, _ in counted for c in m.usage.values())  # else a total's bound is not at the top
    bounded = not any(m.open for m, _ in counted)  # an open member is counted at its minimum: a floor, no bound
    refuted = REFUTE and monotone and bounded and all(bound[k] <= hard[k] for k in hard)
    steps = [(m.why[-1][1], _at_most(m, extra)) for m, extra in counted]
    steps += [(q.spec.at("hard", k), _capped(q, raw, k, static, static_says, per_pod[k])) for k in sorted(hard)]
    if refuted and deciding_here():  # the chain's steps and the verdict, no term (not under --certify)
        for at, says in steps:
            ob.note(says, at)
        ob.decide(*conclusion("counterexample", False, GOAL, WITHIN_CAPS))
        return
    first = len(ob.facts)
    sums: dict[str, list[z3.ArithRef]] = {k: [] for k in hard}
    for (m, extra), (at, says) in zip(counted, steps, strict=False):
        per = zt.int_const(f"pods {m.key}") if refuted else _pods(ob, m)
        # Implied by the count, surge and pods facts (surge is monotone in the count); stated so that the
        # linear relaxation is exact and a proof needs no integer branching over the ceil constraints. With
        # the totals it refutes a quota within its caps alone: then the others are not built.
        ob.fact(zt.le(per, m.top + extra), at=at, says=says)
        for k, c in m.usage.items():
            if c:
                sums[k].append(zt.mul(c, per))
    totals = {k: zt.int_const(k) for k in hard}
    for k, (at, says) in zip(sorted(hard), steps[len(counted) :], strict=True):
        value = zt.add(static.get(k, 0), zt.total(sums[k]) if sums[k] else z3.IntVal(0))
        ob.fact(zt.eq(totals[k], value), at=at, says=says)
        if not refuted:
            ob.show(k, totals[k], partial(format_milli, resource=k))
    ob.counterexample(zt.disj([zt.gt(totals[k], hard[k]) for k in sorted(hard)]), says=GOAL)
    if refuted:
        ob.refute(range(first, len(ob.facts)), WITHIN_CAPS)


def _at_most(m: Member, extra: int) -> str:
    with_copy = f" with {m.surge.copy}" if m.surge and m.surge.copy else ""
    return f"so {m.w.ref} runs at most {m.top + extra} pods" + (
        f" ({m.top} + {extra} surge{with_copy})" if extra else ""
    )


def _capped(
    q: ResourceQuota,
    raw: Mapping[str, object],
    k: str,
    static: dict[str, int],
    static_says: dict[str, str],
    per_pod: list[str],
) -> str:
    shown = ([f"{format_milli(static[k], k)} ({static_says[k]})"] if k in static else []) + per_pod
    what = "the namespace total is " + (" + ".join(shown[:6]) + (" + …" if len(shown) > 6 else "") if shown else "0")
    return f"quota {q.name} caps {k} at {raw[k]}; {what}"


def _pods(ob: Obligation, m: Member) -> z3.ArithRef:
    """``m``'s count, surge and pods facts (what a breach's witness needs): the constant of its pods."""
    n = zt.int_const(m.key)
    if m.open:
        ob.fact(zt.eq(n, m.low), at=m.w.at("kind"), says=f"{m.w.ref} is counted at its minimum {m.low} ({m.open})")
    else:
        ob.fact(
            zt.conj([zt.ge(n, m.low), zt.le(n, m.top)]),
            at=m.why[-1][1],
            says=f"{m.w.ref}: " + "; ".join(s for s, _ in m.why),
        )
    ob.show(m.key, n)
    pods = n
    if m.surge is not None:
        g, roll = zt.int_const(f"maxSurge {m.key}"), zt.bool_const(f"rolling {m.key}")
        p, floor = m.surge.value, m.surge.floor
        plus = bool(m.surge.copy)  # a copy at the same count on top (a Flagger primary)
        g0 = zt.int_const(f"scaled surge {m.key}") if floor or plus else g
        if m.surge.percent:  # 100 * g0 >= p * n, 100 * g0 < p * n + 100 (each product built once)
            g100, pn = zt.mul(100, g0), zt.mul(p, n)
            scaled = zt.conj([zt.ge(g100, pn), zt.lt(g100, zt.add(pn, 100))])
        else:
            scaled = zt.eq(g0, p)
        if m.surge.per_count is not None:  # a table over the member's counts (an Argo Rollout's states)
            ob.fact(
                zt.eq(g, _table(n, m.low, m.top, m.surge.at_count)),
                at=m.surge.per_count(m.top)[2],
                says=_peak_says(m),
            )
            ob.show(f"state {m.key}", zt.ite(roll, n, -1), _state_of(m.surge.per_count))
        else:
            base = zt.ite(zt.ge(g0, floor), g0, floor) if floor else g0
            ob.fact(
                zt.conj([scaled, zt.eq(g, zt.add(base, n) if plus else base)]) if floor or plus else scaled,
                at=m.surge.at,
                says=m.surge.says,
            )
        surging = zt.ite(roll, g, 0)
        pods = zt.add(n, surging)
        ob.show(f"surge {m.key}", surging)
    per = zt.int_const(f"pods {m.key}")
    used = ", ".join(f"{k} {format_milli(c, k)}" for k, c in m.usage.items() if c)
    ob.fact(zt.eq(per, pods), at=pod_template(m.w).spec.at("containers"), says=f"each pod of {m.w.ref} uses {used}")
    return per
