"""Targets of Consul config entries (CNV102, CNV104): every router destination, split, redirect and failover
target followed through the discovery chain (``chain.resolve``), and the HTTP-like protocol that routers and
splitters need (``chain.l7_check``)."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.errors import Span
from cnverify.model.consul import (
    Failover,
    FailoverTarget,
    ProxyDefaults,
    ServiceDefaults,
    ServiceResolver,
    ServiceRouter,
    ServiceSplitter,
)
from cnverify.snapshot import Snapshot
from cnverify.systems.consul.chain import Target, l7_check, resolve
from cnverify.systems.routing.targets import Check

READS = (ServiceRouter, ServiceSplitter, ServiceResolver, ServiceDefaults, ProxyDefaults)


def checks(snap: Snapshot) -> Iterator[Check]:
    for router in snap.all(ServiceRouter):
        yield l7_check(snap, router, "routing")
        for i, route in enumerate(router.spec.routes or []):
            d = route.destination
            service = (d.service if d else None) or router.name
            subset = d.service_subset if d else None
            t = Target(
                router,
                d or route,
                service,
                subset,
                (d.namespace if d else None) or router.namespace,
                f"routes[{i}] destination",
                elsewhere=f"partition {d.partition}" if d and d.partition else "",
                splits=not (subset or (d and (d.namespace or d.partition))),
            )
            yield resolve(snap, t, [(f"routes[{i}] sends to service {service}" + _sub(subset), (d or route).at())])
    for splitter in snap.all(ServiceSplitter):
        yield l7_check(snap, splitter, "splitting")
        for j, s in enumerate(splitter.spec.splits or []):
            service = s.service or splitter.name
            t = Target(
                splitter,
                s,
                service,
                s.service_subset,
                s.namespace or splitter.namespace,
                f"splits[{j}]",
                elsewhere=f"partition {s.partition}" if s.partition else "",
                splits=service != splitter.name and not (s.service_subset or s.namespace),
            )
            says = f"splits[{j}] (weight {s.weight}) sends to service {service}" + _sub(s.service_subset)
            yield resolve(snap, t, [(says, s.at())])
    for resolver in snap.all(ServiceResolver):
        r = resolver.spec.redirect
        if r is not None:
            yield resolve(snap, _redirect(resolver, r, "redirect"), [_says("redirect", r, resolver.name)])
        for key, f in (resolver.spec.failover or {}).items():
            for k, tgt in enumerate(f.targets or []):
                what = f"failover[{key}].targets[{k}]"
                yield resolve(snap, _redirect(resolver, tgt, what), [_says(what, tgt, resolver.name)])
            if f.service or f.service_subset:
                what = f"failover[{key}]"
                yield resolve(snap, _redirect(resolver, f, what), [_says(what, f, resolver.name)])


def _redirect(resolver: ServiceResolver, r: FailoverTarget | Failover, what: str) -> Target:
    """A redirect or failover target: resolved without the target's splitter (compile.go)."""
    return Target(
        resolver,
        r,
        r.service or resolver.name,
        r.service_subset,
        r.namespace or resolver.namespace,
        what,
        elsewhere=_away(r),
        splits=False,
        origin=resolver.name if what == "redirect" else None,
    )


def _away(r: FailoverTarget | Failover) -> str:
    """Where a target lies outside the inputs: another partition, datacenter(s), peer or sameness group."""
    for attr in ("partition", "datacenter", "peer", "sameness_group", "datacenters"):
        value = getattr(r, attr, None)
        if value:
            return f"{attr.replace('_', ' ')} {', '.join(value) if isinstance(value, list) else value}"
    return ""


def _says(what: str, r: FailoverTarget | Failover, own: str) -> tuple[str, Span]:
    return f"{what} sends to service {r.service or own}" + _sub(r.service_subset), r.at()


def _sub(subset: str | None) -> str:
    return f" subset {subset}" if subset else ""
