"""Emissary Mappings → match tables: one per (installation, Host), routes in Emissary's order
(docs/SEMANTICS.md#emissary-ingress).

Emissary emits one Envoy route per Mapping, groups by descending ``group_weight`` and each group's Mappings in
their normalized order, on the virtual host of every Host the group attaches to (v3listener
``compute_http_routes``: ``matching_hosts`` = ``IRHost.matches_httpgroup``). A Mapping whose cumulative weight is
below 100 (a canary) takes only part of the requests it matches: it never shadows a later route, so it is analysed
in a table of its own (the routes that take every request before it, then it). Groups of equal weight are ordered
by the order Emissary reads them, which the inputs do not fix: every order is a variant.
"""

from __future__ import annotations

from typing import Any

from cnverify.encodings.http import Entry, HostPattern, Match
from cnverify.errors import Span
from cnverify.model.emissary import EmissaryHost
from cnverify.model.envoy import RouteMatch
from cnverify.snapshot import Snapshot
from cnverify.systems.emissary.ir import (
    READS,
    Installation,
    Route,
    attaches,
    insecure_action,
    installations,
    routes_on,
    served,
)
from cnverify.systems.envoy.tables import envoy_match
from cnverify.systems.routing.tables import Clause, Table, add_clauses, host_blockers, scoped, tie_orders

__all__ = ["READS", "envoy_route_match", "route_match", "translate"]
DEFAULT_HOST = EmissaryHost.model_validate(
    {"apiVersion": "getambassador.io/v3alpha1", "kind": "Host", "metadata": {"name": "default-host"}, "spec": {}}
)
PRESENT_ONLY = (
    "header {} is matched for presence only: Emissary writes it as string_match exact null "
    "(v3route.generate_headers), which Envoy's validation may reject"
)


def _form(group: list[Route], key: str) -> bool | str:
    """A flag the group takes from its Mappings (irhttpmappinggroup.finalize: the last one that sets it wins, in
    an order the inputs do not fix): its value, or why it is not settled."""
    values = {getattr(r.mapping.spec, key) for r in group} - {None}
    return f"the group's Mappings disagree on {key}" if len(values) > 1 else bool(values and values.pop())


def envoy_route_match(r: Route, group: list[Route]) -> dict[str, Any] | str:
    """The Envoy ``match`` Emissary writes for ``r`` (V3Route.__init__), without its runtime_fraction, or why
    it cannot be written down."""
    regex, exact = _form(group, "prefix_regex"), _form(group, "prefix_exact")
    for flag in (regex, exact):
        if isinstance(flag, str):
            return flag
    prefix = r.mapping.spec.prefix
    case = r.mapping.spec.case_sensitive
    match: dict[str, Any] = {"case_sensitive": True if case is None else case}
    if regex:
        match["safe_regex"] = {"regex": prefix}
    elif exact:
        match["path"] = prefix
    else:
        match["prefix"] = prefix
    headers: list[dict[str, Any]] = []
    for h in r.headers:
        if h.regex:
            headers.append({"name": h.name, "safe_regex_match": {"regex": h.value}})
        elif h.value is None:
            return PRESENT_ONLY.format(h.name)
        elif h.name == ":authority" and h.value == "*":
            continue
        elif h.name == ":authority" and h.value.startswith("*"):
            headers.append({"name": h.name, "suffix_match": h.value[1:]})
        elif h.name == ":authority" and h.value.endswith("*"):
            headers.append({"name": h.name, "prefix_match": h.value[:-1]})
        else:
            headers.append({"name": h.name, "string_match": {"exact": h.value}})
    if headers:
        match["headers"] = headers
    query: list[dict[str, Any]] = []
    for q in r.query:
        if q.regex:
            query.append({"name": q.name, "string_match": {"safe_regex": {"regex": q.value}}})
        elif q.value is None:
            query.append({"name": q.name, "present_match": True})
        else:
            query.append({"name": q.name, "string_match": {"exact": q.value}})
    if query:
        match["query_parameters"] = query
    return match


def route_match(r: Route, group: list[Route], *, fraction: bool = True) -> Match:
    """The IR match of ``r``'s route; ``fraction``: unsupported when its runtime fraction is not settled."""
    m = envoy_route_match(r, group)
    if isinstance(m, str):
        return Match(unsupported=m)
    if r.unsettled and fraction:
        return Match(unsupported=r.unsettled)
    return envoy_match(RouteMatch.model_validate(m))


def translate(snap: Snapshot) -> tuple[dict[str, Clause], list[Table]]:
    clauses: dict[str, Clause] = {}
    tables: list[Table] = []
    for inst in installations(snap):
        keys = {}
        for g in inst.groups:
            for r in g:
                m = r.mapping
                label = f"Mapping {m.namespace}/{m.name} ({m.spec.prefix})"
                keys[id(r)] = add_clauses(clauses, m, "spec", label, m.spec, None, "")[0][2]
        for m, _ in inst.inactive:
            label = f"Mapping {m.namespace}/{m.name} ({m.spec.prefix})"
            keys[id(m)] = add_clauses(clauses, m, "spec", label, m.spec, None, "")[0][2]
        tables += _tables(inst, keys, clauses)
    return clauses, tables


