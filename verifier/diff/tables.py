"""Entry points of a snapshot: ``key → variants of [Route]`` from the per-system translators.

The translators (``cnverify.properties._shared.routing.tables``: ``translate(snap) -> (clauses, tables)``)
give each entry point's match IR in first-match order, with several ``variants`` when the order
depends on creation time.  This module adds what the IR lacks for a diff: each route's *action*
(destinations with weights, or redirect / direct response / delegate), read from the routing
resource.  A route whose action cannot be read gets an action naming the route itself, so a
request moving to another route counts as a change (never a false "equivalent").  Until the
translators are importable the routing part of a diff is empty and says so.
"""
from __future__ import annotations

import importlib.util
import json
import re
from typing import TYPE_CHECKING, Any

from cnverify.snapshot import Snapshot

if TYPE_CHECKING:
    from cnverify.diff.routing import Action, Route

MISSING = ("routing deltas not computed: the route-table translators (cnverify.properties._shared.routing.tables) "
           "are not available")
Variants = list[list["Route"]]


def node_at(root: Any, path: str) -> Any:
    """The model node at a route path such as ``spec.rules[2].http.paths[0]`` (None when absent)."""
    node = root
    for part in path.split("."):
        m = re.fullmatch(r"([A-Za-z_]+)((?:\[\d+\])*)", part)
        if m is None:
            return None
        name = re.sub(r"(?<!^)([A-Z])", lambda x: "_" + x.group(1).lower(), m.group(1))
        node = getattr(node, name, None)
        for idx in re.findall(r"\[(\d+)\]", m.group(2)):
            if not isinstance(node, list) or int(idx) >= len(node):
                return None
            node = node[int(idx)]
        if node is None:
            return None
    return node


def raw_of(node: Any, up: int = 0) -> dict[str, Any]:
    """The mapping a model node was read from (``up`` levels of path higher), as written."""
    doc = getattr(node, "doc", None)
    if doc is None:
        return {}
    value: Any = doc.data
    path = node.field_path[:len(node.field_path) - up] if up else node.field_path
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return {}
    return value if isinstance(value, dict) else {}


def effects(raw: dict[str, Any], handled: frozenset[str], prefix: str = "") -> tuple[tuple[str, str], ...]:
    """Every field of a route besides its match and destinations, as canonical text: rewrites,
    retries, timeouts, header edits, faults, mirrors, CORS… — what a request *gets* beyond where it
    goes.  They are compared as written (a change of any of them is a change, never "equivalent")."""
    return tuple(sorted((prefix + k, json.dumps(v, sort_keys=True, default=str)) for k, v in raw.items()
                        if k not in handled))


def _tagged(name: str, raw: dict[str, Any], handled: frozenset[str]) -> str:
    """A destination's name plus its own effects (per-destination header edits, filters)."""
    extra = effects(raw, handled)
    return name + "".join(f" {k}={v}" for k, v in extra)


ISTIO_ROUTE = frozenset({"match", "route", "name", "redirect", "directResponse", "delegate"})
ISTIO_DEST = frozenset({"destination", "weight"})
GATEWAY_RULE = frozenset({"matches", "backendRefs", "name"})
GATEWAY_REF = frozenset({"name", "namespace", "kind", "group", "port", "weight"})
INGRESS_PATH = frozenset({"path", "pathType", "backend"})
ENVOY_ROUTE = frozenset({"match", "name", "route", "redirect", "direct_response"})
ENVOY_ACTION = frozenset({"cluster", "weighted_clusters", "cluster_header"})
ENVOY_VHOST = frozenset({"name", "domains", "routes", "virtual_clusters"})
ENVOY_CLUSTER = frozenset({"name", "weight"})
NOT_OUTCOMES = ("kubectl.kubernetes.io/", "cnverify.io/")


def _other(kind: str, value: Any, extra: tuple[tuple[str, str], ...] = ()) -> "Action":
    from cnverify.diff.routing import Action

    return Action(kind, detail=str(sorted(value.items())) if isinstance(value, dict) else str(value), effects=extra)


def _istio_action(subject: Any, route: Any) -> "Action | None":
    from cnverify.diff.routing import Action
    from cnverify.encodings.hosts import expand

    extra = effects(raw_of(route), ISTIO_ROUTE)
    if route.redirect is not None:
        return _other("redirect", route.redirect, extra)
    if route.direct_response is not None:
        return _other("direct_response", route.direct_response, extra)
    if route.delegate is not None:
        return Action("delegate", detail=f"{route.delegate.namespace or subject.namespace}/{route.delegate.name}",
                      effects=extra)
    dests = route.route or []
    out = []
    for d in dests:
        name = expand(d.destination.host, subject.namespace)
        if d.destination.port is not None and d.destination.port.number is not None:
            name += f":{d.destination.port.number}"
        if d.destination.subset:
            name += f" subset {d.destination.subset}"
        out.append((_tagged(name, raw_of(d), ISTIO_DEST), 100 if len(dests) == 1 else (d.weight or 0)))  # §4.3
    return Action("route", tuple(out), effects=extra)


