"""Linkerd Servers: the pod ports a Server names, their order, and the authorizations that apply to them.

linkerd2 b24cd405 ``policy-controller/k8s/index/src/inbound``:

* ``workload.rs`` ``pod_tcp_ports_by_name``: a port *name* resolves to every TCP (or protocol-less) port of
  that name among the pod's containers and init containers; a *number* is that port whatever the pod declares.
* ``index.rs`` ``reindex_servers``: Servers sorted by ``created_at`` then name; a pod port already taken by an
  earlier Server is skipped ("Port already matched by another server; skipping").
* ``index.rs`` ``client_authzs``: a Server's authorizations are the ServerAuthorizations selecting it (by name
  or label selector), the AuthorizationPolicies targeting it or its Namespace, and its ``accessPolicy``'s
  (v1beta3; the CRD default ``deny`` authorizes nobody); a policy whose MeshTLSAuthentication or
  NetworkAuthentication does not exist is ignored (``policy_client_authz``).  Policies targeting an HTTPRoute
  authorize that route's requests (``route_client_authzs``).  The cluster's default inbound policy
  (``config.linkerd.io/default-inbound-policy``) governs only ports no Server covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnverify.encodings.labels import UnsupportedSelector, selector_matches
from cnverify.errors import Span
from cnverify.model import Resource
from cnverify.model.core import ContainerPort, PodSpec
from cnverify.model.gateway import GATEWAY_API, HTTPRoute
from cnverify.model.linkerd import (
    POLICY,
    AuthorizationPolicy,
    LinkerdHTTPRoute,
    MeshTLSAuthentication,
    NetworkAuthentication,
    Server,
    ServerAuthorization,
)
from cnverify.snapshot import Snapshot
from cnverify.systems.linkerd.refs import parent_is, target_is

INJECTED = {"linkerd-proxy": 4143, "linkerd-admin": 4191}
"""Ports the proxy injector adds to every meshed pod (charts/partials/templates/_proxy.tpl; values.yaml
``proxy.ports.inbound`` / ``proxy.ports.admin`` defaults)."""
INJECTED_STEP = (
    "port {name} is the Linkerd proxy's own, added by the proxy injector to every meshed pod (port {number} "
    "by default: charts/partials/templates/_proxy.tpl, values proxy.ports); assumed meshed with the defaults"
)
READS = (
    Server,
    ServerAuthorization,
    AuthorizationPolicy,
    MeshTLSAuthentication,
    NetworkAuthentication,
    LinkerdHTTPRoute,
    HTTPRoute,
)


def named_ports(spec: PodSpec, name: str) -> list[ContainerPort]:
    """The pod's TCP ports called ``name`` (containers, then init containers)."""
    containers = [*spec.containers, *(spec.init_containers or [])]
    return [p for c in containers for p in c.ports or [] if p.name == name and (p.protocol or "TCP").upper() == "TCP"]


def pod_ports(server: Server, spec: PodSpec) -> tuple[set[int], list[ContainerPort], bool]:
    """The port numbers ``server`` covers on a pod of ``spec``, the container ports that gave them, and
    whether they rest on the proxy injector's ports."""
    port = server.spec.port
    if isinstance(port, int):
        return {port}, [], False
    found = named_ports(spec, port)
    if not found and port in INJECTED:
        return {INJECTED[port]}, [], True
    return {p.container_port for p in found}, found, False


@dataclass
class Authorizations:
    """What admits traffic to a Server: authorizing objects, ignored ones (why), undecided ones (why)."""

    granted: list[tuple[str, Span]] = field(default_factory=list)
    ignored: list[tuple[str, Span]] = field(default_factory=list)
    undecided: list[tuple[str, Span]] = field(default_factory=list)


