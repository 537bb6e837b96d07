"""CNV102 route-target-exists."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.obligation import Obligation
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.routing.targets import all_checks, kinds_read


@register
class RouteTargetExists(Property):
    """
    ## What it proves
    Every route destination resolves: an Istio destination host to a Service (short names expand
    with the VirtualService's namespace, names with a dot are taken as written) or a ServiceEntry,
    its port to a Service port and its subset to a DestinationRule subset; an HTTPRoute backendRef
    (cross-namespace only with a ReferenceGrant; TCPRoute and TLSRoute backendRefs too) and an Ingress backend to a Service and port; an
    Envoy route cluster to a defined cluster; a Knative Trigger subscriber to a Service; an SMI TrafficSplit's
    backends to Services with each port of its root Service (by number), its root Service when `matches`
    send the other requests to it, its `matches` to HTTPRouteGroups/TCPRoutes; an Argo Rollout's canary, stable,
    ping/pong, active and preview Services exist and select its template labels (the controller adds
    `rollouts-pod-template-hash` at runtime), and with `trafficRouting.istio` each VirtualService and route it
    rewrites exists and holds the canary and stable destinations (by Service host or DestinationRule subset,
    which must exist) and no other (the controller deletes them); other providers are `unknown`; a Kong route to a service
    whose host is an upstream with a target of weight > 0 (none: 503) or a Kubernetes Service
    (`name.ns.svc`), a route without service being 503 unless a plugin answers. Route
    bindings too: a VirtualService's `gateways` to a Gateway whose servers accept its hosts, an
    HTTPRoute's parentRefs to a Gateway listener that accepts it. Emissary: a Mapping's (and TCPMapping's)
    `service` to a Service and port (`name[.ns][:port]`, port 80, 443 with `https://`), each Mapping to a Host
    that takes it (hostname glob, `mappingSelector`), each Host to a Listener whose `hostBinding` takes it. Linkerd: HTTPRoute backendRefs to a
    Service port, parentRefs to a Service or Server, AuthorizationPolicy targets and required
    authentications, ServerAuthorization servers, ServiceProfile `dstOverrides` authorities. A Service a Flagger Canary generates
    (`<apex>`, `<apex>-primary`, `<apex>-canary`) resolves on the port it is generated with. Consul config entries: each router
    destination, split, resolver redirect and failover target through the discovery chain (splitter,
    redirects without cycles, the subset defined by the target's resolver; a graph error rejects the write
    or the CRD's sync), and the HTTP-like protocol a ServiceRouter or ServiceSplitter needs.
    Traefik: IngressRoute services (a Service of the namespace with the named port, or a TraefikService), TraefikService
    members and Middlewares exist; a TraefikService cycle or a cross-namespace reference (`allowCrossNamespace` off by
    default) is violated; `name@provider` references are `unknown`.
    Contour: each HTTPProxy service to a Service of its namespace and a TCP port of that number
    (ExternalName `unknown`: off by default), each include to a non-root HTTPProxy of the same ingress
    class (not found or a root: Contour answers 502), each root to a virtual host Contour programs (not
    a duplicate fqdn, not invalid, some route), and no HTTPProxy orphaned.

    ## Why it matters
    None of these references is checked at admission: a typo in a host, a subset that no
    DestinationRule defines or a backend without a Service is accepted and then answers 500/503
    (or the route never attaches) at runtime.

    ## Evidence
    Violated: the reference, how it was expanded, and what the inputs hold instead. Proved: the
    object it resolves to. Hosts outside the inputs (external names, namespaces not part of the
    inputs) are `unknown`, never violated.

    ## Example
    ```yaml
    http:
    - route:
      - destination: {host: reviews, subset: v3}   # violated: no DestinationRule defines v3
    ```

    ## Assumes
    - The inputs hold every Service, ServiceEntry, DestinationRule, Gateway and ReferenceGrant the routes refer
      to: a reference to an object defined outside the inputs is reported unresolved.
    - SMI: without `matches`, a root Service absent from the inputs may be created by the mesh (the spec's
      example implementation does): `unknown`; a missing backend of weight 0 is the spec's rollout workflow: `unknown`.
    - Consul: a service with no Kubernetes Service in the inputs may be registered elsewhere (`unknown`); with no
      ServiceDefaults/ProxyDefaults in the inputs the protocol is `unknown` (Consul's default tcp is not assumed).
    - Istio's defaults for visibility (`exportTo` everywhere; MeshConfig `defaultServiceExportTo` is not read)
      and the cluster domain `cluster.local` for fully qualified hosts.
    - Emissary: the ambassador Module sets neither a default resolver nor
      `use_ambassador_namespace_for_service_resolution` (steps say so); Consul and endpoint resolvers are `unknown`.
    - Kong: a service host `name.ns.svc` is resolved by cluster DNS (Kong runs in the cluster); target health
      and the addresses of targets are not in the inputs (a target of weight > 0 counts as live).
    - Traefik: the CRD provider's defaults (`allowCrossNamespace` false), named in the claim.
    - Contour: the default configuration (no ingress class, `enableExternalNameService` off); a root's TLS Secret
      exists and holds a certificate (an `assumes:` step).
    """

    code = "CNV102"
    name = "route-target-exists"
    title = "Route targets resolve"
    severity = "error"
    reads = kinds_read()
    remediation = "Point the reference at an existing object (Service, port, subset, Host, network, parameter …) or add the missing object."
    closed_world = frozenset({"violated"})  # absent here may be in an unread document
    existence = True  # an object assumed in .cnverify.yaml exists (cnverify.context)

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        for c in all_checks(snap):
            ob = self.obligation(c.subject, at=c.location, path=c.path)
            for says, at in c.steps:
                ob.note(says, at)
            if c.verdict == "unknown":
                ob.unknown(c.claim)
            else:
                ob.decide(c.verdict, c.claim)
            ob.on(violated=c.claim, proved=c.claim)
            yield ob
