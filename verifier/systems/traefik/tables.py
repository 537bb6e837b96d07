"""Traefik IngressRoutes → one first-match table per (ingress class, TLS or not, entry point).

traefik/traefik fd5a576d: the CRD provider makes one router per route (``kubernetes_http.go``); the router
manager builds one muxer per entry point from the routers of that entry point, TLS routers apart
(``router.go`` ``getHTTPRouters(entryPoints, tls)``); a router's priority is its ``priority`` or, when 0, the
length in bytes of its rule (``mux.go`` ``GetRulePriority``), and routes are tried by descending priority,
equal priorities by provider precedence (``routes.Less``): routers of one provider of equal priority are in
an order Traefik does not fix (they come from a Go map and ``sort.Sort`` is not stable) — CNV106.
A router without entry points is on the default entry points (static configuration, not in the inputs).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from cnverify.encodings.http import Entry, Match, MatchTable, Request, Rewrite
from cnverify.encodings.http_ir import first_sure
from cnverify.encodings.http_precheck import disjoint
from cnverify.model import Service
from cnverify.model.flagger import Canary
from cnverify.model.traefik import IngressRoute, Middleware, Route, TraefikService
from cnverify.model.traefik_rule import dnf
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.rewrites import RewriteSource
from cnverify.systems.routing.tables import Clause, Results, Table, clause_key, tie_orders
from cnverify.systems.traefik.matchers import Alternative, alternatives
from cnverify.systems.traefik.targets import fate

READS = (IngressRoute, TraefikService, Middleware, Service, Canary)  # references decide which routers exist
DEFAULT_EPS = "(default entry points)"
MAX_USER_PRIORITY = 2**63 - 1 - 1000  # router.go maxUserPriority
DEFAULTS_OPEN = "whether the entry point is a default one (static configuration)"
ORDER_NOTE = "Traefik orders routers of equal priority from one provider as its Go map yields them (not fixed)"
V3 = (
    "traefik.io objects read by Traefik v3 with the v3 rule syntax unless a route sets syntax (the static "
    "core.defaultRuleSyntax is not in the inputs); only the routers of these IngressRoutes (other providers' "
    "routers are not in the inputs); no CNAME flattening (hostResolver); the Services of these routers have "
    "ready endpoints (Traefik skips a router whose Service has none, allowEmptyServices being false: CNV104)"
)
V2 = (
    "traefik.containo.us objects read by a Traefik v2 (Traefik v3 does not read this group), rules in the v2 "
    "syntax; only the routers of these IngressRoutes (other providers' routers are not in the inputs); their "
    "Services have ready endpoints"
)
SANITIZED = (
    "paths as Traefik routes them: entry point sanitizePath (on by default) removes dot segments and '//', "
    "and escapes are decoded first; a witness path must be one it leaves as sent (no %, //, dot segment); "
    "requests carry a Host, and paths that decode to characters a client must escape (a space, control "
    "bytes) are not considered"
)


@dataclass
class Router:
    """One route of an IngressRoute as Traefik's router."""

    ir: IngressRoute
    route: Route
    index: int
    priority: int
    alts: list[Alternative]
    keys: list[str] = field(default_factory=list)
    fate: str = (
        "built"  # "built", "dropped" (Traefik does not build it: ``why``), "open" (a reference outside the inputs)
    )
    why: str = ""

    @property
    def route_key(self) -> str:
        return f"{self.ir.ref}:spec.routes[{self.index}]"

    @property
    def label(self) -> str:
        return f"IngressRoute {self.ir.namespace}/{self.ir.name} routes[{self.index}]"


@dataclass
class TraefikTable(Table):
    maybe: set[str] = field(default_factory=set)  # clause keys present only if the entry point is a default one


def class_of(ir: IngressRoute) -> str:
    """``getIngressClassName`` (spec.ingressClassName, else the deprecated annotation), with ``traefik`` read as
    no class: a Traefik whose provider sets no ``ingressClass`` (the default) reads both (``shouldProcessIngress``)."""
    name = ir.spec.ingress_class_name
    if name is None:
        name = ir.annotations.get("kubernetes.io/ingress.class", "")
    return "" if name == "traefik" else name


def priority(rule: str, explicit: int) -> int:
    """The router's priority: ``explicit`` unless 0, else the rule's length in bytes (``GetRulePriority``)."""
    return explicit or len(rule.encode())


