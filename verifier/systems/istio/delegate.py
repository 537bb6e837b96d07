"""Istio delegate VirtualServices: a root route with ``delegate`` is replaced by the delegate's routes.

istio/istio ``pilot/pkg/model/virtualservice_controller.go`` (merged VirtualServices) and
``pilot/pkg/model/virtualservice.go`` (``MergeHTTPRoutes``, ``mergeHTTPMatchRequests``,
``mergeHTTPMatchRequest``, ``hasConflict``, ``stringMatchConflict``): the delegate (default
namespace: the root's) must exist and be exported to the root's namespace, else only that root route
is dropped; each delegate route, in order, takes the root route's place with every leaf match block
merged into every root block it does not conflict with (leaf fields win, maps merged); a leaf block
that fits no root block drops that delegate route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnverify.model import VirtualService
from cnverify.model.istio import HTTPMatchRequest, HTTPRoute
from cnverify.model.istio import StringMatch as IstioStringMatch
from cnverify.snapshot import Snapshot
from cnverify.systems.istio import scope
from cnverify.systems.routing.tables import Clause, clause_key
from cnverify.systems.routing.targets import inventory_namespaces


def _kind(s: IstioStringMatch) -> tuple[str, str] | None:
    return next(((k, getattr(s, k)) for k in ("regex", "exact", "prefix") if getattr(s, k)), None)


def string_conflict(root: IstioStringMatch | None, leaf: IstioStringMatch | None) -> bool:
    """``stringMatchConflict``: a leaf string match must be a sub-case of the root's."""
    if root is None or leaf is None:
        return False
    r, lf = _kind(root), _kind(leaf)
    if (r and r[0] == "regex" and lf) or (lf and lf[0] == "regex" and r):
        return True
    if r and r[0] == "exact":
        return lf is None or lf[0] != "exact" or lf[1] != r[1]
    if r and r[0] == "prefix" and lf and lf[0] in ("prefix", "exact"):
        return not lf[1].startswith(r[1])
    return True


def conflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest) -> bool:
    """``hasConflict``."""
    if any(string_conflict(getattr(root, f), getattr(leaf, f)) for f in ("uri", "scheme", "method", "authority")):
        return True
    for field in ("headers", "without_headers", "query_params"):
        mine = getattr(root, field) or {}
        if any(string_conflict(mine.get(k), v) for k, v in (getattr(leaf, field) or {}).items()):
            return True
    if bool(root.ignore_uri_case) != bool(leaf.ignore_uri_case):
        return True
    if root.port and leaf.port and root.port != leaf.port:
        return True
    if root.source_namespace and leaf.source_namespace != root.source_namespace:
        return True
    if any(
        k in (root.source_labels or {}) and root.source_labels[k] != v  # type: ignore[index]
        for k, v in (leaf.source_labels or {}).items()
    ):
        return True
    if root.gateways and leaf.gateways:
        return len(root.gateways) < len(leaf.gateways) or not set(leaf.gateways) <= set(root.gateways)
    return False


def merge(root: HTTPMatchRequest, leaf: HTTPMatchRequest) -> HTTPMatchRequest:
    """``mergeHTTPMatchRequest``: the leaf's fields, the root's where the leaf sets none, maps merged."""
    data: dict[str, Any] = dict(leaf)
    for f in ("uri", "scheme", "method", "authority", "source_namespace", "gateways"):
        data[f] = getattr(leaf, f) or getattr(root, f)
    data["port"] = leaf.port or root.port
    for f in ("headers", "without_headers", "query_params", "source_labels"):
        merged = {**(getattr(root, f) or {}), **(getattr(leaf, f) or {})}
        data[f] = merged or None
    return HTTPMatchRequest.model_construct(**data)


def merge_matches(
    root: list[HTTPMatchRequest], leaf: list[HTTPMatchRequest]
) -> list[tuple[int | None, int | None, HTTPMatchRequest | None]] | None:
    """``mergeHTTPMatchRequests``: (root index, leaf index, merged) per block; None on a conflict."""
    if not root:
        return [(None, k, m) for k, m in enumerate(leaf)] or [(None, None, None)]
    if not leaf:
        return [(j, None, m) for j, m in enumerate(root)]
    out: list[tuple[int | None, int | None, HTTPMatchRequest | None]] = []
    for k, sub in enumerate(leaf):
        hits = [(j, k, merge(r, sub)) for j, r in enumerate(root) if not conflict(r, sub)]
        if not hits:
            return None
        out += hits
    return out


@dataclass(frozen=True)
class Skip:
    """Why pilot generates no route for a match block; ``unknown``: the inputs cannot tell (the block is kept as
    an unsupported match, never dropped)."""

    why: str
    unknown: bool = False


def resolve(snap: Snapshot, vs: VirtualService, route: HTTPRoute) -> tuple[VirtualService | None, Skip | None]:
    """The delegate VirtualService of a root route, or why there is none (``unknown`` when outside the inputs)."""
    d = route.delegate
    assert d is not None
    ns = d.namespace or vs.namespace
    found = next((x for x in snap.in_namespace(VirtualService, ns) if x.name == d.name and not x.spec.hosts), None)
    if found is None:
        if ns not in inventory_namespaces(snap):
            return None, Skip(
                f"delegate {ns}/{d.name} is not in the inputs (namespace {ns} is not part of them)", unknown=True
            )
        return None, Skip(f"delegate VirtualService {ns}/{d.name} does not exist: Istio ignores this route")
    ex = scope.exports(found)
    if "*" not in ex and vs.namespace not in ex:
        return None, Skip(
            f"delegate VirtualService {ns}/{d.name} is not exported to namespace {vs.namespace}: "
            "Istio ignores this route"
        )
    return found, None


def leaf_clause(clauses: dict[str, Clause], d: VirtualService, j: int, k: int | None, via: str) -> str:
    """Register the clause of delegate route ``j`` (leaf block ``k``) as merged into root ``via``; its key."""
    route = (d.spec.http or [])[j]
    rkey = f"{d.ref}:spec.http[{j}]"
    path = f"spec.http[{j}]" if k is None else f"spec.http[{j}].match[{k}]"
    node = route if k is None else (route.match or [])[k]
    label = f"VirtualService {d.namespace}/{d.name} http[{j}]" + (f" ({route.name})" if route.name else "")
    key = clause_key(rkey, path) + f"|via {via}"
    clauses[key] = Clause(
        d, rkey, label, route.at(), f"spec.http[{j}]", node.at(), path, max(1, len(route.match or [])), key
    )
    return key
