"""The Kong routes of a snapshot as the router sees them, each with where it is written: the routes of a
declarative ``kong.yml``, and those the Kong Ingress Controller generates from Ingresses of class ``kong``."""

from __future__ import annotations

from dataclasses import dataclass, field

from cnverify.errors import Span
from cnverify.model import Resource
from cnverify.model.base import Node
from cnverify.model.gateway import PathMatch
from cnverify.model.kong import LEGACY_FORMATS, KongConfig, KongRoute
from cnverify.snapshot import Snapshot
from cnverify.systems.kong.httproutes import HttpKongRoute, KongPath, Programmed, kic_routes
from cnverify.systems.kong.kic import KicRoute, route_id, routes

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
    dropped: str = ""  # why the controller does not program it (a translation failure)
    unsupported: str = ""  # why its translation is not modelled (its matches are unknown)
    unsure: str = ""  # why the controller may not program it (attachment the inputs do not settle)
    assumes: list[tuple[str, Span]] = field(default_factory=list)  # what its presence rests on


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
    """The routes KIC generates from Ingresses of class ``kong`` (kic.py), located at their Ingress paths, and
    from HTTPRoutes of its Gateways (httproutes.py), located at their matches."""
    return [_kic(r) for r in routes(snap)] + [_kic_http(p, r) for p, r in kic_routes(snap)]


def _kic_http(prog: Programmed, r: HttpKongRoute) -> RouteSource:
    over = r.over
    fields = {
        "name": r.name,
        "hosts": over.hosts(r.hosts),
        "paths": [p.kong for p in r.paths] or None,
        "methods": over.methods or r.methods or None,
        "headers": over.headers or r.headers or None,
        "snis": over.snis or None,
        "regex_priority": over.regex_priority or 0,
    }
    route = KongRoute.model_validate({k: v for k, v in fields.items() if v is not None})
    hr = r.route
    paths = [(p.kong, f"{_match_where(p)}~{n}", _path_at(p.node)) for n, p in enumerate(r.paths)]
    rules = ", ".join(str(i) for i in r.rules)
    label = f"Kong route {r.name} (KIC, from HTTPRoute {hr.namespace}/{hr.name} rules[{rules}])"
    src = RouteSource(hr, route, f"{hr.ref}:kong:{r.name}", f"spec.rules[{r.rules[0]}]", label, r.node.at(), paths)
    src.uuid = route_id(r.name, hr)
    src.dropped = r.dropped and f"KIC does not program Kong route {r.name}: {r.dropped}"
    src.unsure = "" if prog.sure else f"whether KIC accepts HTTPRoute {hr.namespace}/{hr.name}: {prog.unsure}"
    src.assumes = prog.assumes
    src.unsupported = r.unsupported
    return src


def _match_where(p: KongPath) -> str:
    return f"spec.rules[{p.rule}]" + ("" if p.match is None else f".matches[{p.match}]")


def _path_at(node: Node) -> Span:
    return node.at("value") if isinstance(node, PathMatch) else node.at()


def _kic(r: KicRoute) -> RouteSource:
    fields = {
        "name": r.name,
        "hosts": r.hosts or None,
        "paths": [p.kong for p in r.paths],
        "methods": r.methods or None,
        "headers": r.headers or None,
        "snis": r.snis or None,
        "regex_priority": r.regex_priority,
    }
    route = KongRoute.model_validate({k: v for k, v in fields.items() if v is not None})
    first = r.paths[0]
    rpath = _where(first.index)
    paths = [(p.kong, f"{_where(p.index)}~{n}", p.node.at("path")) for n, p in enumerate(r.paths)]
    label = f"Kong route {r.name} (KIC, from Ingress {r.ingress.namespace}/{r.ingress.name})"
    key = f"{r.ingress.ref}:kong:{r.name}"
    return RouteSource(r.ingress, route, key, rpath, label, first.node.at(), paths, route_id(r.name, r.ingress))


def _where(index: tuple[int, int] | None) -> str:
    return "spec.defaultBackend" if index is None else f"spec.rules[{index[0]}].http.paths[{index[1]}]"
