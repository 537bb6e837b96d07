"""Linkerd HTTPRoutes (``policy.linkerd.io``) and ServiceProfile routes → match tables.

HTTPRoutes: one table per parent — a Service port (outbound: "producer" routes in the Service's namespace;
a route of another namespace applies to its own namespace's clients only, ``unknown`` here) or a Server
(inbound) — ordered as `match.first_match_order` says.  The control plane sends a parent's routes oldest
first, then by name (linkerd2 ``policy-controller/grpc/src/outbound.rs`` ``timestamp_then_name``; a route
without a timestamp after every stamped one); the manifests rarely fix creation order, so every order that
decides is a variant (`tie_orders`).  Routes with hostnames outrank those without for a matching host
(``RouteMatch.host: Option<HostMatch>``, ``None < Some``), ranked by the matching hostname (`ordered_entries`).

ServiceProfile ``spec.routes``: first match in list order (linkerd2-proxy ``service-profiles/src/http.rs``
``route_for_request``); ``pathRegex`` is wrapped in ``^``/``$`` textually (``proto.rs`` ``convert_req_match``),
so ``/a|/b`` means "starts with /a or ends with /b"; a regex that does not compile drops the route.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from cnverify.encodings.http import Entry, Match, PathMatch, Rewrite, StrMatch
from cnverify.encodings.regex import InvalidRegex, RegexError
from cnverify.encodings.regex_parse import parse
from cnverify.encodings.regex_syntax import top_level_alternatives
from cnverify.errors import Span
from cnverify.model import Service
from cnverify.model.linkerd import LinkerdHTTPRoute, RequestMatch, ServiceProfile
from cnverify.snapshot import Snapshot
from cnverify.systems.linkerd.match import (
    EQ,
    FLAVORS,
    VERSIONS,
    Flavor,
    Row,
    first_match_order,
    host_patterns,
    host_score,
    row,
)
from cnverify.systems.linkerd.refs import defaulted_service, parent_is
from cnverify.systems.routing.rewrites import RewriteSource
from cnverify.systems.routing.tables import Clause, Table, add_clauses, creation_order, tie_orders

READS = (LinkerdHTTPRoute, ServiceProfile, Service)
DEFAULTED = (
    "the CRD defaults it to policy.linkerd.io, and Linkerd reads a Service parent only in the core group "
    "(write group: core; k8s/api/src/policy.rs targets_kind)"
)
SYSTEM = "linkerd"
AS_SENT = RewriteSource(
    Rewrite(),
    "the Linkerd proxy matches the request path as sent (linkerd2-proxy http/match/path.rs reads uri.path(): "
    "no normalisation)",
    None,
)


@dataclass
class _Parent:
    where: str
    at: Span
    host: str | None  # the witness host (a Service's cluster name)
    routes: list[LinkerdHTTPRoute] = field(default_factory=list)


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    rows: dict[str, list[Row]] = {}
    parents: dict[str, _Parent] = {}
    tables: list[Table] = []
    for route in snap.all(LinkerdHTTPRoute):
        rows[route.ref] = _rows(clauses, route)
        foreign, dead = _attach(snap, route, parents)
        keys = [r.key for r in rows[route.ref]]
        name, at = f"{route.ref} parents", route.spec.at("parentRefs")
        if foreign:
            entries = [Entry(route.ref, k, Match(unsupported="; ".join(foreign))) for k in keys]
            tables.append(Table(SYSTEM, name, at, [entries], rewrite=AS_SENT))
        elif dead and not _on_parent(route, parents):
            reason = "it attaches to no Service or Server: " + "; ".join(dead)
            tables.append(Table(SYSTEM, name, at, [[]], members=keys, drop_reason=reason, rewrite=AS_SENT))
    for parent in parents.values():
        tables.append(_table(parent, rows))
    for sp in snap.all(ServiceProfile):
        tables.append(_profile(clauses, sp))
    return clauses, tables


def _on_parent(route: LinkerdHTTPRoute, parents: dict[str, _Parent]) -> bool:
    return any(route in p.routes for p in parents.values())


def _rows(clauses: dict[str, Clause], route: LinkerdHTTPRoute) -> list[Row]:
    out: list[Row] = []
    rules = route.spec.rules or []
    if not rules:  # the CRD defaults rules to one rule matching PathPrefix /
        label = f"HTTPRoute {route.namespace}/{route.name} (no rules: the default rule matches PathPrefix /)"
        for m, _, ck in add_clauses(clauses, route, "spec", label, route.spec, None, "matches"):
            out.append(row(route, ck, m, 0, 0))
    for i, rule in enumerate(rules):
        label = f"HTTPRoute {route.namespace}/{route.name} rules[{i}]" + (f" ({rule.name})" if rule.name else "")
        for j, (m, _, ck) in enumerate(
            add_clauses(clauses, route, f"spec.rules[{i}]", label, rule, rule.matches, "matches")
        ):
            out.append(row(route, ck, m, i, j))
    for r in out:
        if r.kind == "prefix":  # the clause restricted to the prefix value itself (match.py)
            _alias(clauses, r.key, EQ)
    return out


def _alias(clauses: dict[str, Clause], key: str, suffix: str) -> str:
    """Register another entry of clause ``key`` (same route and path, own key): CNV101/CNV105 judge them together."""
    c = clauses[key]
    alias = key + suffix
    clauses[alias] = dataclasses.replace(c, key=alias)
    return alias


def _attach(snap: Snapshot, route: LinkerdHTTPRoute, parents: dict[str, _Parent]) -> tuple[list[str], list[str]]:
    """Put ``route`` on its Service ports and Servers; say why it may also route elsewhere (unknown) and
    which of its parentRefs name nothing Linkerd attaches to."""
    foreign: list[str] = []
    dead: list[str] = []
    for pref in route.spec.parent_refs or []:
        kind, ns = pref.kind or "Gateway", pref.namespace or route.namespace
        if parent_is(pref, "Server"):
            where = f"Server {ns}/{pref.name} (inbound)"
            parents.setdefault(where, _Parent(where, pref.at(), None)).routes.append(route)
        elif parent_is(pref, "Service"):
            if ns != route.namespace:
                foreign.append(
                    f"parentRef Service {ns}/{pref.name} from namespace {route.namespace} is a consumer route: it "
                    "applies to that namespace's clients only, which cnverify does not model"
                )
                continue
            svc = next(iter(s for s in snap.all(Service) if s.namespace == ns and s.name == pref.name), None)
            ports = [pref.port] if pref.port else [p.port for p in (svc.spec.ports or [])] if svc else [None]
            for port in ports:
                where = f"Service {ns}/{pref.name}" + (f" port {port}" if port else " (every port)")
                host = f"{pref.name}.{ns}.svc.cluster.local"
                parents.setdefault(where, _Parent(where, pref.at(), host)).routes.append(route)
        elif defaulted_service(pref):
            dead.append(f"parentRef Service {pref.name} has no group: {DEFAULTED}")
        else:
            foreign.append(f"parentRef {kind} {pref.name}: Linkerd attaches HTTPRoutes to Services and Servers only")
    if not route.spec.parent_refs:
        dead.append("it has no parentRefs")
    return foreign, dead


def _table(parent: _Parent, rows: dict[str, list[Row]]) -> Table:
    """One parent's routes in every creation order the manifests leave open, under each proxy flavor."""
    base, fixed = creation_order(parent.routes, lambda r: r.name)
    variants: list[list[Entry]] = []
    for flavor in FLAVORS:
        for order in [base] if fixed else tie_orders(base):
            entries = ordered_entries(order, rows, flavor)
            if entries not in variants:
                variants.append(entries)
    note = (
        ""
        if fixed
        else "Linkerd orders a parent's routes by creation time, then name: " + ", ".join(r.name for r in base)
    )
    hosted = any(r.spec.hostnames for r in base)
    return Table(
        SYSTEM,
        parent.where,
        parent.at,
        variants,
        note,
        host_sample=None if hosted else parent.host,
        rewrite=AS_SENT,
        uncertain=VERSIONS,
    )


