"""The Istio routes an Argo Rollout rewrites, and what it writes into them (docs/SEMANTICS.md#argo-rollouts).

argoproj/argo-rollouts 9f8d111d ``rollout/trafficrouting/istio/istio.go``: ``getHttpRouteIndexesToPatch`` (the named
routes; none named: the only route, else the first unnamed one), ``searchTlsRoute``/``searchTcpRoute`` (by the one
port of the match, and the SNI hosts for TLS; none listed: route 0), ``ValidateHTTPRoutes`` (without names, exactly
one route outside managedRoutes), ``validateVirtualServiceRouteDestinations`` (both destinations, by host's first
DNS label, ``getHost``, or by DestinationRule subset), ``processRoutes`` (canary ``w``, stable ``100 − w − Σ
experiment weights − Σ additional-subset weights`` clamped at 0, additional subsets kept, every other destination
deleted); ``utils/istio/istio.go`` ``GetVirtualServiceNamespaceName`` (``name.namespace``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cnverify.model.argo import IstioTrafficRouting, IstioVirtualServiceRef, Rollout
from cnverify.model.istio import HTTPRoute, HTTPRouteDestination, L4Route, VirtualService


@dataclass(frozen=True)
class Managed:
    """One route of a VirtualService the Rollout rewrites."""

    vs: VirtualService
    kind: str  # http | tls | tcp
    index: int
    route: HTTPRoute | L4Route

    @property
    def where(self) -> str:
        name = getattr(self.route, "name", None)
        return f"VirtualService {self.vs.namespace}/{self.vs.name} {self.kind}[{self.index}]" + (
            f" ({name})" if name else ""
        )


def vs_name(ref: IstioVirtualServiceRef, namespace: str) -> tuple[str, str]:
    """``(namespace, name)`` of a ``virtualService.name`` (``name.namespace`` allowed, ``.cluster.local`` dropped)."""
    fields = ref.name.removesuffix(".cluster.local").split(".")
    if len(fields) >= 2:
        return fields[-1], ".".join(fields[:-1])
    return namespace, ref.name


def ref_path(istio: IstioTrafficRouting, i: int) -> str:
    """The field path of the ``i``-th VirtualService reference of :attr:`IstioTrafficRouting.services`."""
    field = "virtualService" if istio.virtual_services is None else f"virtualServices[{i}]"
    return f"spec.strategy.canary.trafficRouting.istio.{field}"


def short(host: str) -> str:
    """``getHost``: a destination host's first DNS label (``reviews.prod.svc.cluster.local`` → ``reviews``)."""
    i = host.find(".")
    return host if i < 0 else host[:i] if i > 0 else ""


def _one_port(route: L4Route) -> tuple[int, list[str]] | None:
    ports = {m.port or 0 for m in route.match or []}
    if len(ports) > 1:
        return None  # "If there are multiple ports defined then this rules is never gonna match"
    sni = sorted({h for m in route.match or [] for h in m.sni_hosts or []})
    return (next(iter(ports), 0), sni)


def managed(ro: Rollout, ref: IstioVirtualServiceRef, vs: VirtualService) -> tuple[list[Managed], list[str]]:
    """The routes of ``vs`` the Rollout rewrites and the validation errors the controller reports (InvalidSpec)."""
    spec, out, errors = vs.spec, [], []
    c = ro.spec.strategy.canary
    managed_names = (
        {r.get("name") for r in (c.traffic_routing.managed_routes or [])} if c and c.traffic_routing else set()
    )
    if spec.http is None and spec.tls is None and spec.tcp is None:
        return [], ["Unable to get any of the HTTP, TCP or TLS routes for the Istio VirtualService"]
    http = spec.http or []
    if spec.http is not None:
        if ref.routes:
            for name in ref.routes:
                i = next((k for k, r in enumerate(http) if r.name == name), -1)
                if i < 0:
                    errors.append(f"HTTP Route '{name}' is not found in the defined Virtual Service.")
                else:
                    out.append(Managed(vs, "http", i, http[i]))
        else:
            i = 0 if len(http) == 1 else next((k for k, r in enumerate(http) if not r.name), -1)
            if i >= 0:
                out.append(Managed(vs, "http", i, http[i]))
            if len([r for r in http if r.name not in managed_names]) > 1:
                errors.append(
                    "spec.http[] should be set in VirtualService and it must have exactly one route when omitting "
                    "spec.strategy.canary.trafficRouting.istio.virtualService.routes"
                )
    for kind, routes, wanted in (("tls", spec.tls, ref.tls_routes), ("tcp", spec.tcp, ref.tcp_routes)):
        if routes is None:
            continue
        if not wanted:
            out += [Managed(vs, kind, 0, routes[0])] if routes else []
            if len(routes) > 1:
                errors.append(
                    f"spec.{kind}[] should be set in VirtualService and it must have exactly one route when omitting "
                    f"spec.strategy.canary.trafficRouting.istio.virtualService.{kind}Routes"
                )
            continue
        for w in wanted:
            hits = [
                k
                for k, r in enumerate(routes)
                if (p := _one_port(r)) is not None
                and p[0] == (w.port or 0)
                and (kind == "tcp" or p[1] == sorted(w.sni_hosts or []))
            ]
            if not hits:
                errors.append(f"No matching {kind.upper()} routes found in the defined Virtual Service.")
            out += [Managed(vs, kind, k, routes[k]) for k in hits]
    return out, errors


@dataclass(frozen=True)
class Roles:
    """How the Rollout recognises the destinations of a route: by Service host or DestinationRule subset."""

    canary_service: str
    stable_service: str
    canary_subset: str
    stable_subset: str
    additional: frozenset[str]
    by_subset: bool

    @classmethod
    def of(cls, ro: Rollout, istio: IstioTrafficRouting) -> Roles:
        c = ro.spec.strategy.canary
        assert c is not None
        dr = istio.destination_rule
        return cls(
            c.canary_service,
            c.stable_service,
            dr.canary_subset_name if dr else "",
            dr.stable_subset_name if dr else "",
            frozenset(dr.additional_subset_names or []) if dr else frozenset(),
            dr is not None,
        )

    def role(self, d: HTTPRouteDestination) -> str:
        """``canary``, ``stable``, ``additional`` (kept as written) or ``other`` (deleted), as ``processRoutes``."""
        host, subset = short(d.destination.host), d.destination.subset or ""
        if not host:
            return "ignored"  # processRoutes skips a destination whose host starts with a dot
        if host == self.canary_service or (subset and subset == self.canary_subset):
            return "canary"
        if host == self.stable_service or (subset and subset == self.stable_subset):
            return "stable"
        return "additional" if subset and subset in self.additional else "other"

    def missing(self, dests: list[HTTPRouteDestination]) -> str | None:
        """``validateVirtualServiceRouteDestinations``'s error for a route, or None."""
        hosts = {short(d.destination.host) for d in dests}
        subsets = {d.destination.subset or "" for d in dests}
        if self.by_subset:
            for role, name in (("Canary", self.canary_subset), ("Stable", self.stable_subset)):
                if not name or name not in subsets:
                    return f"{role} DestinationRule subset '{name}' not found in route"
            return None
        for role, name in (("Canary", self.canary_service), ("Stable", self.stable_service)):
            if not name or name not in hosts:
                return f"{role} Service '{name}' not found in route"
        return None