def _hosts(inst: Installation) -> list[tuple[EmissaryHost, list[tuple[str, Span | None]]]]:
    """The Hosts that get a virtual host, each with the defaults that rests on."""
    if not inst.hosts:
        return [
            (
                DEFAULT_HOST,
                [
                    (
                        f"assumes: installation {inst.id} has no Host outside the inputs, so Emissary synthesizes "
                        "default-host (hostname *, no mappingSelector; irhost HostFactory.finalize)",
                        None,
                    )
                ],
            )
        ]
    out: list[tuple[EmissaryHost, list[tuple[str, Span | None]]]] = []
    for h, listeners in served(inst):
        if insecure_action(h) != "Route" and (listeners or not inst.listeners):
            scheme = (
                f"assumes: requests reach Host {h.namespace}/{h.name} over TLS or with X-Forwarded-Proto https "
                f"(its requestPolicy.insecure.action is {insecure_action(h)}: cleartext requests do not take its "
                "Mappings)"
            )
            out.append((h, [(scheme, h.spec.at("requestPolicy"))]))
            if not listeners:
                out[-1][1].append((_no_listener(h), h.metadata.at("name")))
        elif listeners:
            out.append((h, []))
        elif not inst.listeners:
            out.append((h, [(_no_listener(h), h.metadata.at("name"))]))
    return out


def _no_listener(h: EmissaryHost) -> str:
    return f"assumes: a Listener outside the inputs takes Host {h.namespace}/{h.name} (the inputs hold none)"


def _tables(inst: Installation, keys: dict[int, str], clauses: dict[str, Clause]) -> list[Table]:
    hosts = _hosts(inst)
    tables = []
    attached: set[int] = set()
    for host, defaults in hosts:
        mine = [[r for r in g if attaches(host, r)] for g in inst.groups]
        attached |= {id(r) for g in mine for r in g}
        rivals = _rivals(inst, host, [h for h, _ in hosts])
        for on, others in rivals.items():
            blockers = host_blockers(host.hostname, {h.hostname: f"Host {h.name}" for h in others}, HostPattern)
            name = f"{host.namespace}/{host.name}" if inst.hosts else host.name
            where = f"Emissary {inst.id}, Host {name} ({host.hostname})" + (f", {on}" if len(rivals) > 1 else "")
            tables += _host_tables(inst, host, mine, keys, clauses, where, blockers, defaults)
    tables.append(_nowhere(inst, keys, attached, bool(hosts)))
    return tables


def _rivals(inst: Installation, host: EmissaryHost, hosts: list[EmissaryHost]) -> dict[str, list[EmissaryHost]]:
    """The other Hosts whose virtual hosts a request to ``host`` may select instead, per set of Listeners that
    carry ``host`` with the same rivals (Envoy selects among one listener's virtual hosts)."""
    if not inst.listeners:
        return {"": [h for h in hosts if h is not host]}
    by: dict[tuple[int, ...], list[str]] = {}
    for x in inst.listeners:
        if routes_on(x, host):
            rivals = tuple(i for i, h in enumerate(hosts) if h is not host and routes_on(x, h))
            by.setdefault(rivals, []).append(x.name)
    return {f"Listener {', '.join(names)}": [hosts[i] for i in k] for k, names in by.items()}


def _host_tables(
    inst: Installation,
    host: EmissaryHost,
    mine: list[list[Route]],
    keys: dict[int, str],
    clauses: dict[str, Clause],
    where: str,
    blockers: list[Entry],
    defaults: list[tuple[str, Span | None]],
) -> list[Table]:
    """The table of one virtual host, and one per canary on it."""
    pattern = HostPattern(host.hostname)
    at = host.spec.at("hostname") if inst.hosts else None
    clusters = _tie_clusters(inst, mine)
    orders = [list(range(len(mine)))]
    for c in clusters:
        orders += [[i if i not in c else o[c.index(i)] for i in range(len(mine))] for o in tie_orders(c)[1:]]
    ties = {keys[id(r)]: (f"w{c[0]}", str(i)) for c in clusters for i in c for r in mine[i]}
    main = [
        [
            Entry(keys[id(r)], keys[id(r)], route_match(r, inst.groups[i]))
            for i in order
            for r in mine[i]
            if r.unsettled or not r.partial
        ]
        for order in orders
    ]
    table = _scoped("emissary", where, at, main, pattern, blockers, defaults)
    table.ties, table.order_note = ties, "Emissary orders groups of equal weight as it reads them" if ties else ""
    tables = [table]
    for i, g in enumerate(mine):
        for r in g:
            if r.partial and not r.unsettled:
                tables.append(_canary(inst, r, i, mine, keys, clauses, where, at, pattern, blockers, defaults))
    return tables


def _tie_clusters(inst: Installation, mine: list[list[Route]]) -> list[list[int]]:
    """Indices of non-empty groups whose ``group_weight`` equals another's: their relative order is open."""
    by: dict[tuple[Any, ...], list[int]] = {}
    for i, g in enumerate(mine):
        if g:
            by.setdefault(max(r.weight for r in inst.groups[i]), []).append(i)
    return [c for c in by.values() if len(c) > 1]