def routers(snap: Snapshot) -> list[Router]:
    """Every route Traefik makes a router of (rule parsed; a later route of the same rule in one IngressRoute
    replaces it: the router name is namespace, name and a hash of the rule)."""
    out: list[Router] = []
    for ir in snap.all(IngressRoute):
        if ir.spec.parent_refs:
            continue  # child routers live in their parent's muxer (not modelled)
        for i, route in enumerate(ir.spec.routes):
            prio = priority(route.match, route.priority)
            try:
                alts = alternatives(dnf(route.tree), route.rule_syntax == "v2")
            except ValueError as exc:
                alts = [Alternative(Match(unsupported=str(exc)))]
            out.append(Router(ir, route, i, prio, alts))
    return out


def replaced(rs: list[Router]) -> dict[str, Router]:
    """Routers overwritten by a later route of the same IngressRoute with the same rule (route key → winner)."""
    last: dict[tuple[str, str], Router] = {}
    for r in rs:
        last[(r.ir.ref, r.route.match)] = r
    return {r.route_key: last[(r.ir.ref, r.route.match)] for r in rs if last[(r.ir.ref, r.route.match)] is not r}


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    rs = routers(snap)
    for r in rs:
        r.fate, r.why = fate(snap, r.ir, r.index)
    for r in rs:
        if r.priority > MAX_USER_PRIORITY:
            r.fate, r.why = (
                "dropped",
                f"priority {r.priority} exceeds the max user-defined priority {MAX_USER_PRIORITY}",
            )
    for key, winner in replaced(rs).items():
        r = next(x for x in rs if x.route_key == key)
        r.fate, r.why = "dropped", f"it is replaced by {winner.label} (same rule: same router name)"
    for r in rs:
        n = len(r.alts)
        for j in range(n):
            cpath = f"spec.routes[{r.index}].match" + (f"#{j + 1}" if n > 1 else "")
            key = clause_key(r.route_key, cpath)
            at = r.route.at("match")
            clauses[key] = Clause(r.ir, r.route_key, r.label, r.route.at(), f"spec.routes[{r.index}]", at, cpath, n)
            r.keys.append(key)
    groups: dict[tuple[bool, str, bool], list[Router]] = {}  # one Traefik (v2 or v3) per class; TLS apart
    for r in rs:
        groups.setdefault((r.ir.v2_group, class_of(r.ir), r.ir.spec.tls is not None), []).append(r)
    tables: list[Table] = []
    for (v2, cls, tls), members in groups.items():
        named = sorted({ep for r in members for ep in r.ir.spec.entry_points or []})
        for ep in [*named, DEFAULT_EPS] if any(not r.ir.spec.entry_points for r in members) else named:
            sure = [r for r in members if ep in (r.ir.spec.entry_points or [DEFAULT_EPS])]
            maybe = [r for r in members if r not in sure and (ep == DEFAULT_EPS or not r.ir.spec.entry_points)]
            if sure:
                where = "default entry points" if ep == DEFAULT_EPS else f"entry point {ep}"
                tables.append(_table(("Traefik v2 " if v2 else "Traefik ") + where, cls, tls, sure, maybe))
    return clauses, tables


def _entries(r: Router) -> list[Entry]:
    return [Entry(r.route_key, k, a.match, a.hosts) for k, a in zip(r.keys, r.alts, strict=True)]


def _table(where: str, cls: str, tls: bool, sure: list[Router], maybe: list[Router]) -> Table:
    live = [r for r in sure if r.fate != "dropped"]
    ties = _ties([r for r in live if r.fate == "built"])
    owners = list(dict.fromkeys(r.route_key for g in ties for r in g))
    extra = [r for r in maybe if r.fate != "dropped"]
    unsure = [r for r in live + extra if r.fate == "open"]
    variants = []
    for order in tie_orders(owners) if owners else [[]]:
        pos = {k: n for n, k in enumerate(order)}
        for more in ([], extra) if extra else ([],):
            for less in _absent(unsure):
                ranked = [r for r in live + more if r not in less]
                ranked.sort(key=lambda r: (-r.priority, pos.get(r.route_key, len(pos))))
                variants.append([e for r in ranked for e in _entries(r)])
    first = sure[0]
    name = where + (" (TLS)" if tls else "") + (f", ingress class {cls}" if cls else "")
    version = V2 if first.ir.v2_group else V3
    defaults = [(version, first.ir.at("apiVersion")), (SANITIZED, first.ir.at("apiVersion"))]
    if extra:
        defaults.append(
            ("routers without entryPoints are on the default entry points (static configuration)", first.ir.at("spec"))
        )
    why = [
        w
        for w, cond in (
            (DEFAULTS_OPEN, extra),
            (f"whether Traefik builds {unsure[0].label} ({unsure[0].why})" if unsure else "", unsure),
        )
        if cond
    ]
    drops = {
        k: f"Traefik does not build the router of {r.label}: {r.why}"
        for r in sure
        if r.fate == "dropped"
        for k in r.keys
    }
    return TraefikTable(
        "traefik",
        name,
        first.ir.spec.at("entryPoints"),
        variants,
        ORDER_NOTE if owners else "",
        members=list(drops),
        drop_reasons=drops,
        ties={k: (str(r.priority), r.route_key) for g in ties for r in g for k in r.keys},
        defaults=defaults,
        rewrite=RewriteSource(Rewrite(strip_port="any"), SANITIZED, first.ir.at("apiVersion")),
        uncertain="; ".join(why),
        maybe={k for r in maybe for k in r.keys},
    )


