"""CNV101 route-reachable."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.obligation import Obligation
from cnverify.properties._shared.routing.reach import apply, judge
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.routing.tables import reads, results


@register
class RouteReachable(Property):
    """
    ## What it proves
    Some request reaches each route: it matches the route and no route of higher precedence takes
    it first, under each system's own precedence (Istio list order with VirtualServices merged per
    gateway and first-wins on sidecars, Envoy per virtual host, Gateway API precedence across all
    HTTPRoutes of a parent and hostname, Ingress longest path first); Istio delegate routes take
    their root route's place with merged matches. Istio `tcp`/`tls` routes:
    violated when pilot never generates them (an earlier route ends generation or repeats their
    SNI), else `unknown` (Envoy's filter-chain choice is not modelled). Gateway API TCPRoute/TLSRoute
    rules: violated when the route attaches to no listener, proved when it is the only route of its
    kind there (TLSRoutes: or SNI-disjoint), else `unknown` (the spec does not say which route wins).
    Emissary Mappings per Host: Emissary's route weight (precedence, then prefix length, header and
    query lengths); a canary (cumulative weight < 100) shadows nothing after it; a Mapping attached to
    no Host, on a Host no Listener takes, inactive, or with a canary share of 0% is violated.
    Kong declarative configs: the `traditional_compatible` order (packed priority: more fields, exact
    hosts, more headers, regex paths over prefixes, `regex_priority`, longer prefixes; equal priorities
    in matcher-UUID order, every order considered when the config gives no route ids). The Kong Ingress
    Controller's Kong: the routes it translates from Ingresses of class `kong` and from HTTPRoutes attached to
    its Gateways (GatewayClass `konghq.com/kic-gateway-controller`) in one table, in that order; an HTTPRoute
    KIC does not translate (a queryParams match, an unsupported filter) is violated.
    Linkerd `policy.linkerd.io` HTTPRoutes per parent Service port or Server: the best score wins
    (path length, a regex scoring the request path's length; then method, headers, query params),
    ties to the older route; ServiceProfile routes first match in list order.
    Consul ServiceRouter routes (CRDs and raw HCL/JSON entries): first match in list order, then
    Consul's implicit catch-all (a route without match is a catch-all; `pathPrefix` a string prefix).
    Traefik IngressRoutes per entry point (TLS apart): descending priority (`priority`, else the rule's
    length), equal priorities in every order; a rule's `||` alternatives are its match clauses.
    Contour HTTPProxies per root fqdn: the include tree flattened (prefixes concatenated, headers added),
    routes in Contour's sort order (exact, regex, then prefix; longer paths first; then more headers and
    query parameters), a later route with the same conditions replacing an earlier one; routes of an
    orphaned or invalid HTTPProxy (DuplicateVhost, invalid conditions) are violated.
    API Gateway routes of SAM functions' `Api`/`HttpApi` events, per API (the implicit `ServerlessRestApi` /
    `ServerlessHttpApi` or the one `RestApiId`/`ApiId` names): the most specific match wins (a full match of route
    and method before a greedy `{proxy+}`, then `$default`; literal segments over `{param}`, methods over `ANY`);
    an order the documentation leaves open is taken both ways; routes an OpenAPI `DefinitionBody` writes out join the
    table, one behind an intrinsic makes the API's routes `unknown`.

    ## Why it matters
    A route hidden behind a broader one (a `prefix: /api` before `prefix: /api/v2`, a catch-all
    first) is accepted by every admission check and silently never serves; the canary or the new
    API version it was written for never receives traffic.

    ## Evidence
    Proved: a witness request (host, path, method, headers, query) the system sends to this route.
    Violated: the minimal set of earlier routes that take every request it matches, each with its
    line. Regexes outside the supported RE2 fragment or a solver timeout give `unknown`.

    ## Example
    ```yaml
    http:
    - match: [{uri: {prefix: /api}}]       # takes /api/v2 too (Istio prefixes are byte prefixes)
      route: [{destination: {host: api}}]
    - match: [{uri: {prefix: /api/v2}}]    # violated: shadowed by http[0]
      route: [{destination: {host: api-v2}}]
    ```

    ## Assumes
    - Each system's documented matching and precedence, with nothing outside the inputs rewriting routes: no
      EnvoyFilter, mesh-wide config (MeshConfig) or gateway implementation extension is read.
    - The route objects in the inputs are all those bound to the same hosts and gateways: routes defined
      elsewhere in the cluster could take requests first (not checked).
    - Orders the manifests do not fix (creation timestamps) are not assumed: the orders that decide are all checked.
    - Emissary: with no Host (Listener) in the inputs, the default-host Emissary synthesizes (a Listener outside
      the inputs) is assumed, in a step of the proof.
    - Consul: a ServiceRouter applies only on an http, http2 or grpc service; when no ServiceDefaults or ProxyDefaults
      in the inputs sets the protocol, the chain has an `assumes:` step (a router on a tcp service is not analysed).
    - Traefik: v3 and its v3 rule syntax for `traefik.io` objects (v2 for `traefik.containo.us`), entry points'
      `sanitizePath` on, no routers of other providers (each an `assumes:` step).
    - Contour: its default configuration (no ingress class: HTTPProxies without one or of class `contour`; no
      `rootNamespaces`; slashes merged), a TLS Secret it accepts, and valid route policies it also checks (each an
      `assumes:` step); an include of an HTTPProxy outside the inputs and a `tcpproxy` make the host's verdicts
      that depend on them `unknown`.
    """

    code = "CNV101"
    name = "route-reachable"
    title = "Every route is reachable"
    severity = "error"
    reads = reads()
    remediation = "Reorder the routes (most specific first) or narrow the earlier match."
    closed_world = frozenset({"violated"})  # a route may attach to no listener because its Gateway is absent

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        res = results(snap)
        for clauses in res.routes().values():
            c = clauses[0]
            ob = self.obligation(c.subject, at=c.route_at, path=c.route_path)
            yield apply(ob, judge(res, clauses, f"route {c.route_label}"))
