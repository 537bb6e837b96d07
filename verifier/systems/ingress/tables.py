"""Kubernetes Ingress → match tables: one per (ingress class, host), longest path first (docs/SEMANTICS.md#ingress).

The class is ``spec.ingressClassName`` or the legacy ``kubernetes.io/ingress.class`` annotation
(Ingresses of different classes belong to different controllers and never compete).  Paths of
every Ingress of the same class and host are merged; on equal length Exact beats Prefix; Prefix
is segment-wise (``/v1/`` and ``/v1`` are one path); a ``*.x`` host covers exactly one label.  ImplementationSpecific
paths are controller-defined (unknown).  Equal paths in several Ingresses are a controller
choice: every Ingress order is a variant.
"""

from __future__ import annotations

from cnverify.encodings.http import Entry, HostPattern, Match, PathMatch
from cnverify.model.ingress import HTTPIngressPath, Ingress
from cnverify.snapshot import Snapshot
from cnverify.systems.kong.kic import KONG_CLASS
from cnverify.systems.routing.tables import Clause, Table, clause_key, host_blockers, scoped, tie_orders

READS = (Ingress,)


def ingress_match(p: HTTPIngressPath) -> Match:
    value = p.path or "/"
    if p.path_type == "Exact":
        return Match(path=PathMatch("exact", value))
    if p.path_type == "Prefix":
        return Match(path=PathMatch("segment_prefix", value))
    return Match(unsupported=f"pathType {p.path_type or '(none)'} is controller-defined")


def _tie_path(p: HTTPIngressPath) -> str:
    """The path as the tie rule sees it: a Prefix ignores a trailing ``/`` (``/v1/`` and ``/v1`` are one path)."""
    value = p.path or "/"
    return (value.rstrip("/") or "/") if p.path_type == "Prefix" else value


def _pattern(host: str) -> HostPattern:
    return HostPattern(host, one_label=True, ignore_port=True)


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    groups: dict[tuple[str, str], list[Row]] = {}
    for ing in snap.all(Ingress):
        if ing.ingress_class == KONG_CLASS:
            continue  # the Kong Ingress Controller's routes: translated and ordered by systems/kong (Kong's semantics)
        for i, rule in enumerate(ing.spec.rules or []):
            for k, p in enumerate(rule.http.paths if rule.http else []):
                path = f"spec.rules[{i}].http.paths[{k}]"
                rkey = f"{ing.ref}:{path}"
                label = f"Ingress {ing.namespace}/{ing.name} {rule.host or '*'}{p.path or ''} ({p.path_type})"
                ck = clause_key(rkey, path)
                clauses[ck] = Clause(ing, rkey, label, p.at(), path, p.at(), path, 1)
                key = (ing.ingress_class, (rule.host or "*").lower())
                rank = (-len((p.path or "/").rstrip("/") or "/"), 0 if p.path_type == "Exact" else 1)
                groups.setdefault(key, []).append((ing, rank, _tie_path(p), Entry(rkey, ck, ingress_match(p))))
    tables = []
    for (cls, host), rows in groups.items():
        tables.append(_table(groups, cls, host, rows))
    return clauses, tables


Row = tuple[Ingress, tuple[int, int], str, Entry]


def _joins(groups: dict[tuple[str, str], list[Row]], cls: str) -> list[str | None]:
    """Whose Ingresses may share a controller with class ``cls``: none, or (class-less Ingresses are served by
    a default IngressClass or a controller watching Ingresses without class, kubernetes.io Ingress docs)
    the class-less ones / each named class."""
    classes = sorted({c for c, _ in groups})
    if cls:
        return [None] + ([""] if "" in classes else [])
    return [None] + [c for c in classes if c]


def _table(groups: dict[tuple[str, str], list[Row]], cls: str, host: str, rows: list[Row]) -> Table:
    """The table of one class and host; one variant per Ingress order and per controller that may merge them."""
    pattern = _pattern(host)
    options = []
    for join in _joins(groups, cls):
        classes = {cls} if join is None else {cls, join}
        foreign = [
            (r[0], r[1], r[2], Entry(r[3].route_id, f"maybe:{r[3].clause_id}", r[3].match))
            for r in (groups.get((join, host), []) if join is not None else [])
        ]
        others = {h: f"Ingress rules for host {h}" for (c, h) in groups if c in classes and h != host}
        options.append((rows + foreign, host_blockers(host, others, _pattern)))
    every = [b for _, blk in options for b in blk]
    sample = scoped([r[3] for r in rows], pattern, every)[1]
    variants, clashed = [], False
    ties: dict[str, tuple[str, str]] = {}
    for joined, blk in options:
        ings = sorted({id(r[0]): r[0] for r in joined}.values(), key=lambda x: (x.namespace, x.name))
        clash = len({(r[1], r[2]) for r in joined}) < len(joined) and len(ings) > 1
        clashed |= clash
        for order in tie_orders(ings) if clash else [ings]:
            pos = {id(x): n for n, x in enumerate(order)}
            ranked = [r[3] for r in sorted(joined, key=lambda r: (r[1], pos[id(r[0])]))]
            variants.append(
                ranked if sample else blk + [Entry(e.route_id, e.clause_id, e.match, (pattern,)) for e in ranked]
            )
        ties |= {r[3].clause_id: (f"{r[1]}{r[2]}", r[0].ref) for r in joined}
    note = "controllers resolve equal paths of several Ingresses in their own order" if clashed else ""
    merged = [j for j in _joins(groups, cls) if j is not None]
    uncertain = (
        (
            f"whether Ingresses of class {cls or '(none)'} and {', '.join(j or '(none)' for j in merged)} "
            "share a controller (Ingresses without class go to the default IngressClass or to a controller "
            "that watches them)"
        )
        if merged
        else ""
    )
    where = f"Ingress class {cls or '(default)'}, host {host}"
    return Table(
        "ingress",
        where,
        rows[0][0].spec.at("rules"),
        variants,
        note,
        ties=ties,
        host_sample=sample,
        uncertain=uncertain,
    )