def ordered_entries(order: list[LinkerdHTTPRoute], rows: dict[str, list[Row]], flavor: Flavor) -> list[Entry]:
    """The entries of routes sent in ``order``: routes with hostnames first, grouped by the score of the
    hostname that matches (a route is a candidate in each group where one of its hostnames has that score;
    `match.host_score`), then the routes without hostnames, each group by `first_match_order`."""
    position = {r.ref: n for n, r in enumerate(order)}
    entries: list[Entry] = []
    for score in sorted({host_score(h) for r in order for h in r.spec.hostnames or []}, reverse=True):
        names = {r.ref: [h for h in r.spec.hostnames or [] if host_score(h) == score] for r in order}
        group = {ref: host_patterns(hs) for ref, hs in names.items() if hs}
        rows_in = [x for r in order if r.ref in group for x in rows[r.ref]]
        entries += first_match_order(rows_in, position, group, flavor)
    rest = [x for r in order if not r.spec.hostnames for x in rows[r.ref]]
    return entries + first_match_order(rest, position, None, flavor)


def profile_regex(written: str) -> str:
    """The full-match regex equal to ``Regex::is_match`` on the textually anchored ``pathRegex``."""
    text = ("" if written.startswith("^") else "^") + written + ("" if _ends_anchored(written) else "$")
    branches = top_level_alternatives(text)
    out = []
    for b in branches:
        start, end = b.startswith("^"), _ends_anchored(b)
        core = b[1 if start else 0 : len(b) - 1 if end else len(b)]
        out.append(("" if start else ".*") + f"(?:{core})" + ("" if end else ".*"))
    return out[0] if len(out) == 1 else "|".join(f"(?:{x})" for x in out)


