"""Kubernetes Ingress → match tables: one per (ingress class, host), longest path first (§8).

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
from cnverify.properties.routing.tables import Clause, Table, clause_key, host_blockers, scoped, tie_orders
from cnverify.snapshot import Snapshot

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
    groups: dict[tuple[str, str], list[tuple[Ingress, tuple[int, int], str, Entry]]] = {}
    for ing in snap.all(Ingress):
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
        others = {h: f"Ingress rules for host {h}" for (c, h) in groups if c == cls and h != host}
        blockers = host_blockers(host, others, _pattern)
        ings = sorted({id(r[0]): r[0] for r in rows}.values(), key=lambda x: (x.namespace, x.name))
        clash = len({(r[1], r[2]) for r in rows}) < len(rows) and len(ings) > 1
        orders = tie_orders(ings) if clash else [ings]
        variants = []
        for order in orders:
            pos = {id(x): n for n, x in enumerate(order)}
            ranked = sorted(rows, key=lambda r: (r[1], pos[id(r[0])]))
            variant, sample = scoped([e for *_, e in ranked], _pattern(host), blockers)
            variants.append(variant)
        ties = {e.clause_id: (f"{r[1]}{r[2]}", r[0].ref) for r in rows for e in r[3:]}
        note = "controllers resolve equal paths of several Ingresses in their own order" if clash else ""
        where = f"Ingress class {cls or '(default)'}, host {host}"
        tables.append(Table("ingress", where, rows[0][0].spec.at("rules"), variants, note, ties=ties,
                            host_sample=sample))
    return clauses, tables