def _scoped(
    system: str,
    where: str,
    at: Span | None,
    variants: list[list[Entry]],
    pattern: HostPattern,
    blockers: list[Entry],
    defaults: list[tuple[str, Span | None]],
) -> Table:
    every = [e for v in variants for e in v]
    sample = scoped(every, pattern, blockers)[1]
    if sample is None:
        variants = [scoped(v, pattern, blockers)[0] for v in variants]
    table = Table(system, where, at, variants, host_sample=sample)
    table.defaults = defaults  # type: ignore[assignment]
    return table


def _canary(
    inst: Installation,
    r: Route,
    gi: int,
    mine: list[list[Route]],
    keys: dict[int, str],
    clauses: dict[str, Clause],
    where: str,
    at: Span | None,
    pattern: HostPattern,
    blockers: list[Entry],
    defaults: list[tuple[str, Span | None]],
) -> Table:
    """A Mapping that takes only part of its matches: after the routes that take all of theirs before it (under
    ids of their own, so that only the canary's verdict comes from this table)."""
    full = [(keys[id(x)], i, x) for i in range(gi) for x in mine[i] if x.unsettled or not x.partial]
    before = [
        Entry(clauses[k].route_label, f"first: {clauses[k].route_label}", route_match(x, inst.groups[i]))
        for k, i, x in full
    ]
    places = {f"first: {clauses[k].route_label}": clauses[k].clause_at for k, _, _ in full}
    key = keys[id(r)]
    pre = f"{where}, canary {r.mapping.name}"
    if r.share == 0:
        table = _scoped("emissary", pre, at, [before], pattern, blockers, defaults)
        table.places = places
        table.members = [key]
        table.drop_reasons = {
            key: f"its canary share is 0%: the Mappings before it in its group already take {r.numerator}% "
            "of the requests it matches (runtime_fraction)"
        }
        return table
    variant = [*before, Entry(key, key, route_match(r, inst.groups[gi]))]
    table = _scoped("emissary", pre, at, [variant], pattern, blockers, defaults)
    table.places = places
    return table


def _nowhere(inst: Installation, keys: dict[int, str], attached: set[int], any_host: bool) -> Table:
    """The Mappings no served Host takes (and those Emissary leaves inactive): unreachable, with the reason."""
    table = Table("emissary", f"Emissary {inst.id}, Mappings attached to no Host", None, [[]])
    reasons: dict[str, str] = {}
    for m, why in inst.inactive:
        reasons[keys[id(m)]] = f"Emissary leaves Mapping {m.namespace}/{m.name} inactive: {why}"
    for g in inst.groups:
        for r in g:
            if id(r) in attached:
                continue
            reasons[keys[id(r)]] = _why_nowhere(inst, r)
    table.members = list(reasons)
    table.drop_reasons = reasons
    if not inst.hosts:  # a Host elsewhere in the cluster may take them: both outcomes are variants
        open_ = [keys[id(r)] for g in inst.groups for r in g if id(r) not in attached]
        table.variants.append([Entry(k, k, Match()) for k in open_])
        table.uncertain = (
            "whether a Host outside the inputs takes it (the inputs hold no Host; the default-host Emissary "
            "synthesizes then takes only Mappings with a hostname)"
        )
    return table


def _why_nowhere(inst: Installation, r: Route) -> str:
    m = r.mapping
    hosts = [h for h in inst.hosts if attaches(h, r)]
    if hosts:
        names = ", ".join(f"{h.namespace}/{h.name}" for h in hosts)
        return f"Mapping {m.namespace}/{m.name} attaches only to Host {names}, which no Listener takes"
    if r.host is None and not r.host_regex:
        return (
            f"Mapping {m.namespace}/{m.name} has no hostname and no Host's mappingSelector matches its labels: "
            "Emissary attaches it to no Host (irhost.matches_httpgroup)"
        )
    return f"no Host's hostname intersects {r.host!r} (with a matching mappingSelector where the Host has one)"


def envoy_routes(inst: Installation, host: EmissaryHost) -> list[tuple[Route, dict[str, Any]]]:
    """The Envoy routes Emissary puts on ``host``'s virtual host, in order, each with its ``runtime_fraction``
    (V3Route: numerator = cumulative weight, denominator HUNDRED, key ``routing.traffic_shift.<cluster>``);
    Mappings whose match cannot be written down are left out. For replaying witnesses on a real Envoy."""
    out = []
    for g in inst.groups:
        for r in g:
            m = envoy_route_match(r, g)
            if isinstance(m, str) or not attaches(host, r):
                continue
            fraction: dict[str, Any] = {
                "default_value": {"numerator": r.numerator, "denominator": "HUNDRED"},
                "runtime_key": f"routing.traffic_shift.{r.mapping.namespace}.{r.mapping.name}",
            }
            out.append((r, {**m, "runtime_fraction": fraction}))
    return out