def _ends_anchored(text: str) -> bool:
    if not text.endswith("$"):
        return False
    slashes = len(text[:-1]) - len(text[:-1].rstrip("\\"))
    return slashes % 2 == 0


def _conjuncts(m: RequestMatch | None) -> list[tuple[list[str], list[str]]] | str:
    """A condition as an OR of (pathRegexes, methods) conjunctions, or why it cannot be."""
    if m is None:
        return "a route without a condition (rejected by the ServiceProfile validator)"
    if m.not_ is not None:
        return "a `not` condition"
    parts: list[list[tuple[list[str], list[str]]]] = []
    if m.path_regex is not None:
        parts.append([([m.path_regex], [])])
    if m.method is not None:
        parts.append([([], [m.method])])
    for sub in m.all or []:
        x = _conjuncts(sub)
        if isinstance(x, str):
            return x
        parts.append(x)
    if m.any:
        alts: list[tuple[list[str], list[str]]] = []
        for sub in m.any:
            x = _conjuncts(sub)
            if isinstance(x, str):
                return x
            alts += x
        parts.append(alts)
    out: list[tuple[list[str], list[str]]] = [([], [])]
    for options in parts:
        out = [(p + q, a + b) for p, a in out for q, b in options]
    return out


def _profile(clauses: dict[str, Clause], sp: ServiceProfile) -> Table:
    entries: list[Entry] = []
    drops: dict[str, str] = {}
    for i, r in enumerate(sp.spec.routes or []):
        label = f"ServiceProfile {sp.namespace}/{sp.name} routes[{i}]" + (f" ({r.name})" if r.name else "")
        [(_, rkey, ck)] = add_clauses(clauses, sp, f"spec.routes[{i}]", label, r, None, "condition")
        conj = _conjuncts(r.condition)
        bad = [x for x in _regexes(r.condition) if _invalid(x)]
        if bad:
            drops[ck] = f"pathRegex {bad[0]!r} does not compile: the proxy drops the route (proto.rs)"
        elif isinstance(conj, str):
            entries.append(Entry(rkey, ck, Match(unsupported=conj)))
        else:  # one entry per alternative of an `any`
            for k, alt in enumerate(conj):
                entries.append(Entry(rkey, _alias(clauses, ck, f"#any{k}") if k else ck, _profile_match(alt)))
    return Table(
        SYSTEM,
        f"ServiceProfile {sp.namespace}/{sp.name} routes",
        sp.spec.at("routes"),
        [entries],
        members=list(drops),
        drop_reasons=drops,
        host_sample=sp.name,
        rewrite=AS_SENT,
    )


def _profile_match(conj: tuple[list[str], list[str]]) -> Match:
    regexes, methods = conj
    if len(set(regexes)) > 1 or len(set(methods)) > 1:
        return Match(unsupported="an `all` of several pathRegexes or methods")
    path = PathMatch("regex", profile_regex(regexes[0])) if regexes else None
    return Match(path=path, method=StrMatch("exact", methods[0]) if methods else None)


def _regexes(m: RequestMatch | None) -> list[str]:
    if m is None:
        return []
    subs = [*(m.all or []), *(m.any or []), *([m.not_] if m.not_ else [])]
    return ([m.path_regex] if m.path_regex is not None else []) + [x for s in subs for x in _regexes(s)]


def _invalid(written: str) -> bool:
    try:
        parse(profile_regex(written))
    except InvalidRegex:
        return True
    except RegexError:
        return False
    return False