def _gateway_action(subject: Any, rule: Any) -> "Action | None":
    from cnverify.diff.routing import Action

    extra = effects(raw_of(rule), GATEWAY_RULE)
    filters = [f for f in rule.filters or [] if isinstance(f, dict)]
    for f in filters:
        if f.get("type") == "RequestRedirect":
            return _other("redirect", f.get("requestRedirect") or {}, extra)
    refs = rule.backend_refs or []
    out = [(_tagged(f"{r.kind or 'Service'} {r.namespace or subject.namespace}/{r.name}"
                    + (f":{r.port}" if r.port else ""), raw_of(r), GATEWAY_REF),
            1 if r.weight is None else r.weight) for r in refs]  # SEMANTICS: weight defaults to 1
    return Action("route", tuple(out), effects=extra)


def _ingress_action(subject: Any, path: Any) -> "Action | None":
    from cnverify.diff.routing import Action

    notes = {k: v for k, v in subject.annotations.items() if not k.startswith(NOT_OUTCOMES)}
    extra = effects(raw_of(path), INGRESS_PATH) + effects(notes, frozenset(), "annotation ")  # controller options
    ref = path.backend.service_ref
    if ref is None:
        return _other("resource", path.backend.resource or {}, extra)
    return Action("route", ((f"Service {subject.namespace}/{ref[0]}" + (f":{ref[1]}" if ref[1] is not None else ""),
                             1),), effects=extra)


def _envoy_action(subject: Any, route: Any) -> "Action | None":
    from cnverify.diff.routing import Action

    raw = raw_of(route)
    extra = (effects(raw, ENVOY_ROUTE) + effects(raw.get("route") or {}, ENVOY_ACTION, "route.")
             + effects(raw_of(route, up=2), ENVOY_VHOST, "virtual_host."))
    if route.redirect is not None:
        return _other("redirect", route.redirect, extra)
    if route.direct_response is not None:
        return _other("direct_response", route.direct_response, extra)
    act = route.route
    if act is None:
        return None
    if act.weighted_clusters is not None:
        return Action("route", tuple((_tagged(c.name, raw_of(c), ENVOY_CLUSTER), c.weight or 0)
                                     for c in act.weighted_clusters.clusters), effects=extra)
    if act.cluster is not None:
        return Action("route", ((act.cluster, 1),), effects=extra)
    if act.cluster_header is not None:
        return Action("cluster_header", detail=act.cluster_header, effects=extra)
    return None


ACTIONS = {"istio": _istio_action, "gateway": _gateway_action, "ingress": _ingress_action, "envoy": _envoy_action}


def entry_points(snap: Snapshot) -> tuple[dict[str, Variants], dict[str, str], list[str], set[str]]:
    """``({entry point: variants of its routes in first-match order}, {entry point: host}, notes, failed)``.

    The host map holds the translator's ``host_sample`` for tables whose entries carry no host
    condition (the host cannot change which entry a request takes): the diff fixes the request's
    host to it, so a side whose entries do test the host is compared on that host.  ``failed``
    names the systems whose translator raised (the caller drops them on both sides).
    """
    if importlib.util.find_spec("cnverify.properties._shared.routing.tables") is None:
        return {}, {}, [MISSING], set()
    from cnverify.properties._shared.routing import tables as t

    out: dict[str, Variants] = {}
    hosts: dict[str, str] = {}
    notes: list[str] = []
    failed: set[str] = set()
    for mod in t._translators():
        system = mod.__name__.rsplit(".", 1)[-1]  # type: ignore[attr-defined]
        try:
            clauses, tables = mod.translate(snap)  # type: ignore[attr-defined]
            converted = {f"{t.system}: {t.name}": _variants(t, clauses) for t in tables}
        except Exception as exc:  # a translator bug must not hide the other systems
            failed.add(system)
            notes.append(f"routing deltas of {system} not computed: its translator failed ({type(exc).__name__}: {exc})")
            continue
        out.update(converted)
        for table in tables:
            key = f"{table.system}: {table.name}"
            if getattr(table, "host_sample", None):
                hosts[key] = table.host_sample
            if len(table.variants) > 1:
                notes.append(f"{key}: {table.order_note}")
    return out, hosts, notes, failed


def _variants(table: Any, clauses: dict[str, Any]) -> Variants:
    """A table's orders as routes with actions; entries that are no route become "served elsewhere"."""
    places = getattr(table, "places", {})
    return [[_route(clauses[e.clause_id], e, table.system) if e.clause_id in clauses
             else _elsewhere(e, places.get(e.clause_id)) for e in order] for order in table.variants]


def _elsewhere(entry: Any, at: Any) -> "Route":
    """An entry that is no route of this table: requests it matches are served elsewhere (another
    listener, host group or controller claims them), which is an outcome to compare like any other."""
    from cnverify.diff.routing import Action, Route

    return Route(entry, Action("served-elsewhere", detail=entry.clause_id), entry.clause_id, at)


def _route(clause: Any, entry: Any, system: str) -> "Route":
    from cnverify.diff.routing import Action, Route

    reader = ACTIONS.get(system)
    node = node_at(clause.subject, clause.route_path)
    action = reader(clause.subject, node) if reader is not None and node is not None else None
    if action is None:
        action = Action("route-of", detail=clause.route_key)
    return Route(entry, action, clause.route_label, clause.clause_at)
