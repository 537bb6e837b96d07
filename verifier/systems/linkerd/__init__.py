"""Linkerd: policy.linkerd.io HTTPRoute, Server, ServerAuthorization, AuthorizationPolicy and authentications,
and linkerd.io ServiceProfile (docs/SEMANTICS.md#linkerd; rules read in linkerd2 b24cd405 and linkerd2-proxy).

Gateway API (``gateway.networking.k8s.io``) HTTPRoutes stay with the gateway adapter, Service parents included.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

from cnverify.model import Resource
from cnverify.model.linkerd import (
    POLICY,
    PROFILES,
    AuthorizationPolicy,
    LinkerdHTTPRoute,
    MeshTLSAuthentication,
    NetworkAuthentication,
    Server,
    ServerAuthorization,
    ServiceProfile,
)
from cnverify.snapshot import Snapshot
from cnverify.systems.base import Group, Share, Split, System

ALL_ZERO = (
    "the proxy drops backends of weight 0 and a distribution with none left never becomes ready "
    "(linkerd2-proxy distribute/src/params.rs Distribution::Empty): the rule's requests are not served"
)


class Linkerd(System):
    name = "linkerd"
    title = "Linkerd"
    order = 88
    kinds = (
        Server,
        ServerAuthorization,
        AuthorizationPolicy,
        MeshTLSAuthentication,
        NetworkAuthentication,
        LinkerdHTTPRoute,
        ServiceProfile,
    )
    groups = {
        POLICY: Group(creates_pods=False),  # policy objects configure the proxies
        PROFILES: Group(creates_pods=False),  # ServiceProfile: per-service routes
        "multicluster.linkerd.io": Group(creates_pods=False),  # Link: mirrors Services of another cluster
        "workload.linkerd.io": Group(creates_pods=False),  # ExternalWorkload: a workload outside the cluster
        "tap.linkerd.io": Group(creates_pods=False),  # the viz tap API
    }
    declines = {
        "modelled_creators": "Linkerd objects configure the proxies of existing pods; they create none",
        "links": "its references (Servers, routes, authentications) are resolved by its targets module",
        "raw_shapes": "Linkerd objects carry apiVersion and kind",
        "diff_actions": "route actions of Linkerd HTTPRoutes are not compared by cnverify diff yet",
    }

    def route_tables(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.linkerd import tables

        return (tables,)

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.linkerd import targets

        return (targets,)

    def weighted_splits(self, snap: Snapshot) -> Iterator[Split]:
        """HTTPRoute rules with two or more backendRefs: weights (default 1) are relative, and the proxy keeps
        only backends of weight > 0 (distribute/src/params.rs ``random_available``)."""
        for hr in snap.all(LinkerdHTTPRoute):
            for i, rule in enumerate(hr.spec.rules or []):
                refs = rule.backend_refs or []
                if len(refs) < 2:
                    continue
                shares = [
                    Share(r.name, r.weight, r.at("weight") if r.weight is not None else r.at(), r.at()) for r in refs
                ]
                yield Split(hr, f"spec.rules[{i}]", rule.at(), shares, rule="relative", index=i, effect=ALL_ZERO)

    def split_reads(self) -> tuple[type[Resource], ...]:
        return (LinkerdHTTPRoute,)


SYSTEM = Linkerd()
