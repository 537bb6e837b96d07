"""Envoy RouteConfiguration → match tables: one per (virtual host, domain), routes in order
(docs/SEMANTICS.md#route-matching)."""

from __future__ import annotations

from cnverify.encodings.http import Entry, HeaderMatch, HostPattern, Match, PathMatch, QueryMatch, StrMatch
from cnverify.model import RouteConfiguration
from cnverify.model.envoy import EnvoyStringMatcher, HeaderMatcher, RouteMatch
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.rewrites import envoy_rewrite
from cnverify.systems.routing.tables import Clause, Table, clause_key, host_blockers, scoped

READS = (RouteConfiguration,)


def string_matcher(m: EnvoyStringMatcher) -> StrMatch | None:
    for kind in ("exact", "prefix", "suffix", "contains"):
        value = getattr(m, kind)
        if value is not None:
            return StrMatch(kind, value, m.ignore_case)
    if m.safe_regex is not None:
        return StrMatch("regex", m.safe_regex.regex)
    return None


def header_matcher(h: HeaderMatcher) -> HeaderMatch | str:
    """The IR form of one HeaderMatcher, or the reason it cannot be expressed."""
    legacy = {"exact_match": "exact", "prefix_match": "prefix", "suffix_match": "suffix", "contains_match": "contains"}
    sm: StrMatch | None = None
    if h.string_match is not None:
        sm = string_matcher(h.string_match)
    for field, kind in legacy.items():
        if getattr(h, field) is not None:
            sm = StrMatch(kind, getattr(h, field))  # type: ignore[arg-type]
    if h.safe_regex_match is not None:
        sm = StrMatch("regex", h.safe_regex_match.regex)
    if h.range_match is not None:
        try:
            sm = StrMatch("range", f"{int(h.range_match.start)},{int(h.range_match.end)}")
        except ValueError:
            return f"header {h.name}: range_match bounds are not integers"
    present = None if sm is not None else (h.present_match if h.present_match is not None else True)
    return HeaderMatch(
        h.name, match=sm, present=present, invert=h.invert_match, treat_missing_as_empty=h.treat_missing_header_as_empty
    )


def envoy_match(m: RouteMatch) -> Match:
    ic = m.case_sensitive is False
    path: PathMatch | None = None
    why: list[str] = []
    if m.prefix is not None:
        path = PathMatch("prefix", m.prefix, ic)
    elif m.path is not None:
        path = PathMatch("exact", m.path, ic)
    elif m.safe_regex is not None:
        path = PathMatch("regex", m.safe_regex.regex)
    elif m.path_separated_prefix is not None:
        path = PathMatch("path_separated_prefix", m.path_separated_prefix, ic)
    else:
        why.append(
            "connect_matcher"
            if m.connect_matcher is not None
            else "a v2 regex"
            if m.regex is not None
            else "no path specifier"
        )
    headers = []
    for h in m.headers or []:
        x = header_matcher(h)
        if isinstance(x, str):
            why.append(x)
        else:
            headers.append(x)
    query = []
    for q in m.query_parameters or []:
        if q.string_match is not None:
            query.append(QueryMatch(q.name, string_matcher(q.string_match)))
        elif q.present_match is False:  # Envoy 1.40: the parameter must be absent (probed)
            query.append(QueryMatch(q.name, None, absent=True))
        else:
            query.append(QueryMatch(q.name, None))
    for field in ("runtime_fraction", "grpc", "tls_context", "dynamic_metadata", "filter_state"):
        if getattr(m, field):
            why.append(f"{field} (not a request-only condition)")
    return Match(path=path, headers=tuple(headers), query=tuple(query), unsupported="; ".join(why) or None)


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    tables = []
    for rc in snap.all(RouteConfiguration):
        vhosts = rc.virtual_hosts or []
        rewrite = envoy_rewrite(rc)
        for vi, vh in enumerate(vhosts):
            entries = []
            for ri, route in enumerate(vh.routes or []):
                path = f"virtual_hosts[{vi}].routes[{ri}]"
                key = f"{rc.ref}:{path}"
                label = f"virtual host {vh.name} routes[{ri}]" + (f" ({route.name})" if route.name else "")
                ck = clause_key(key, path)
                clauses[ck] = Clause(rc, key, label, route.at(), path, route.match.at(), path, 1)
                entries.append((key, ck, envoy_match(route.match)))
            others = {d: f"virtual host {w.name}" for wi, w in enumerate(vhosts) if wi != vi for d in w.domains}
            for domain in vh.domains:
                blockers = host_blockers(domain, others, HostPattern)
                variant, sample = scoped([Entry(k, ck, m) for k, ck, m in entries], HostPattern(domain), blockers)
                tables.append(
                    Table(
                        "envoy",
                        f"RouteConfiguration {rc.name}, virtual host {vh.name}, domain {domain}",
                        vh.at("domains"),
                        [variant],
                        host_sample=sample,
                        rewrite=rewrite,
                    )
                )
    return clauses, tables
