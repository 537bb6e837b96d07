"""Entry points of a snapshot: ``key → variants of [Route]`` from the per-system translators.

The translators (``cnverify.systems.routing.tables``: ``translate(snap) -> (clauses, tables)``)
give each entry point's match IR in first-match order, with several ``variants`` when the order
depends on creation time.  This module adds what the IR lacks for a diff: each route's *action*
(destinations with weights, or redirect / direct response / delegate), read from the routing
resource.  A route whose action cannot be read gets an action naming the route itself, so a
request moving to another route counts as a change (never a false "equivalent").  Translators and
action readers are the system adapters' ``route_tables`` and ``diff_actions`` hooks (``cnverify.systems``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cnverify import systems
from cnverify.snapshot import Snapshot

if TYPE_CHECKING:
    from cnverify.diff.routing import Action, Route

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
    path = node.field_path[: len(node.field_path) - up] if up else node.field_path
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
    return tuple(
        sorted((prefix + k, json.dumps(v, sort_keys=True, default=str)) for k, v in raw.items() if k not in handled)
    )


def tagged(name: str, raw: dict[str, Any], handled: frozenset[str]) -> str:
    """A destination's name plus its own effects (per-destination header edits, filters)."""
    extra = effects(raw, handled)
    return name + "".join(f" {k}={v}" for k, v in extra)


def other(kind: str, value: Any, extra: tuple[tuple[str, str], ...] = ()) -> Action:
    """An action that is no forward (redirect, direct response, …), compared by its written value."""
    from cnverify.diff.routing import Action

    return Action(kind, detail=str(sorted(value.items())) if isinstance(value, dict) else str(value), effects=extra)


def _readers() -> dict[str, Callable[[Any, Any], Action | None]]:
    """``{table system: action reader}`` from every adapter's ``diff_actions`` hook."""
    out: dict[str, Callable[[Any, Any], Action | None]] = {}
    for system in systems.implementing("diff_actions"):
        out.update(system.diff_actions())
    return out


def entry_points(snap: Snapshot) -> tuple[dict[str, Variants], dict[str, str], list[str], set[str]]:
    """``({entry point: variants of its routes in first-match order}, {entry point: host}, notes, failed)``.

    The host map holds the translator's ``host_sample`` for tables whose entries carry no host
    condition (the host cannot change which entry a request takes): the diff fixes the request's
    host to it, so a side whose entries do test the host is compared on that host.  ``failed``
    names the systems (adapter names, the ``system`` of their tables) whose translator raised: the
    caller drops them on both sides.
    """
    out: dict[str, Variants] = {}
    hosts: dict[str, str] = {}
    notes: list[str] = []
    failed: set[str] = set()
    for system, mod in ((s.name, m) for s in systems.implementing("route_tables") for m in s.route_tables()):
        try:
            clauses, tables = mod.translate(snap)
            converted = {f"{t.system}: {t.name}": _variants(t, clauses) for t in tables}
        except Exception as exc:  # a translator bug must not hide the other systems
            failed.add(system)
            notes.append(
                f"routing deltas of {system} not computed: its translator failed ({type(exc).__name__}: {exc})"
            )
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
    return [
        [
            _route(clauses[e.clause_id], e, table.system)
            if e.clause_id in clauses
            else _elsewhere(e, places.get(e.clause_id))
            for e in order
        ]
        for order in table.variants
    ]


def _elsewhere(entry: Any, at: Any) -> Route:
    """An entry that is no route of this table: requests it matches are served elsewhere (another
    listener, host group or controller claims them), which is an outcome to compare like any other."""
    from cnverify.diff.routing import Action, Route

    return Route(entry, Action("served-elsewhere", detail=entry.clause_id), entry.clause_id, at)


def _route(clause: Any, entry: Any, system: str) -> Route:
    from cnverify.diff.routing import Action, Route

    reader = _readers().get(system)
    node = node_at(clause.subject, clause.route_path)
    action = reader(clause.subject, node) if reader is not None and node is not None else None
    if action is None:
        action = Action("route-of", detail=clause.route_key)
    return Route(entry, action, clause.route_label, clause.clause_at)
