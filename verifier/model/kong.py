"""Kong Gateway declarative configuration (decK / DB-less ``kong.yml``): services, routes, upstreams, targets.

A ``kong.yml`` document has no apiVersion/kind: the Kong adapter's ``split_raw`` recognises it by
``_format_version`` and hands it over as one `KongConfig` (snake_case keys as Kong writes them).
Source: Kong/kong 22246ef2 ``kong/db/schema/entities/{routes,services,upstreams,targets}.lua``,
``kong/db/schema/others/declarative_config.lua``; docs/SEMANTICS.md#kong.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from cnverify.model.base import Node, Resource, register_kind
from pydantic import AfterValidator, ConfigDict, Field

KONG = "kong.declarative"  # the loader's own group for kong.yml documents (they carry no apiVersion)
LEGACY_FORMATS = ("1.1", "2.1")  # Kong 3.x migrates their paths on load (migrate_path_280_300.lua)
LEGACY_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_~/%")


class KongNode(Node):
    model_config = ConfigDict(alias_generator=None)


class KongTarget(KongNode):
    target: str = ""
    weight: int = 100  # targets.lua: 0 … 65535, default 100


class KongTopTarget(KongTarget):
    """A top-level ``targets[]`` entry: it names its upstream (by name or id)."""

    upstream: str | dict[str, Any] | None = None

    def upstream_key(self) -> str | None:
        u = self.upstream
        v = u.get("name", u.get("id")) if isinstance(u, dict) else u
        return v if isinstance(v, str) else None


class KongUpstream(KongNode):
    id: str | None = None
    name: str = ""
    targets: list[KongTarget] | None = None


class KongRoute(KongNode):
    id: str | None = None
    name: str | None = None
    protocols: list[str] | None = None
    methods: list[str] | None = None
    hosts: list[str] | None = None
    paths: list[str] | None = None
    headers: dict[str, list[str]] | None = None
    snis: list[str] | None = None
    sources: list[Any] | None = None
    destinations: list[Any] | None = None
    regex_priority: int = 0
    strip_path: bool | None = None
    preserve_host: bool | None = None
    expression: str | None = None
    priority: int | None = None
    plugins: list[Any] | None = None
    service: str | dict[str, Any] | None = None  # top-level routes: a service name or id, or {name|id: …}

    def label(self, where: str) -> str:
        return f"route {self.name or self.id or where}"

    def service_key(self) -> str | None:
        """The name or id a top-level route's ``service`` names."""
        s = self.service
        if isinstance(s, dict):
            v = s.get("name", s.get("id"))
            return v if isinstance(v, str) else None
        return s


class KongService(KongNode):
    id: str | None = None
    name: str | None = None
    host: str | None = None
    port: int | None = None
    protocol: str | None = None
    path: str | None = None
    url: str | None = None
    routes: list[KongRoute] | None = None

    def target_host(self) -> str | None:
        """The host requests are proxied to (``host``, else the host part of ``url``)."""
        if self.host:
            return self.host
        if self.url and "://" in self.url:
            rest = self.url.split("://", 1)[1]
            return rest.split("/", 1)[0].rsplit(":", 1)[0] if rest else None
        return None


@register_kind(KONG, "KongConfig")
class KongConfig(Resource):
    """One declarative config: the whole configuration of one Kong node (DB-less) or decK state file."""

    NAMESPACED: ClassVar[bool] = False
    model_config = ConfigDict(alias_generator=None)
    name_: str = Field(default="", alias="name")
    format_version: str = Field(default="3.0", alias="_format_version")
    services: list[KongService] | None = None
    routes: list[KongRoute] | None = None
    upstreams: list[KongUpstream] | None = None
    plugins: list[Any] | None = None  # global or scoped by their own route/service field
    targets: list[KongTopTarget] | None = None  # top-level targets, each naming its upstream

    @property
    def name(self) -> str:
        return self.name_

    def all_routes(self) -> list[tuple[KongRoute, KongService | None, str]]:
        """Every route with its service (None when it has none or names none) and its path in the config."""
        out: list[tuple[KongRoute, KongService | None, str]] = []
        for i, s in enumerate(self.services or []):
            out += [(r, s, f"services[{i}].routes[{j}]") for j, r in enumerate(s.routes or [])]
        for k, r in enumerate(self.routes or []):
            out.append((r, self.service_named(r.service_key()), f"routes[{k}]"))
        return out

    def service_named(self, key: str | None) -> KongService | None:
        return next((s for s in self.services or [] if key is not None and key in (s.name, s.id)), None)

    def upstream_named(self, host: str | None) -> KongUpstream | None:
        return next((u for u in self.upstreams or [] if host is not None and u.name == host), None)

    def targets_of(self, up: KongUpstream) -> list[KongTarget]:
        """The upstream's targets: nested under it and top-level ones naming it."""
        top = [t for t in self.targets or [] if t.upstream_key() in (up.name, up.id)]
        return [*(up.targets or []), *top]

    def route_paths(self, route: KongRoute) -> list[str]:
        """The route's paths as Kong 3 matches them: formats 1.1/2.1 are migrated on load (a path with
        characters outside ``[a-zA-Z0-9.-_~/%]`` becomes a ``~`` regex path)."""
        paths = list(route.paths or [])
        if self.format_version not in LEGACY_FORMATS:
            return paths
        return [p if set(p) <= LEGACY_PLAIN else "~" + p for p in paths]


KIC_CONFIG = "configuration.konghq.com"


def _gone(section: str, use: str) -> Any:
    def reject(value: Any) -> Any:
        raise ValueError(f"'{section}' field is no longer supported, use {use} instead")

    return AfterValidator(reject)


@register_kind(KIC_CONFIG, "KongIngress")
class KongIngress(Resource):
    """A KongIngress (configuration.konghq.com/v1, deprecated). At KIC 1fa68f86 only its ``upstream`` section is
    read (``kongstate.FillUpstreamOverrides``, for Services annotated ``konghq.com/override``: balancing,
    hashing, health checks, none of which decides a route or a target); the CRD's CEL rules reject ``proxy``
    and ``route`` (``!has(self.proxy)``, ``!has(self.route)``), so the API server refuses such an object."""

    proxy: Annotated[Any, _gone("proxy", "Service's annotations")] = None
    route: Annotated[Any, _gone("route", "Ingress' annotations")] = None
    upstream: dict[str, Any] | None = None
