"""The Kong routes of a snapshot as the router sees them, each with where it is written: the routes of a
declarative ``kong.yml``, and those the Kong Ingress Controller generates from Ingresses of class ``kong``."""

from __future__ import annotations

from dataclasses import dataclass

from cnverify.errors import Span
from cnverify.model import Resource
from cnverify.model.kong import LEGACY_FORMATS, KongConfig, KongRoute
from cnverify.snapshot import Snapshot
from cnverify.systems.kong.kic import KicRoute, routes

STREAM = frozenset({"tcp", "tls", "udp", "tls_passthrough"})


@dataclass
class RouteSource:
    """One Kong route: the fields that decide matching (``route``) and the manifest they come from."""

    subject: Resource
    route: KongRoute
    route_key: str
    rpath: str
    label: str
    at: Span
    paths: list[tuple[str, str, Span]]  # (path as Kong 3 reads it, clause path, where it is written)
    uuid: str | None = None  # the route id when the manifests fix it
    legacy: bool = False  # a 1.1/2.1 declarative config (regex paths percent-decoded on migration)


def declarative(cfg: KongConfig) -> list[RouteSource]:
    """The HTTP routes of a declarative config (stream routes belong to the stream router)."""
    out = []
    for route, _, rpath in cfg.all_routes():
        if route.protocols and route.protocols[0] in STREAM:
            continue
        paths = [(p, f"{rpath}.paths[{i}]", route.at("paths", i)) for i, p in enumerate(cfg.route_paths(route))]
        label = f"Kong {route.name or route.id or rpath}"
        key = f"{cfg.ref}:{rpath}"
        legacy = cfg.format_version in LEGACY_FORMATS
        out.append(RouteSource(cfg, route, key, rpath, label, route.at(), paths, route.id, legacy))
    return out


def from_kic(snap: Snapshot) -> list[RouteSource]:
    """The routes KIC generates from Ingresses of class ``kong`` (kic.py), located at their Ingress paths."""
    return [_kic(r) for r in routes(snap)]


def _kic(r: KicRoute) -> RouteSource:
    fields = {
        "name": r.name,
        "hosts": r.hosts or None,
        "paths": [p.kong for p in r.paths],
        "methods": r.methods or None,
        "headers": r.headers or None,
        "regex_priority": r.regex_priority,
    }
    route = KongRoute.model_validate({k: v for k, v in fields.items() if v is not None})
    first = r.paths[0]
    rpath = _where(first.index)
    paths = [(p.kong, f"{_where(p.index)}~{n}", p.node.at("path")) for n, p in enumerate(r.paths)]
    label = f"Kong route {r.name} (KIC, from Ingress {r.ingress.namespace}/{r.ingress.name})"
    return RouteSource(r.ingress, route, f"{r.ingress.ref}:kong:{r.name}", rpath, label, first.node.at(), paths)


def _where(index: tuple[int, int] | None) -> str:
    return "spec.defaultBackend" if index is None else f"spec.rules[{index[0]}].http.paths[{index[1]}]"
