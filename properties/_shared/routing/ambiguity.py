"""Order-dependence of Istio route tables (CNV106): a request two VirtualServices route differently depending on
the order Istio picks, or a proof that no such request exists."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import TypeVar

from cnverify.encodings.http import Entry, Request, Rewrite, UnsupportedMatch
from cnverify.encodings.http_ir import entry_matches, routed
from cnverify.encodings.http_precheck import candidates, disjoint
from cnverify.encodings.regex import RegexError
from cnverify.systems.routing.tables import Results, Table

T = TypeVar("T")
NO_REWRITE = Rewrite()


def firsts(orders: Sequence[Sequence[Entry]], r: Request) -> list[Entry | None]:
    """For each order, ``first_match`` of a table of those entries on ``r``, None where it raises (an entry
    before the first match cannot be evaluated) — each entry evaluated at most once: a table's orders hold
    the same entries."""
    return Firsts(orders)(r)


_UNSET = object()


class Firsts:
    """`firsts` over one table's orders, prepared once for every request asked: the distinct entries (by identity)
    and each order as their positions."""

    def __init__(self, orders: Sequence[Sequence[Entry]]) -> None:
        self.entries: list[Entry] = []
        place: dict[int, int] = {}
        self.orders: list[list[int]] = []
        for order in orders:
            row = []
            for e in order:
                k = place.get(id(e))
                if k is None:
                    k = place[id(e)] = len(self.entries)
                    self.entries.append(e)
                row.append(k)
            self.orders.append(row)

    def __call__(self, r: Request) -> list[Entry | None]:
        seen = routed(NO_REWRITE, r)  # first_match's view of the request (a table without rewrite)
        if seen is None:
            return [None] * len(self.orders)
        outcome: list[object] = [_UNSET] * len(self.entries)  # matches, None: cannot be evaluated
        out: list[Entry | None] = []
        for row in self.orders:
            hit = None
            for k in row:
                o = outcome[k]
                if o is _UNSET:
                    o = outcome[k] = _matches(self.entries[k], seen)
                if o is None:
                    break
                if o:
                    hit = self.entries[k]
                    break
            out.append(hit)
        return out


def _matches(e: Entry, seen: Request) -> bool | None:
    try:
        return entry_matches(e, seen)
    except (UnsupportedMatch, RegexError):
        return None


def _requests(res: Results, table: Table) -> Iterator[Request]:
    """Requests worth trying: the table's reachability witnesses, then requests built from its literals."""
    first: dict[str, Entry] = {}  # each clause's entry where it first occurs
    for v in [*table.variants, *table.alone.values()]:
        for e in v:
            first.setdefault(e.clause_id, e)
    for key in sorted(first):
        for o in res.outcomes.get(key, []):
            if o.table is table and o.verdict.witness is not None:
                yield o.verdict.witness
    for key in sorted(first):
        yield from candidates(first[key])


def _owner(res: Results, e: Entry | None, per_route: bool = False) -> str | None:
    """Who an entry belongs to: its object, or (``per_route``: routes of one object ordered by the system) its route."""
    if e is None or e.clause_id not in res.clauses:
        return None if e is None else e.clause_id
    c = res.clauses[e.clause_id]
    return c.route_key if per_route else c.subject.ref


def label(res: Results, e: Entry) -> str:
    c = res.clauses[e.clause_id]
    return c.route_label + (f" {c.clause_path.rsplit('.', 1)[-1]}" if c.n_clauses > 1 else "")


def first_pair(hits: Sequence[T], owners: Sequence[Hashable]) -> tuple[T, T] | None:
    """The first ``a`` of ``hits`` with a ``b`` of another owner, and the first such ``b`` (``owners[k]`` owns
    ``hits[k]``): the first hit itself when any hit has another owner, since no hit has one unless it does."""
    b = next((h for h, o in zip(hits, owners, strict=True) if o != owners[0]), None)
    return None if b is None else (hits[0], b)


def conflict(res: Results, table: Table, per_route: bool = False) -> tuple[Request, Entry, Entry] | None:
    """A request two owners route differently depending on the order Istio picks, with both entries."""
    owners: dict[int, str | None] = {}  # id(entry) → `_owner` (the table's entries, asked again per request)

    def owner(e: Entry) -> str | None:
        if id(e) not in owners:
            owners[id(e)] = _owner(res, e, per_route)
        return owners[id(e)]

    first = Firsts(list(table.alone.values()) if table.exclusive else table.variants)
    for r in _requests(res, table):
        if r.problems():
            continue
        if table.exclusive:
            hits = [e for e in first(r) if e is not None]
        else:
            hits = [e for e in first(r) if e is not None and e.clause_id in res.clauses]
        pair = first_pair(hits, [owner(h) for h in hits])
        if pair is not None:
            return r, *pair
    return None


def order_settled(res: Results, table: Table, per_route: bool = False) -> bool:
    """Every two entries of different owners that may share a request keep their relative order in every
    variant (so the earliest entry a request matches is the same in all of them)."""
    pos = [{e.clause_id: i for i, e in enumerate(v)} for v in table.variants]
    entries = {e.clause_id: e for v in table.variants for e in v if e.clause_id in res.clauses}
    keys = sorted(entries)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            same = _owner(res, entries[a], per_route) == _owner(res, entries[b], per_route)
            if same or disjoint(entries[a], entries[b]):
                continue
            if not all(a in p and b in p for p in pos) or len({p[a] < p[b] for p in pos}) > 1:
                return False
    return True
