"""What Emissary builds from Mappings, Hosts and Listeners: route weights, canary groups, Host attachment.

Read from emissary ``python/ambassador/src/ambassador`` at 3ebe0f46 (docs/SEMANTICS.md#emissary-ingress):

* ``ir/irhttpmapping.py``: ``headers`` / ``regex_headers`` / ``hostname`` (or ``host``; ``hostname`` wins) /
  ``method`` become header matchers (``:authority``, ``:method``) in that order; ``host`` or an ``:authority``
  header containing ``*`` (not regex) is a deferred error that leaves the Mapping inactive; ``_group_id``
  (method, prefix, headers, query parameters, the matchLabels of each Host whose ``mappingSelector`` takes a
  Mapping without host, precedence) and ``_route_weight``.
* ``ir/ir.py`` ``ordered_groups``: groups by descending ``group_weight`` (the max ``route_weight``);
  ``ir/irbasemappinggroup.py`` ``normalize_weights_in_mappings``: cumulative weights.
* ``ir/irhost.py`` ``matches_httpgroup``, ``ir/irutils.py`` ``hostglob_matches`` / ``selector_matches``,
  ``ir/irlistener.py`` ``matches_host`` (hostBinding namespace ``ALL``/``SELF`` and ``selector.matchLabels``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cnverify.model.emissary import EmissaryHost, EmissaryListener, EmissaryMapping, Selector
from cnverify.run_context import context_of
from cnverify.snapshot import Snapshot

READS = (EmissaryMapping, EmissaryHost, EmissaryListener)


@dataclass(frozen=True)
class KeyValue:
    """irhttpmapping ``KeyValueDecorator``: a header or query parameter condition (value None: present)."""

    name: str
    value: str | None = None
    regex: bool = False

    def length(self) -> int:
        return len(self.name) + len(self.value or "*") + (1 if self.regex else 0)

    def key(self) -> str:
        return f"{self.name}-{self.value or '*'}"


@dataclass
class Route:
    """One active Mapping as Emissary routes it."""

    mapping: EmissaryMapping
    headers: list[KeyValue]
    query: list[KeyValue]
    host: str | None  # the hostname glob attachment compares (None: none, or a regex host)
    host_regex: bool
    weight: tuple[Any, ...]  # _route_weight
    group: str = ""  # group_id
    numerator: int = 100  # runtime_fraction numerator (cumulative percent)
    share: int = 100  # the percent of the group's requests it takes (numerator minus the previous one)
    unsettled: str = ""  # why its fraction is not fixed by the inputs

    @property
    def partial(self) -> bool:
        return self.numerator < 100


@dataclass
class Installation:
    """The resources one Emissary installation (``AMBASSADOR_ID``) reads."""

    id: str
    routes: list[Route] = field(default_factory=list)  # in input order
    inactive: list[tuple[EmissaryMapping, str]] = field(default_factory=list)
    hosts: list[EmissaryHost] = field(default_factory=list)
    listeners: list[EmissaryListener] = field(default_factory=list)
    groups: list[list[Route]] = field(default_factory=list)  # canary groups, descending group_weight
    errors: dict[int, str] = field(default_factory=dict)  # group index → the weight error Emissary posts

    def group_of(self, route: Route) -> int:
        return next(i for i, g in enumerate(self.groups) if any(x is route for x in g))


def grouped(routes: list[Route]) -> list[list[Route]]:
    """Canary groups in descending ``group_weight`` (the max ``route_weight``); equal weights keep input order,
    which Emissary does not fix (see ``tables.tie_clusters``)."""
    out: dict[str, list[Route]] = {}
    for r in routes:
        out.setdefault(r.group, []).append(r)
    return sorted(out.values(), key=lambda g: max(r.weight for r in g), reverse=True)


def selector_matches(sel: Selector | None, labels: dict[str, str]) -> bool:
    """irutils.selector_matches (strict): every matchLabels pair is a label; no matchLabels matches all."""
    want = (sel.match_labels if sel is not None else None) or {}
    return all(labels.get(k) == v for k, v in want.items())


def glob_intersects(g1: str, g2: str) -> bool:
    """irutils.hostglob_matches: can one hostname match both DNS globs (one ``*`` at one end each)?"""
    if g1 == g2 or "*" in (g1, g2):
        return True
    if not g1 or not g2 or g1[0] == "." or g2[0] == ".":
        return False
    s1, e1, s2, e2 = g1[0] == "*", g1[-1] == "*", g2[0] == "*", g2[-1] == "*"
    if (s1 and e1) or (s2 and e2):
        return False
    if not (s1 or e1 or s2 or e2):
        return False
    if (s1 and e2) or (s2 and e1):
        return True
    if s1 or s2:
        a, b, bstar = (g1, g2, s2) if s1 else (g2, g1, s1)
        am, bm = a[1:], (b[1:] if bstar else b)
        if len(a) > len(bm):
            if not bstar:
                return False
            am, bm = b[1:], a[1:]
        return bm.endswith(am)
    a, b, bstar = (g1, g2, e2) if e1 else (g2, g1, e1)
    am, bm = a[:-1], (b[:-1] if bstar else b)
    if len(a) > len(bm):
        if not bstar:
            return False
        am, bm = b[:-1], a[:-1]
    return bm.startswith(am)


def attaches(host: EmissaryHost, route: Route) -> bool:
    """irhost.matches_httpgroup (strict selectors, the default)."""
    sel = host.mapping_selector
    has_hostname = route.host_regex or route.host is not None
    host_match = route.host_regex or (route.host is not None and glob_intersects(host.hostname, route.host))
    if sel is not None:
        sel_match = selector_matches(sel, route.mapping.labels)
        return host_match and sel_match if has_hostname else sel_match
    return host_match if has_hostname else False


def binds(listener: EmissaryListener, host: EmissaryHost) -> bool:
    """irlistener.matches_host: hostBinding ``namespace.from: ALL`` takes every namespace, anything else the
    Listener's own (``SELECTOR`` "is not yet supported" and keeps that default), and ``selector.matchLabels``
    on the Host's labels."""
    hb = listener.spec.host_binding
    if hb is None or (hb.namespace is None and hb.selector is None):
        return False  # "hostBinding is required" / "must have at least one of namespace or selector": inactive
    if hb.namespace is not None and not hb.namespace.from_:
        return False  # "hostBinding.namespace.from is required": inactive
    everywhere = hb.namespace is not None and (hb.namespace.from_ or "").lower() == "all"
    if not everywhere and listener.namespace != host.namespace:
        return False
    return selector_matches(hb.selector, host.labels)


