"""Routing deltas: the symbolic product of an entry point's OLD and NEW first-match tables.

For one entry point, one ``SymbolicRequest`` is shared by both tables; ``old picks i`` is
"entry i matches and no earlier one does" (i = none: no entry matches, the proxy answers 404).
The request is routed differently when the action old picks differs from the action new
picks — compared by effective shares, so a reorder or a weight rescaling (1/9 vs 10/90) is
no change.  The solver enumerates the differing (old i, new j) pairs: each ``sat`` answer is
one pair with a witness request, the pair is then blocked and the query repeated; ``unsat``
on the first query is a proof of equivalence.  Tables equal on match IR and action (ids
ignored) are equivalent without the solver.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import z3
from cnverify import smt
from cnverify.encodings.http import (
    Entry,
    MatchTable,
    Request,
    SymbolicRequest,
    UnsupportedMatch,
    entry_formula,
    first_match,
)
from cnverify.encodings.regex import RegexError
from cnverify.errors import Span

MAX_DIFFERENCES = 32  # differing (old, new) pairs enumerated per entry point


@dataclass(frozen=True)
class Action:
    """What a route does: forward to weighted destinations, or another action (redirect, …)."""

    kind: str = "route"
    destinations: tuple[tuple[str, int], ...] = ()  # (destination, weight as written)
    detail: str = ""
    effects: tuple[tuple[str, str], ...] = ()  # (field, canonical JSON): rewrites, faults, retries, headers…

    def shares(self) -> dict[str, Fraction]:
        """Effective share of each destination (weights are relative; all zero → none served)."""
        total = sum(w for _, w in self.destinations)
        out: dict[str, Fraction] = {}
        for dest, w in self.destinations:
            out[dest] = out.get(dest, Fraction(0)) + (Fraction(w, total) if total else Fraction(0))
        return out

    def signature(self) -> tuple[Any, ...]:
        return (self.kind, self.detail, tuple(sorted(self.shares().items())), self.effects)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "route":
            out["destinations"] = [{"destination": d, "weight": w} for d, w in self.destinations]
            out["shares"] = {d: percent(s) for d, s in self.shares().items()}
        if self.detail:
            out["detail"] = self.detail
        if self.effects:
            out["effects"] = {k: json.loads(v) for k, v in self.effects}
        return out

    def describe(self) -> str:
        with_ = f" with {', '.join(k for k, _ in self.effects)}" if self.effects else ""
        if self.kind != "route":
            return f"{self.kind} {self.detail}".strip() + with_
        shares = self.shares()
        if len(shares) == 1:
            return f"→ {next(iter(shares))}{with_}"
        return "→ " + ", ".join(f"{d} {percent(s)}%" for d, s in shares.items()) + with_


def percent(share: Fraction) -> float | int:
    v = share * 100
    return int(v) if v.denominator == 1 else round(float(v), 2)


@dataclass(frozen=True)
class Route:
    """One entry of an entry point's table with its action, a readable label and its location."""

    entry: Entry
    action: Action
    label: str
    location: Span | None = None

    def signature(self) -> tuple[Any, ...]:
        return (self.entry.match, self.entry.hosts, self.action.signature())


Status = Literal["equivalent", "changed", "unknown"]


@dataclass
class Difference:
    """A request routed differently: the route each side takes (None: no route, 404)."""

    old: Route | None
    new: Route | None
    witness: Request


@dataclass
class RoutingDelta:
    key: str
    status: Status
    how: str
    old: list[Route]
    new: list[Route]
    differences: list[Difference] = field(default_factory=list)
    complete: bool = True  # every differing pair enumerated
    reason: str = ""

    @property
    def presence(self) -> str:
        return "added" if not self.old else "removed" if not self.new else "both"


def _picks(routes: list[Route], req: SymbolicRequest) -> list[z3.BoolRef]:
    """``picks[i]``: the request takes route i (first match); ``picks[-1]``: no route matches."""
    out: list[z3.BoolRef] = []
    earlier: list[z3.BoolRef] = []
    for r in routes:
        m = entry_formula(r.entry, req)
        out.append(z3.And(m, *[z3.Not(e) for e in earlier]) if earlier else m)
        earlier.append(m)
    out.append(z3.And(*[z3.Not(e) for e in earlier]) if earlier else z3.BoolVal(True))
    return out


NONE_SIG: tuple[Any, ...] = ("none",)


def _sig(routes: list[Route], i: int) -> tuple[Any, ...]:
    return routes[i].action.signature() if i < len(routes) else NONE_SIG


