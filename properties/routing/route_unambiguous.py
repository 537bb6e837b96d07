"""CNV106 route-unambiguous."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cnverify.encodings.http import Entry, MatchTable, Request, UnsupportedMatch, first_match
from cnverify.encodings.http_precheck import candidates, disjoint
from cnverify.encodings.regex import RegexError
from cnverify.model import Resource
from cnverify.obligation import Obligation
from cnverify.properties.routing.tables import Results, Table, reads, results
from cnverify.registry import Property, register
from cnverify.snapshot import Snapshot


def _first(entries: list[Entry], r: Request) -> Entry | None:
    try:
        return first_match(MatchTable(tuple(entries)), r)
    except (UnsupportedMatch, RegexError):
        return None


def _requests(res: Results, table: Table) -> Iterator[Request]:
    """Requests worth trying: the table's reachability witnesses, then requests built from its literals."""
    keys = {e.clause_id for v in [*table.variants, *table.alone.values()] for e in v}
    for key in sorted(keys):
        for o in res.outcomes.get(key, []):
            if o.table is table and o.verdict.witness is not None:
                yield o.verdict.witness
    for key in sorted(keys):
        entry = next(e for v in [*table.variants, *table.alone.values()] for e in v if e.clause_id == key)
        yield from candidates(entry)


def _owner(res: Results, e: Entry | None) -> str | None:
    return None if e is None else res.clauses[e.clause_id].subject.ref if e.clause_id in res.clauses else e.clause_id


def _label(res: Results, e: Entry) -> str:
    c = res.clauses[e.clause_id]
    return c.route_label + (f" {c.clause_path.rsplit('.', 1)[-1]}" if c.n_clauses > 1 else "")


def conflict(res: Results, table: Table) -> tuple[Request, Entry, Entry] | None:
    """A request two owners route differently depending on the order Istio picks, with both entries."""
    for r in _requests(res, table):
        if r.problems():
            continue
        if table.exclusive:
            hits = [e for e in (_first(v, r) for v in table.alone.values()) if e is not None]
        else:
            hits = [e for e in (_first(v, r) for v in table.variants) if e is not None and e.clause_id in res.clauses]
        for a in hits:
            b = next((b for b in hits if _owner(res, b) != _owner(res, a)), None)
            if b is not None:
                return r, a, b
    return None


def order_settled(res: Results, table: Table) -> bool:
    """Every two entries of different owners that may share a request keep their relative order in every
    variant (so the earliest entry a request matches is the same in all of them)."""
    pos = [{e.clause_id: i for i, e in enumerate(v)} for v in table.variants]
    entries = {e.clause_id: e for v in table.variants for e in v if e.clause_id in res.clauses}
    keys = sorted(entries)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            if _owner(res, entries[a]) == _owner(res, entries[b]) or disjoint(entries[a], entries[b]):
                continue
            if not all(a in p and b in p for p in pos) or len({p[a] < p[b] for p in pos}) > 1:
                return False
    return True


@register
class RouteUnambiguous(Property):
    """
    ## What it proves
    No request's route depends on which of several Istio VirtualServices for one host wins: on
    sidecars at most one VirtualService defines a host (Istio uses only the first, by creation
    time, and drops the others' routes for that host); on a gateway, VirtualServices whose order
    the manifests do not fix (no creation timestamps) never match the same request.

    ## Why it matters
    Istio accepts both objects without an error; which one serves a request then depends on
    which was created first, so a re-apply, a restore from backup or a cluster migration silently
    swaps the routing (a security route that guarded `/admin` in one cluster is gone in the next).

    ## Evidence
    Violated: the two VirtualServices, the routes of each that match, and a request both take
    (when one is found). Proved: the orders cannot disagree (pairwise disjoint matches, or one
    VirtualService per host). Tables where no such request is found nor excluded are `unknown`.

    ## Example
    ```yaml
    # two VirtualServices for host reviews on sidecars: only the older one is used
    kind: VirtualService
    metadata: {name: reviews-a}
    spec: {hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v1}}]}]}
    ---
    kind: VirtualService
    metadata: {name: reviews-b}
    spec: {hosts: [reviews], http: [{match: [{uri: {prefix: /admin}}], route: [{destination: {host: admin}}]}]}
    ```
    """

    code = "CNV106"
    name = "route-unambiguous"
    title = "No route depends on VirtualService creation order"
    severity = "warning"
    reads = reads()
    remediation = "Merge the VirtualServices for the host into one (or make their matches disjoint)."

    def obligations(self, snap: Snapshot) -> Iterator[Obligation]:
        res = results(snap)
        for table in res.tables:
            if table.system == "istio" and len(table.owners) > 1 and (table.exclusive or len(table.variants) > 1):
                yield self._check(res, table)

    def _check(self, res: Results, table: Table) -> Obligation:
        owners: list[Resource] = table.owners
        found = conflict(res, table)
        pair = owners[:2] if found is None else [res.clauses[e.clause_id].subject for e in found[1:]]
        ob = self.obligation(pair[1], at=pair[1].spec.at("hosts"), path="spec.hosts")  # type: ignore[attr-defined]
        ob.note(f"entry point: {table.name}", table.at)
        for says, at in table.defaults:
            ob.note(says, at)
        names = " and ".join(f"{o.namespace}/{o.name}" for o in pair) + (
            f" (of {len(owners)})" if len(owners) > 2 and found is None else "")
        witness: dict[str, Any] | None = None
        if found is not None:
            r, a, b = found
            req = r.to_json()
            req.pop("port", None)
            if table.host_sample:
                req["host"] = table.host_sample
            witness = {"request": req, "routes": [_label(res, a), _label(res, b)]}
            for e in (a, b):
                ob.note(f"{_label(res, e)} matches the request", res.clauses[e.clause_id].clause_at)
        verdict, claim = "unknown", (f"no request was found nor excluded that VirtualServices {names} route "
                                     f"differently depending on creation order ({table.name})")
        if table.exclusive:
            pick = table.order_note or f"Istio uses the oldest, {owners[0].namespace}/{owners[0].name}"
            where, host = table.name.rsplit(", host ", 1)
            verdict, claim = "violated", (f"VirtualServices {names} both define host {host} for {where}: only one is "
                                          f"used ({pick}); the other's routes for the host are dropped")
        elif witness is not None:
            verdict, claim = "violated", (f"VirtualServices {names} route the same request differently depending "
                                          f"on what the manifests do not fix ({table.name}): {table.order_note}")
        elif order_settled(res, table):
            verdict, claim = "proved", (f"every request VirtualServices {names} could both take goes to the same "
                                        f"route in every order ({table.name})")
        if verdict == "unknown":
            ob.unknown(claim)
        else:
            ob.decide(verdict, claim, witness=witness)  # type: ignore[arg-type]
        ob.on(violated=claim, proved=claim)
        return ob
