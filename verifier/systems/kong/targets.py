"""Targets of Kong routes: route → service → upstream with a live target, or a Kubernetes Service.

Kong/kong 22246ef2: a matched route without a service answers 503 "no Service found with those values"
unless a plugin answers (``kong/init.lua``); a service whose ``host`` names an upstream balances over the
upstream's targets, a target of weight 0 is disabled, none available → 503 "failure to get a peer from
the ring-balancer" (``kong/runloop/balancer``); any other host is resolved by DNS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cnverify.errors import Span
from cnverify.model.kong import KongConfig, KongRoute, KongService, KongUpstream
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.targets import Check, service_target

READS = (KongConfig,)
SERVICE_DNS = re.compile(r"([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?\.?")


def checks(snap: Snapshot) -> Iterator[Check]:
    for cfg in snap.all(KongConfig):
        answering = bool(cfg.plugins)
        for route, service, rpath in cfg.all_routes():
            yield _route(snap, cfg, route, service, rpath, answering)


def _route(
    snap: Snapshot, cfg: KongConfig, route: KongRoute, svc: KongService | None, rpath: str, global_plugins: bool
) -> Check:
    label = route.label(rpath)
    where = (route.at("service") if route.service is not None else route.at(), f"{rpath}.service")
    if svc is None:
        steps: list[tuple[str, Span]] = [(f"{label} names no service", route.at())]
        plugins = global_plugins or bool(route.plugins)
        if plugins:
            return Check(
                cfg, route, "unknown", f"{label} has no service: a plugin may answer its requests", steps, where=where
            )
        claim = f"{label} has no service: Kong answers its requests with 503 (no Service found with those values)"
        return Check(cfg, route, "violated", claim, steps, where=where)
    steps = [(f"{label} → service {svc.name or svc.id}", svc.at())]
    host = svc.target_host()
    upstream = cfg.upstream_named(host)
    if upstream is not None:
        return _upstream(cfg, route, upstream, steps, label, where)
    m = SERVICE_DNS.fullmatch(host or "")
    if m is not None:
        step_at = svc.at("host") if svc.host else svc.at("url")
        steps.append((f"host {host} names Kubernetes Service {m.group(3)}/{m.group(1)} (cluster DNS)", step_at))
        check = service_target(
            snap, cfg, route, m.group(3), m.group(1), svc.port or 80, steps, port_required=True, what=label
        )
        check.where = where
        return check
    return Check(
        cfg,
        route,
        "unknown",
        f"service host {host!r} is resolved by DNS at run time (outside the inputs)",
        steps,
        where=where,
    )


def _upstream(
    cfg: KongConfig,
    route: KongRoute,
    up: KongUpstream,
    steps: list[tuple[str, Span]],
    label: str,
    where: tuple[Span, str],
) -> Check:
    steps.append((f"service host {up.name} is upstream {up.name}", up.at("name")))
    targets = cfg.targets_of(up)
    live = [t for t in targets if t.weight > 0]
    for t in targets:
        steps.append((f"target {t.target} weight {t.weight}" + (" (disabled)" if t.weight == 0 else ""), t.at()))
    if not live:
        claim = (
            f"upstream {up.name} has no target of weight > 0: Kong answers {label}'s requests with 503 "
            "(failure to get a peer from the ring-balancer)"
        )
        return Check(cfg, route, "violated", claim, steps, where=where)
    claim = f"{label} → upstream {up.name} with {len(live)} target(s) of weight > 0 (their health is not in the inputs)"
    return Check(cfg, route, "proved", claim, steps, where=where)