def compare(
    key: str, old: list[Route], new: list[Route], *, host: str | None = None, limit: int = MAX_DIFFERENCES
) -> RoutingDelta:
    """The routing delta of one entry point (see module docstring); ``host`` fixes the request's host.
    Each query of the enumeration is solved afresh under the run's budget (``cnverify.smt``)."""
    if [r.signature() for r in old] == [r.signature() for r in new]:
        return RoutingDelta(key, "equivalent", "identical tables (match IR and actions): no solver needed", old, new)
    tables = MatchTable(tuple(r.entry for r in old + new))
    req = SymbolicRequest.from_table(tables, tag="diff")
    try:
        po, pn = _picks(old, req), _picks(new, req)
    except (UnsupportedMatch, RegexError) as exc:
        return RoutingDelta(key, "unknown", "not encoded", old, new, reason=f"unsupported match: {exc}")
    sigs = {_sig(old, i) for i in range(len(po))} | {_sig(new, j) for j in range(len(pn))}
    differ = z3.Or(
        [
            z3.And(
                z3.Or([po[i] for i in range(len(po)) if _sig(old, i) == s] or [z3.BoolVal(False)]),
                z3.Not(z3.Or([pn[j] for j in range(len(pn)) if _sig(new, j) == s] or [z3.BoolVal(False)])),
            )
            for s in sigs
        ]
    )
    query = [*req.domain(), differ] + ([req.host == z3.StringVal(host)] if host is not None else [])
    delta = RoutingDelta(key, "changed", "solver: sat", old, new)
    while True:
        answer = smt.check(query, preprocess=True)
        if answer.result == "unsat":
            if not delta.differences:
                delta.status, delta.how = "equivalent", "no request is routed differently (solver: unsat)"
            return delta
        if answer.result != "sat":
            delta.complete = False
            delta.reason = f"solver gave no answer ({answer.reason})"
            if not delta.differences:
                delta.status, delta.how = "unknown", "not decided"
            return delta
        model = answer.model
        assert model is not None
        i = next(k for k, p in enumerate(po) if z3.is_true(model.eval(p, model_completion=True)))
        j = next(k for k, p in enumerate(pn) if z3.is_true(model.eval(p, model_completion=True)))
        witness = req.witness(model)
        _confirm(old, new, i, j, witness)
        delta.differences.append(
            Difference(old[i] if i < len(old) else None, new[j] if j < len(new) else None, witness)
        )
        if len(delta.differences) >= limit:
            delta.complete = False
            delta.reason = f"stopped after {limit} differing route pairs"
            return delta
        query.append(z3.Not(z3.And(po[i], pn[j])))


def _confirm(old: list[Route], new: list[Route], i: int, j: int, w: Request) -> None:
    """The evaluator must route the witness as the solver says (a disagreement is a bug)."""
    for routes, k in ((old, i), (new, j)):
        got = first_match(MatchTable(tuple(r.entry for r in routes)), w)
        want = routes[k].entry if k < len(routes) else None
        if got is not want and got != want:
            raise AssertionError(f"witness {w} takes {got} in the evaluator, {want} in Z3")


def _owners(routes: list[Route]) -> list[str]:
    """The resources a variant's routes come from, in order (route ids are ``Kind/ns/name:path``)."""
    return list(dict.fromkeys(r.entry.route_id.split(":", 1)[0] for r in routes))


def _pairs(ov: list[list[Route]], nv: list[list[Route]]) -> list[tuple[list[Route], list[Route]]]:
    """Which old and new orders can occur together.  Orders are permutations of resources by
    their (unknown) creation times: when both sides list the same permutations of the same
    resources, each old order goes with the new order of the same permutation; otherwise any
    old order may meet any new one."""
    if len(ov) == len(nv) and all(_owners(a) == _owners(b) for a, b in zip(ov, nv, strict=True)):
        return list(zip(ov, nv, strict=True))
    return [(a, b) for a in ov for b in nv]


def diff_tables(
    old: dict[str, list[list[Route]]],
    new: dict[str, list[list[Route]]],
    hosts: dict[str, str] | None = None,
    **options: Any,
) -> list[RoutingDelta]:
    """Deltas of every entry point of either side (a missing side is an empty table).

    Each side may hold several variants (orders that depend on creation time): the first
    variants are compared; "equivalent" stands only if every pair of orders that can occur
    together (``_pairs``) is equivalent, otherwise the verdict is unknown.
    """
    out = []
    for key in sorted(set(old) | set(new)):
        ov, nv = old.get(key) or [[]], new.get(key) or [[]]
        options["host"] = (hosts or {}).get(key)
        try:
            delta = compare(key, ov[0], nv[0], **options)
        except Exception as exc:  # an encoding bug must not hide the other entry points
            out.append(
                RoutingDelta(
                    key, "unknown", "not decided", ov[0], nv[0], reason=f"internal error ({type(exc).__name__}: {exc})"
                )
            )
            continue
        if delta.status == "equivalent" and (len(ov) > 1 or len(nv) > 1):
            for a, b in _pairs(ov, nv)[1:] if _pairs(ov, nv)[0] == (ov[0], nv[0]) else _pairs(ov, nv):
                if compare(key, a, b, **options).status != "equivalent":
                    delta.status, delta.how = "unknown", "depends on creation order"
                    delta.reason = (
                        "the routes' order depends on creation times the manifests do not fix, "
                        "and one order routes differently"
                    )
                    break
        out.append(delta)
    return out