def _absent(unsure: list[Router]) -> list[list[Router]]:
    """The sets of routers of uncertain existence to leave out, enough to decide soundly: none and all (a route's
    requests only shrink as routers above it are added), and for each, all the others (its own verdict among the
    most routers without assuming the others)."""
    if not unsure:
        return [[]]
    return [[], unsure] + ([[u for u in unsure if u is not r] for r in unsure] if len(unsure) > 1 else [])


def _ties(rs: list[Router]) -> list[list[Router]]:
    """Groups of routers of equal priority that may share a request (CNV106 reads them as ``ties``)."""
    by: dict[int, list[Router]] = {}
    for r in rs:
        by.setdefault(r.priority, []).append(r)
    out = []
    for group in by.values():
        live = [
            r
            for r in group
            if any(o is not r and not all(disjoint(a, b) for a in _entries(r) for b in _entries(o)) for o in group)
        ]
        if len(live) > 1:
            out.append(live)
    return out


UNSANITIZED = re.compile(r"%|//|/\.\.?(?:/|$)")


def decide(snap: Snapshot, res: Results) -> None:
    """Outcomes of routers present only if the entry point is a default one are dropped (their own tables
    decide them). A reachable witness is sent as Traefik reads it (host lower-cased, without port or trailing
    dot) when it takes the same route so in every order; one Traefik would read differently (a path its
    sanitizer or decoder changes, an encoded query, a host that must keep its dot) makes the verdict unknown."""
    for key, outcomes in res.outcomes.items():
        outcomes[:] = [o for o in outcomes if not (isinstance(o.table, TraefikTable) and key in o.table.maybe)]
        for o in outcomes:
            w = o.verdict.witness
            if o.table.system != "traefik" or o.status != "reachable" or w is None:
                continue
            clean = replace(w, host=w.host.split(":")[0].lower().rstrip(".") or "example.com", port=80)
            why = ""
            if UNSANITIZED.search(w.path):
                why = f"the witness path {w.path!r} is one Traefik rewrites before routing (sanitizePath, escapes)"
            elif any(c in x for x in (*w.query, *w.query.values()) for c in "%+;"):
                why = "the witness query is one Go decodes before Traefik matches it"
            elif clean != w and not _takes(o.table, key, clean):
                why = f"the witness host {w.host!r} is one Traefik reads differently (case, port, trailing dot)"
            if why:
                o.status, o.reason = "unknown", why
            elif clean != w:
                o.verdict = replace(o.verdict, witness=clean)


def _takes(table: Table, key: str, request: Request) -> bool:
    """Does ``request`` take the entry ``key`` in every order of ``table`` that holds it?"""
    try:
        for v in table.variants:
            if any(e.clause_id == key for e in v):
                hit = first_sure(MatchTable(tuple(v), table.rewrite.rewrite if table.rewrite else Rewrite()), request)
                if hit is None or hit.clause_id != key:
                    return False
    except ValueError:  # an entry the evaluator cannot decide
        return False
    return True


def normalize(name: str) -> str:
    """``provider.Normalize``: runs of characters other than letters and digits become one ``-``."""
    return "-".join(p for p in re.split(r"[^\w]|_", name) if p)


def router_name(r: Router) -> str:
    """The router's name in Traefik's dynamic configuration (``makeServiceKey``, ``makeID``)."""
    digest = hashlib.sha256(r.route.match.encode()).hexdigest()[:20]
    return normalize(f"{r.ir.namespace}-{r.ir.metadata.name}-{digest}")


def service_name(r: Router) -> str:
    """The service the router names in the dynamic configuration (``loadIngressRouteConfiguration``): the router's
    own name for several services (a weighted round robin) or one Kubernetes Service, a TraefikService's
    ``namespace-name`` (``fullServiceName``), a ``name@provider`` as written; empty without services."""
    svcs = r.route.services or []
    if len(svcs) != 1 or (svcs[0].kind or "Service") == "Service":
        return router_name(r) if svcs else ""
    s = svcs[0]
    if "@" in s.name:
        name, provider = s.name.rsplit("@", 1)
        return normalize(f"{s.namespace or r.ir.namespace}-{name}") if provider == "kubernetescrd" else s.name
    return normalize(f"{s.namespace or r.ir.namespace}-{s.name}")