def insecure_action(host: EmissaryHost) -> str:
    """``requestPolicy.insecure.action``, ``Redirect`` when unset (irhost.setup)."""
    rp = host.spec.request_policy
    return (rp.insecure.action if rp is not None and rp.insecure is not None else None) or "Redirect"


def routes_on(listener: EmissaryListener, host: EmissaryHost) -> bool:
    """Does ``listener`` carry ``host``'s routes (v3listener compute_httpchains / compute_http_routes)? An
    ``INSECURE`` Listener has only the insecure action, which routes only when it is ``Route``."""
    if not binds(listener, host):
        return False
    return (listener.spec.security_model or "").upper() != "INSECURE" or insecure_action(host) == "Route"


V2 = ("v1", "v2")  # versions the apiext conversion webhook turns into v3alpha1 (v2/handwritten.conversion.go)


def _conditions(
    exact: dict[str, str | bool] | None, regex: dict[str, str] | None
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Exact and regex conditions as Emissary's IR sees them: a v2 ``true`` is the regex ``.*`` (a v2 ``false``
    no condition: the conversion drops it), keys in sorted order (the snapshot crosses Go's JSON encoder)."""
    plain = {k: v for k, v in (exact or {}).items() if isinstance(v, str)}
    rx = dict(regex or {})
    for k, v in (exact or {}).items():
        if v is True:
            rx.setdefault(k, ".*")
    return sorted(plain.items()), sorted(rx.items())


def _route(m: EmissaryMapping) -> Route | str:
    """The Mapping's conditions as irhttpmapping builds them, or why Emissary leaves it inactive."""
    s = m.spec
    plain, regex = _conditions(s.headers, s.regex_headers)
    headers: list[KeyValue] = []
    host: str | None = None
    for name, value in plain:
        if name.lower() == ":authority":
            if "*" in value:
                return f":authority exact-match {value!r} contains *, which cannot match anything"
            host = value
        else:
            headers.append(KeyValue(name, value))
    headers += [KeyValue(n, v, True) for n, v in regex]
    host_regex = False
    if m.api_version.rsplit("/", 1)[-1] in V2:  # conversion: v2 host is the v3 hostname, none is "*"
        host, host_regex = (s.host, True) if s.host_regex and s.host else (s.host or "*", False)
    elif s.hostname is not None:
        host = s.hostname
    elif s.host is not None:
        host, host_regex = s.host, bool(s.host_regex)
        if not host_regex and "*" in host:
            return f"host exact-match {host} contains *, which cannot match anything"
    if host:
        headers.append(KeyValue(":authority", host, host_regex))
    if s.method is not None:
        headers.append(KeyValue(":method", s.method, bool(s.method_regex)))
    plain_q, regex_q = _conditions(s.query_parameters, s.regex_query_parameters)
    query = [KeyValue(n, v) for n, v in plain_q] + [KeyValue(n, v, True) for n, v in regex_q]
    weight = (
        s.precedence or 0,
        len(s.prefix),
        sum(h.length() for h in headers),
        sum(q.length() for q in query),
        s.prefix,
        s.method or "GET",
        *(h.key() for h in headers),
        *(q.key() for q in query),
    )
    return Route(m, headers, query, host if host and not host_regex else None, host_regex, weight)


def group_id(r: Route, hosts: list[EmissaryHost]) -> str:
    """irhttpmapping._group_id: the sha1 of method, prefix, headers, query parameters, the matchLabels of each
    Host (in the order Emissary holds them) whose mappingSelector takes a Mapping without host, precedence."""
    s = r.mapping.spec
    parts = ["HTTP-", s.method or "GET", s.prefix]
    parts += [h.name + (h.value or "") for h in r.headers]
    parts += [q.name + (q.value or "") for q in r.query]
    if r.host is None:  # `not self.host`: also a regex host, which leaves self.host unset
        for h in hosts:
            sel = h.mapping_selector
            if sel is not None and selector_matches(sel, r.mapping.labels):
                parts += [k + v for k, v in sorted((sel.match_labels or {}).items())]
    if s.precedence:
        parts.append(str(s.precedence))
    return hashlib.sha1("".join(parts).encode()).hexdigest()


def normalize(group: list[Route]) -> str:
    """normalize_weights_in_mappings: cumulative numerators; the error Emissary posts, or ""."""
    if len(group) == 1:
        group[0].numerator = group[0].share = 100
        return ""
    weighted = [r for r in group if r.mapping.spec.weight is not None]
    free = [r for r in group if r.mapping.spec.weight is None]
    over = next((r for r in weighted if (r.mapping.spec.weight or 0) > 100), None)
    total = sum(r.mapping.spec.weight or 0 for r in weighted)
    if over is not None or total > 100:
        why = (
            f"Mapping {over.mapping.name} has invalid weight {over.mapping.spec.weight}"
            if over is not None
            else "Total weight of mappings exceeds 100, please reconfigure for correct behavior..."
        )
        for r in group:
            r.unsettled = (
                f"Emissary could not normalize the group's weights (total {total}: '{why}'); the routes it still "
                "emits carry fractions that depend on the order it reads the Mappings"
            )
        return why
    cum = 0
    for r in weighted:
        cum += r.mapping.spec.weight or 0
        r.numerator = cum
    per = round((100 - cum) / len(free)) if free else 0
    for i, r in enumerate(free):
        cum = 100 if i == len(free) - 1 else cum + per
        r.numerator = cum
    prev = 0
    for r in weighted + free:
        r.share, prev = r.numerator - prev, r.numerator
    group[:] = weighted + free
    return ""


def installations(snap: Snapshot) -> list[Installation]:
    """Every installation (``ambassador_id``) the inputs configure, once per snapshot."""
    return context_of(snap).memo(("systems.emissary.ir.installations",), lambda: _build(snap), reads=READS)


def _build(snap: Snapshot) -> list[Installation]:
    mappings, hosts, listeners = snap.all(EmissaryMapping), snap.all(EmissaryHost), snap.all(EmissaryListener)
    ids = sorted(
        {i for x in mappings for i in x.ids} | {i for x in hosts for i in x.ids} | {i for x in listeners for i in x.ids}
    )
    out = []
    for iid in ids:
        inst = Installation(iid)
        inst.hosts = [h for h in hosts if iid in h.ids]
        inst.listeners = [x for x in listeners if iid in x.ids]
        for m in mappings:
            if iid not in m.ids or m.spec.shadow:
                continue
            r = _route(m)
            if isinstance(r, str):
                inst.inactive.append((m, r))
                continue
            r.group = group_id(r, inst.hosts)
            inst.routes.append(r)
        inst.groups = grouped(inst.routes)
        for i, g in enumerate(inst.groups):
            if why := normalize(g):
                inst.errors[i] = why
        out.append(inst)
    return out


def served(inst: Installation) -> Iterator[tuple[EmissaryHost, list[EmissaryListener]]]:
    """Each Host with the Listeners that carry its routes."""
    for h in inst.hosts:
        yield h, [x for x in inst.listeners if routes_on(x, h)]
