"""Istio VirtualService → match tables: one per (gateway or mesh, host).

SEMANTICS §4.1/§4.2/§4.5: routes in list order, match blocks flattened in order; a route
without match, or a block that is only ``uri: {prefix: /}``, is a catch-all.  On a gateway the
routes of every VirtualService for the host are concatenated (oldest first, then name, then
namespace) and catch-alls move to the end (routes after a catch-all in its VirtualService are
not generated, so they move with it); on sidecars (``mesh``) the first VirtualService wins.
"""
from __future__ import annotations


from cnverify.encodings.hosts import expand, gateway_ref
from cnverify.encodings.http import Entry, HeaderMatch, HostPattern, Match, PathMatch, QueryMatch, StrMatch
from cnverify.model import VirtualService
from cnverify.model.istio import HTTPMatchRequest
from cnverify.model.istio import StringMatch as IstioStringMatch
from cnverify.properties.routing.tables import (Clause, Table, add_clauses, creation_order, host_blockers, scoped,
                                                tie_orders)
from cnverify.snapshot import Snapshot

READS = (VirtualService,)


def str_match(s: IstioStringMatch) -> StrMatch | None:
    """Istio StringMatch → IR (None when no match type is set)."""
    for kind in ("exact", "prefix", "regex"):
        value = getattr(s, kind)
        if value is not None:
            return StrMatch(kind, value)  # type: ignore[arg-type]
    return None


def istio_match(m: HTTPMatchRequest) -> Match:
    """One HTTPMatchRequest as an IR `Match` (fields ANDed)."""
    unsupported = None
    path = None
    if m.uri is not None and (u := str_match(m.uri)) is not None:
        path = PathMatch(u.kind, u.value, bool(m.ignore_uri_case) and u.kind != "regex")  # type: ignore[arg-type]
    headers: list[HeaderMatch] = []
    for name, sm in (m.headers or {}).items():
        x = str_match(sm)
        if x is None or (x.kind == "regex" and x.value == "*"):
            headers.append(HeaderMatch(name, present=True))
        else:
            headers.append(HeaderMatch(name, match=x))
    for name, sm in (m.without_headers or {}).items():
        x = str_match(sm)
        if x is None:
            headers.append(HeaderMatch(name, present=True, invert=True))
        else:
            headers.append(HeaderMatch(name, match=x, invert=True, treat_missing_as_empty=True))
    query = [QueryMatch(k, str_match(v)) for k, v in (m.query_params or {}).items()]
    if m.scheme is not None:
        unsupported = "a scheme match (the request model has no scheme)"
    if m.source_labels or m.source_namespace:
        unsupported = "sourceLabels/sourceNamespace select client proxies, not requests"
    method = str_match(m.method) if m.method is not None else None
    authority = str_match(m.authority) if m.authority is not None else None
    return Match(path=path, headers=tuple(headers), query=tuple(query), method=method, authority=authority,
                 port=m.port, unsupported=unsupported)


def is_catch_all(m: HTTPMatchRequest | None) -> bool:
    """Istio's ``isCatchAllMatch``: no conditions but ``uri`` prefix ``/`` (or regex ``*``)."""
    if m is None:
        return True
    uri = str_match(m.uri) if m.uri is not None else None
    return (uri is not None and (uri.kind, uri.value) in (("prefix", "/"), ("regex", "*"))
            and not (m.headers or m.query_params or m.without_headers or m.source_labels or m.gateways or m.port))


def _vs_clauses(vs: VirtualService, clauses: dict[str, Clause]) -> list[tuple[str, Entry, set[str], bool]]:
    """(key, entry, gateways, catch-all) per flattened match block of ``vs``."""
    out = []
    top = {gateway_ref(g, vs.namespace) for g in vs.spec.gateways or ["mesh"]}
    for i, route in enumerate(vs.spec.http or []):
        label = f"VirtualService {vs.namespace}/{vs.name} http[{i}]" + (f" ({route.name})" if route.name else "")
        for m, rkey, key in add_clauses(clauses, vs, f"spec.http[{i}]", label, route, route.match, "match"):
            match = istio_match(m) if m is not None else Match()
            if route.delegate is not None:
                match = Match(unsupported="a delegate route (its routes come from another VirtualService)")
            gws = {gateway_ref(g, vs.namespace) for g in m.gateways} if m is not None and m.gateways else top
            out.append((key, Entry(rkey, key, match), gws, is_catch_all(m)))
    return out


def _orders(vss: list[VirtualService], mesh: bool) -> tuple[list[list[VirtualService]], str]:
    # pilot/pkg/model/config.go configCompareByCreationTime: creation time, then name, then namespace
    base, fixed = creation_order(vss, lambda vs: (vs.name, vs.namespace))
    if fixed:
        return [base], ""
    names = ", ".join(f"{v.namespace}/{v.name}" for v in base)
    note = f"Istio orders VirtualServices {names} by creation time, which the manifests do not fix"
    if mesh:
        return [[v] + [w for w in base if w is not v] for v in base], note
    return tie_orders(base), note


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    per_vs = {id(vs): _vs_clauses(vs, clauses) for vs in snap.all(VirtualService)}
    points: dict[tuple[str, str], list[VirtualService]] = {}
    for vs in snap.all(VirtualService):
        gws = {g for _, _, gs, _ in per_vs[id(vs)] for g in gs}
        for host in vs.spec.hosts or []:
            for g in sorted(gws):
                points.setdefault((g, expand(host, vs.namespace)), [])
                if vs not in points[(g, expand(host, vs.namespace))]:
                    points[(g, expand(host, vs.namespace))].append(vs)
    tables = []
    for (gw, host), vss in points.items():
        mesh = gw == "mesh"
        orders, note = _orders(vss, mesh)
        variants = []
        for order in orders:
            chosen = order[:1] if mesh else order
            entries, tail = [], []
            for vs in chosen:
                seen_catch_all = False
                for _, e, gs, catch_all in per_vs[id(vs)]:
                    if gw not in gs:
                        continue
                    seen_catch_all = seen_catch_all or catch_all
                    (tail if seen_catch_all and not mesh else entries).append(e)
            others = {} if mesh else {h: f"VirtualServices for host {h}" for (g, h) in points if g == gw and h != host}
            variant, sample = scoped(entries + tail, HostPattern(host), host_blockers(host, others, HostPattern))
            variants.append(variant)
        where = "sidecars (mesh)" if mesh else f"gateway {gw}"
        table = Table("istio", f"{where}, host {host}", orders[0][0].spec.at("hosts"), variants, note,
                      host_sample=sample)
        if not mesh and note:
            table.ties = {k: ("", vs.ref) for vs in vss for k, *_ in per_vs[id(vs)]}
        if mesh and len(vss) > 1:
            table.members = [k for vs in vss for k, _, gs, _ in per_vs[id(vs)] if gw in gs]
            table.drop_reason = (f"sidecars use only one VirtualService for host {host}: "
                                 + (note or f"the oldest, {orders[0][0].namespace}/{orders[0][0].name}"))
        tables.append(table)
    return clauses, tables
