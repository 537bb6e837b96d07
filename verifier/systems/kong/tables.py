"""Kong declarative configs → one first-match table per config, in the ``traditional_compatible`` order.

Kong 3's default router compiles each route's classic fields into one ATC matcher per path group (all
regex paths; each distinct prefix length) and tries matchers by descending packed priority, ties by
descending matcher UUID (Kong/kong 22246ef2 ``kong/router/transform.lua`` ``get_priority``,
``split_routes_and_services_by_path``; Kong/atc-router ``src/router.rs``). A route matches when every
field it sets matches (hosts, methods, paths, headers), any value within a field.
Semantics: docs/SEMANTICS.md#kong.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from cnverify.encodings.http import Entry, HeaderMatch, HostPattern, Match, PathMatch, Rewrite, StrMatch
from cnverify.encodings.http_precheck import disjoint
from cnverify.encodings.regex_syntax import top_level_alternatives
from cnverify.errors import Span
from cnverify.model.ingress import Ingress
from cnverify.model.kong import KongConfig, KongRoute
from cnverify.snapshot import Snapshot
from cnverify.systems.kong.httproutes import READS as HTTP_READS
from cnverify.systems.kong.kic import FILL_IDS
from cnverify.systems.kong.sources import RouteSource, declarative, from_kic
from cnverify.systems.routing.rewrites import RewriteSource
from cnverify.systems.routing.tables import Clause, Results, Table, clause_key, tie_orders

READS = (KongConfig, Ingress, *HTTP_READS)
T = TypeVar("T", bound=tuple[Any, ...])
KIC_TABLE = "Kong Ingress Controller"
KIC_SOURCES = {
    "Ingress": ("Ingresses of class kong", "ingress.go"),
    "HTTPRoute": ("HTTPRoutes of its Gateways", "httproute.go"),
}
KIC = (
    "{what} translated as the Kong Ingress Controller does (1fa68f86 {files}); routes from other sources in the "
    "same Kong are not in the inputs"
)
KIC_HTTP = (
    "Kong owns the HTTPRoute's matching and order here; its parentRefs, backendRefs and weights are checked on the "
    "HTTPRoute by the Gateway API rules (CNV102, CNV103, CNV104), which KIC resolves to the same Services"
)
SPLIT_NS = uuid.UUID("7f145bf9-0dce-4f91-98eb-debbce4b9f6b")  # transform.lua uuid.factory_v5 namespace
ORDER_NOTE = "Kong orders matchers of equal priority by their UUID (generated when the inputs give no route id)"
FLAVOR = (
    "router_flavor traditional_compatible, Kong 3's default (kong.conf is not in the inputs); the Host "
    "header compared without its port and case-insensitively (route hosts are lower case)"
)
NORMALIZED = (
    "paths as Kong matches them, normalized (kong/tools/uri.lua normalize): a witness path must be one "
    "normalize leaves as sent (ASCII, no %, no dot segment, no //), else the verdict is unknown"
)


@dataclass
class Matcher:
    """One ATC matcher: a route, or the part of a split route holding one path group."""

    source: RouteSource
    paths: list[tuple[str, str, Span]]  # the group's paths (as RouteSource.paths)
    priority: int | None  # None: outside the range whose packing was checked
    uuid: str | None  # None: Kong (or KIC) generates it
    entries: list[Entry] = field(default_factory=list)

    @property
    def route_key(self) -> str:
        return self.source.route_key


def priority(route: KongRoute, paths: list[str]) -> int | None:
    """``get_priority`` of a (split) route with ``paths``; None when ``regex_priority`` is outside 0 … 2^32−1
    (the packing of those values was not checked: docs/SEMANTICS.md#kong)."""
    if route.expression is not None:
        return (0xFF << 56) | (route.priority or 0)
    fields = (route.sources, route.destinations, route.methods, route.hosts, route.headers, route.snis, paths)
    weight = sum(1 for f in fields if f)
    plain = route.hosts is not None and not any("*" in h for h in route.hosts)
    regex = bool(paths) and paths[0].startswith("~")
    rp = route.regex_priority if regex else 0
    if not 0 <= rp < 1 << 32:
        return None
    length = 0 if regex or not paths else len(paths[0])
    heads = min(len(route.headers or {}), 255)
    return (weight << 61) | (plain << 60) | (heads << 52) | (regex << 51) | (rp << 19) | (length & 0x7FFFF)


def path_groups(paths: list[T]) -> list[list[T]]:
    """``group_by_regex_or_length`` of ``(path, …)`` items: all regex paths together, one group per prefix
    length, in first-seen order."""
    groups: dict[int, list[T]] = {}
    for item in paths:
        p = item[0]
        groups.setdefault(0 if p.startswith("~") else len(p), []).append(item)
    return list(groups.values())


def kong_regex(rest: str) -> str:
    """Kong's regex ``^<rest>`` (searched: open at the end) as a full-match RE2 pattern.

    The ``^`` is prepended without a group (transform.lua ``path_val_transform``), so only the first
    top-level alternative is anchored: ``~/a|/b`` matches ``/a…`` and any path containing ``/b``.
    """
    out = []
    for n, branch in enumerate(
        top_level_alternatives(rest.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!"))
    ):
        anchored = n == 0 or branch.startswith("^")
        body = branch[1:] if branch.startswith("^") else branch
        ends = body.endswith("$") and (len(body[:-1]) - len(body[:-1].rstrip("\\"))) % 2 == 0
        body = body[:-1] if ends else body
        out.append(("" if anchored else ".*") + f"(?:{body})" + ("" if ends else ".*"))
    return out[0] if len(out) == 1 else "|".join(f"(?:{b})" for b in out)


def route_match(route: KongRoute, path: str | None, legacy: bool = False) -> Match:
    """The ATC predicate of ``route`` for one of its paths (None: no paths)."""
    why = _unsupported(route)
    if why:
        return Match(unsupported=why)
    pm = None
    if path is not None and path.startswith("~"):
        if legacy and "%" in path:
            return Match(unsupported=f"legacy regex path {path!r}: Kong percent-decodes it on migration")
        pm = PathMatch("regex", kong_regex(path[1:]))
    elif path is not None:
        pm = PathMatch("prefix", path)
    methods = route.methods or []
    method = None
    if len(methods) == 1:
        method = StrMatch("exact", methods[0])
    elif methods:
        method = StrMatch("regex", "|".join(re.escape(m) for m in methods))
    heads = tuple(
        HeaderMatch(n, StrMatch("exact", v[0].lower(), ignore_case=True)) for n, v in (route.headers or {}).items()
    )
    return Match(path=pm, method=method, headers=heads)


def _unsupported(route: KongRoute) -> str:
    if route.expression is not None:
        return "an expression route (router_flavor expressions) is not modelled"
    if route.snis or route.sources or route.destinations:
        return "snis/sources/destinations depend on TLS and addresses, which the request model does not carry"
    if any(re.search(r":[0-9]+$", h) for h in route.hosts or []):
        return "a host with a port matches the destination port, which the request model does not carry"
    if any(h != h.lower() for h in route.hosts or []):
        return "a host with upper-case letters: Kong compares the Host header as received"
    for name, values in (route.headers or {}).items():
        if len(values) != 1 or values[0].startswith("~*"):
            return f"header {name}: several values or a regex (matched lower-cased) is not modelled"
    return ""


def matchers(sources: list[RouteSource]) -> list[Matcher]:
    out = []
    for src in sources:
        groups = path_groups(src.paths) or [[]]
        for n, group in enumerate(groups, start=1):
            rid = src.uuid
            mid = rid if rid is None or len(groups) == 1 else str(uuid.uuid5(SPLIT_NS, f"{rid}#{n}"))
            out.append(Matcher(src, group, priority(src.route, [p for p, _, _ in group]), _valid(mid)))
    return out


def _valid(u: str | None) -> str | None:
    try:
        return None if u is None else str(uuid.UUID(u))
    except ValueError:
        return None  # not a UUID: Kong rejects it, and cnverify treats the order as open


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    tables = []
    for cfg in snap.all(KongConfig):
        ms = _entries(clauses, matchers(declarative(cfg)))
        if ms:
            tables.append(_table(f"Kong config {cfg.name}", cfg.at(), cfg.at("_format_version"), ms, FLAVOR))
    ms = _entries(clauses, matchers(from_kic(snap)))
    if ms:
        at = ms[0].source.subject.metadata.at("name")
        kinds = [k for k in KIC_SOURCES if any(m.source.subject.KIND == k for m in ms)]
        what = " and ".join(KIC_SOURCES[k][0] for k in kinds)
        files = ", ".join(f"subtranslator/{KIC_SOURCES[k][1]}" for k in kinds)
        extra: list[tuple[str, Span | None]] = [(FILL_IDS, None)] if any(m.source.uuid for m in ms) else []
        extra += [(KIC_HTTP, None)] if "HTTPRoute" in kinds else []
        extra += [a for m in ms for a in m.source.assumes]
        kic = KIC.format(what=what, files=files)
        tables.append(_table(f"{KIC_TABLE} ({what})", at, None, ms, f"{FLAVOR}; {kic}", extra))
    return clauses, tables


def _entries(clauses: dict[str, Clause], ms: list[Matcher]) -> list[Matcher]:
    """Register each matcher's clauses (one per path, or the route itself) and build its entries."""
    for m in ms:
        src = m.source
        hosts = tuple(HostPattern(h, ignore_port=True) for h in src.route.hosts or []) or None
        items: list[tuple[str | None, str, Span]] = [*m.paths] or [(None, src.rpath, src.at)]
        for p, cpath, at in items:
            ck = clause_key(src.route_key, cpath)
            n = max(len(src.paths), 1)
            clauses[ck] = Clause(src.subject, src.route_key, src.label, src.at, src.rpath, at, cpath, n)
            match = Match(unsupported=src.unsupported) if src.unsupported else route_match(src.route, p, src.legacy)
            if m.priority is None:
                match = Match(unsupported=f"regex_priority {src.route.regex_priority}: its packing was not checked")
            m.entries.append(Entry(src.route_key, ck, match, hosts))
    return ms


def _rank(m: Matcher) -> int:
    return -(m.priority if m.priority is not None else 1 << 64)


def open_ties(ms: list[Matcher]) -> list[list[Matcher]]:
    """Groups of matchers of equal priority, of several routes, whose order Kong's UUIDs decide and the
    manifests never choose, keeping only matchers that may share a request (CNV106 reads them as ``ties``)."""
    by: dict[int, list[Matcher]] = {}
    for m in ms:
        by.setdefault(_rank(m), []).append(m)
    out = []
    for group in by.values():
        if len({m.route_key for m in group}) < 2:
            continue
        live = [
            m
            for m in group
            if any(
                o.route_key != m.route_key and not all(disjoint(a, b) for a in m.entries for b in o.entries)
                for o in group
            )
        ]
        if live:
            out.append(live)
    return out


def _table(
    name: str,
    at: Span,
    note_at: Span | None,
    every: list[Matcher],
    flavor: str,
    extra: list[tuple[str, Span | None]] | None = None,
) -> Table:
    """The table of one Kong, one variant per order of open ties and per set of routes the controller may not
    program; routes it does not program (translation failures) are members no variant holds."""
    ms = [m for m in every if not m.source.dropped]
    ties = open_ties(ms)
    unfixed = [g for g in ties if any(m.uuid is None for m in g)]
    owners = list(dict.fromkeys(m.route_key for g in unfixed for m in g))
    unsure = {m.route_key: m.source.unsure for m in ms if m.source.unsure}
    variants = []
    for order in tie_orders(owners) if owners else [[]]:
        pos = {k: n for n, k in enumerate(order)}
        ranked = sorted(ms, key=lambda m: (_rank(m), pos.get(m.route_key, len(pos)), _uuid_desc(m.uuid), ms.index(m)))
        drops: list[set[str]] = [set()] + ([set(unsure)] if unsure else [])
        for drop in drops:
            variants.append([e for m in ranked if m.route_key not in drop for e in m.entries])
    tie_of = {e.clause_id: (str(-_rank(m)), m.route_key) for g in ties for m in g for e in m.entries}
    away = {
        e.clause_id: m.source.dropped or unsure[m.route_key]
        for m in every
        for e in m.entries
        if m not in ms or m.route_key in unsure
    }
    return Table(
        "kong",
        name,
        at,
        variants,
        ORDER_NOTE if owners else "",
        members=list(away),
        drop_reasons=away,
        ties=tie_of,
        uncertain="; ".join(dict.fromkeys(unsure.values())),
        defaults=[(flavor, note_at or at), (NORMALIZED, note_at or at), *_located(extra or [], note_at or at)],
        rewrite=RewriteSource(Rewrite(), NORMALIZED, note_at or at),
    )


def _located(steps: list[tuple[str, Span | None]], at: Span) -> list[tuple[str, Span]]:
    return list(dict.fromkeys((says, where or at) for says, where in steps))


def _uuid_desc(u: str | None) -> tuple[int, ...]:
    """Sort key placing higher UUIDs first (atc-router iterates its (priority, uuid) map in reverse)."""
    return tuple(-b for b in uuid.UUID(u).bytes) if u else ()


UNNORMALIZED = re.compile(r"%|//|/\.\.?(?:/|$)|[^\x21-\x7e]")  # what kong/tools/uri.lua normalize would change


def decide(snap: Snapshot, res: Results) -> None:
    """A reachable verdict whose witness Kong would read differently becomes unknown: a path it normalizes
    before matching, a host with an empty label at either end (``.x`` ends with ``.x`` for Kong's suffix
    match, which the host patterns here do not admit). In the KIC table, a reachable verdict is unknown while a
    GRPCRoute is in the inputs (KIC translates it into the same router; transform.lua matches no protocol for
    http/grpc routes); an unreachable verdict stands (more routes only take more requests)."""
    grpc = next((o for o in snap.opaque if o.kind == "GRPCRoute" and o.api_version.startswith("gateway.")), None)
    for outcomes in res.outcomes.values():
        for o in outcomes:
            w = o.verdict.witness
            if o.table.system != "kong" or o.status != "reachable" or w is None:
                continue
            if grpc is not None and o.table.name.startswith(KIC_TABLE):
                o.status = "unknown"
                o.reason = (
                    f"GRPCRoute {grpc.namespace}/{grpc.name} may be programmed into the same Kong by KIC (its routes "
                    "share Kong's HTTP router, whatever their protocol), and GRPCRoutes are not modelled"
                )
                continue
            if w.host != w.host.lower():  # route hosts are lower case and matched so: the same outcome
                o.verdict = replace(o.verdict, witness=replace(w, host=w.host.lower()))
            if UNNORMALIZED.search(w.path):
                o.status = "unknown"
                o.reason = f"the witness path {w.path!r} is not one Kong matches as sent (it normalizes paths)"
            elif w.host.split(":")[0].startswith(".") or w.host.split(":")[0].endswith("."):
                o.status = "unknown"
                o.reason = f"the witness host {w.host!r} is one Kong's wildcard hosts may match differently"