def authorizations(snap: Snapshot, server: Server, inventory: frozenset[str]) -> Authorizations:
    """The authorizations of ``server`` (``inventory``: namespaces the inputs hold, where absence is known)."""
    out = Authorizations()
    ns = server.namespace
    for saz in snap.in_namespace(ServerAuthorization, ns):
        ref = saz.spec.server
        try:
            hit = ref.name == server.name or (
                ref.selector is not None
                and selector_matches(ref.selector, server.labels, nil_matches=False, empty_matches=True)
            )
        except UnsupportedSelector as exc:
            out.undecided.append((f"ServerAuthorization {ns}/{saz.name}: {exc}", saz.spec.at("server")))
            continue
        if hit:
            out.granted.append((f"ServerAuthorization {ns}/{saz.name} selects the Server", saz.spec.at("server")))
    routes = {(POLICY, r.name) for r in snap.in_namespace(LinkerdHTTPRoute, ns) if _parents_server(r, server)}
    routes |= {(GATEWAY_API, r.name) for r in snap.in_namespace(HTTPRoute, ns) if _gateway_parents(r, server)}
    for ap in snap.in_namespace(AuthorizationPolicy, ns):
        t = ap.spec.target_ref
        if target_is(t, "Server") and t.name == server.name:
            what = f"AuthorizationPolicy {ns}/{ap.name} targets the Server"
        elif target_is(t, "Namespace") and t.name == ns:
            what = f"AuthorizationPolicy {ns}/{ap.name} targets namespace {ns}"
        elif target_is(t, "HTTPRoute") and ((t.group or "").lower(), t.name) in routes:
            what = f"AuthorizationPolicy {ns}/{ap.name} authorizes HTTPRoute {t.name} of the Server"
        elif t.kind.lower() == "grpcroute":
            why = f"AuthorizationPolicy {ns}/{ap.name} targets GRPCRoute {t.name}, which cnverify does not model"
            out.undecided.append((why + " (it may be attached to the Server)", ap.spec.at("targetRef")))
            continue
        else:
            continue
        missing = _missing_authentications(snap, ap)
        at = ap.spec.at("targetRef")
        if not missing:
            out.granted.append((what, at))
        elif all(n in inventory for n, _ in missing):
            names = ", ".join(d for _, d in missing)
            out.ignored.append((f"{what}, but Linkerd ignores it: {names}", at))
        else:
            out.undecided.append((f"{what}; whether its authentications exist is not in the inputs", at))
    return out


def _gateway_parents(route: HTTPRoute, server: Server) -> bool:
    """A Gateway API HTTPRoute attached to ``server`` (its parentRef group defaults to the Gateway API's)."""
    return any(
        (p.group or "").lower() == POLICY
        and (p.kind or "").lower() == "server"
        and (p.namespace or route.namespace) == server.namespace
        and p.name == server.name
        for p in route.spec.parent_refs or []
    )


def _parents_server(route: LinkerdHTTPRoute, server: Server) -> bool:
    return any(
        parent_is(p, "Server") and (p.namespace or route.namespace) == server.namespace and p.name == server.name
        for p in route.spec.parent_refs or []
    )


def _missing_authentications(snap: Snapshot, ap: AuthorizationPolicy) -> list[tuple[str, str]]:
    """``(namespace, why)`` of each authentication the policy requires that the inputs lack or Linkerd refuses."""
    kinds: dict[str, type[Resource]] = {
        "MeshTLSAuthentication": MeshTLSAuthentication,
        "NetworkAuthentication": NetworkAuthentication,
    }
    out = []
    for ref in ap.spec.required_authentication_refs:
        cls = next((c for k, c in kinds.items() if target_is(ref, k)), None)
        ns = ref.namespace or ap.namespace
        if cls is not None and snap.get(cls, ns, ref.name) is None:
            out.append((ns, f"{ref.kind} {ns}/{ref.name} does not exist"))
        elif cls is None and not target_is(ref, "ServiceAccount"):
            out.append(
                (ap.namespace, f"{ref.group or 'core'}/{ref.kind} is no authentication kind (admission rejects it)")
            )
    return out
