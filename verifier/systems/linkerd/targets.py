"""Targets of Linkerd objects: HTTPRoute backendRefs and parentRefs, the objects AuthorizationPolicies and
ServerAuthorizations name, ServiceProfile ``dstOverrides`` authorities.

* backendRefs: a Service needs a port (linkerd2 ``policy-controller/runtime/src/admission.rs``
  ``validate_http_backend_if_service``: "cannot reference a Service without a port"); a Service that does
  not exist gets its share answered with 500 (``grpc/src/outbound/http.rs`` ``invalid_backend``).
* Authorization targets: a policy whose target or authentication does not exist has no effect
  (``k8s/index/src/inbound/index.rs`` ``policy_client_authz``: "could not find MeshTLSAuthentication …",
  the policy is ignored), so each reference is a CNV102 target.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from cnverify.errors import Span
from cnverify.model import Node, Resource
from cnverify.model.gateway import BackendRef, ParentReference
from cnverify.model.linkerd import (
    POLICY,
    AuthorizationPolicy,
    LinkerdHTTPRoute,
    MeshTLSAuthentication,
    NetworkAuthentication,
    Server,
    ServerAuthorization,
    ServiceProfile,
    TargetRef,
)
from cnverify.snapshot import Snapshot
from cnverify.systems.linkerd.refs import defaulted_service, parent_is, target_is
from cnverify.systems.linkerd.tables import DEFAULTED
from cnverify.systems.routing.targets import Check, lookup, missing, service_target, step

READS = (
    LinkerdHTTPRoute,
    Server,
    ServerAuthorization,
    AuthorizationPolicy,
    MeshTLSAuthentication,
    NetworkAuthentication,
    ServiceProfile,
)
NAMED: dict[str, type[Resource]] = {
    "Server": Server,
    "HTTPRoute": LinkerdHTTPRoute,
    "MeshTLSAuthentication": MeshTLSAuthentication,
    "NetworkAuthentication": NetworkAuthentication,
}
AUTHORITY = re.compile(r"(?P<name>[a-z0-9-]+)\.(?P<ns>[a-z0-9-]+)\.svc\.[a-z0-9.-]+?\.?(?::(?P<port>[0-9]+))?")


def checks(snap: Snapshot) -> Iterator[Check]:
    snap.all(MeshTLSAuthentication), snap.all(NetworkAuthentication)  # read by lookups (also when none is named)
    for route in snap.all(LinkerdHTTPRoute):
        for i, rule in enumerate(route.spec.rules or []):
            for ref in rule.backend_refs or []:
                yield _backend(snap, route, ref, f"rule {i} backendRef {ref.name}")
        for pref in route.spec.parent_refs or []:
            yield _parent(snap, route, pref)
    for ap in snap.all(AuthorizationPolicy):
        yield _named(snap, ap, ap.spec.target_ref, "targetRef", binding=True)
        for auth in ap.spec.required_authentication_refs:
            if not target_is(auth, "ServiceAccount"):  # a ServiceAccount is an identity: it need not exist yet
                yield _named(snap, ap, auth, "requiredAuthenticationRef", binding=True)
    for saz in snap.all(ServerAuthorization):
        if saz.spec.server.name is not None:
            server = TargetRef.model_validate({"group": POLICY, "kind": "Server", "name": saz.spec.server.name})
            yield _named(snap, saz, server, "spec.server.name", binding=True, node=saz.spec.server)
    for sp in snap.all(ServiceProfile):
        for d in sp.spec.dst_overrides or []:
            yield _authority(snap, sp, d.authority, d)


def _backend(snap: Snapshot, route: LinkerdHTTPRoute, ref: BackendRef, what: str) -> Check:
    kind, group, ns = ref.kind or "Service", ref.group or "", ref.namespace or route.namespace
    steps: list[tuple[str, Span]] = [(f"{what}: {kind} {ns}/{ref.name}", ref.at("name"))]
    if (group, kind) not in (("", "Service"), ("core", "Service")):
        return Check(route, ref, "violated", f"Linkerd answers a {group or 'core'}/{kind} backend with 500", steps)
    if ref.port is None:
        return Check(
            route, ref, "violated", "a Service backendRef needs a port (Linkerd's admission webhook rejects it)", steps
        )
    return service_target(snap, route, ref, ns, ref.name, ref.port, steps, port_required=True, what=what)


def _parent(snap: Snapshot, route: LinkerdHTTPRoute, pref: ParentReference) -> Check:
    kind, ns = pref.kind or "Gateway", pref.namespace or route.namespace
    steps: list[tuple[str, Span]] = [(f"parentRef {kind} {ns}/{pref.name}", pref.at())]
    if parent_is(pref, "Service"):
        found = service_target(
            snap, route, pref, ns, pref.name, pref.port, steps, port_required=False, what="parentRef"
        )
        return replace(found, binding=True)
    if parent_is(pref, "Server"):
        ref = TargetRef.model_validate({"group": POLICY, "kind": "Server", "name": pref.name, "namespace": ns})
        return _named(snap, route, ref, "parentRef", True, pref)
    if defaulted_service(pref):
        return Check(
            route, pref, "violated", f"parentRef Service {pref.name} has no group: {DEFAULTED}", steps, binding=True
        )
    return Check(
        route, pref, "unknown", f"parentRef kind {kind}: Linkerd reads Service and Server parents", steps, binding=True
    )


def _named(
    snap: Snapshot, subject: Resource, ref: TargetRef, what: str, binding: bool, node: Node | None = None
) -> Check:
    at: Node = node if node is not None else ref
    ns = subject.namespace if target_is(ref, "Namespace") else ref.namespace or subject.namespace
    steps: list[tuple[str, Span]] = [(f"{what} {ref.kind} {ref.name}", at.at())]
    if target_is(ref, "Namespace"):
        if ref.name != subject.namespace:
            return Check(
                subject, at, "violated", f"a Namespace target must be its own namespace ({ns})", steps, binding=binding
            )
        return Check(subject, at, "proved", f"{what} is the policy's own namespace", steps, binding=binding)
    kind = next((k for k in NAMED if target_is(ref, k)), None)
    if kind is None:
        return Check(
            subject, at, "unknown", f"{what} {ref.group or 'core'}/{ref.kind} is not modelled", steps, binding=binding
        )
    cls = NAMED[kind]
    found = lookup(snap, cls, ns, ref.name, subject)
    if not found:
        verdict, claim = missing(snap, ns, f"{ref.kind} {ns}/{ref.name}")
        return Check(subject, at, verdict, claim + ": Linkerd ignores what names it", steps, binding=binding)
    step(steps, f"{ref.kind} {ns}/{ref.name} exists", found[0].metadata.at("name"))
    return Check(subject, at, "proved", f"{what} resolves to {ref.kind} {ns}/{ref.name}", steps, binding=binding)


def _authority(snap: Snapshot, sp: ServiceProfile, authority: str, node: Node) -> Check:
    steps: list[tuple[str, Span]] = [(f"dstOverride authority {authority}", node.at("authority"))]
    m = AUTHORITY.fullmatch(authority)
    if m is None:
        return Check(sp, node, "unknown", f"authority {authority!r} is not a Service's cluster name", steps)
    port = int(m["port"]) if m["port"] else None
    return service_target(snap, sp, node, m["ns"], m["name"], port, steps, port_required=False, what="dstOverride")
