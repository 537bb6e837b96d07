"""CNV107 server-authorized."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from cnverify.model.linkerd import Server
from cnverify.obligation import Obligation
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.linkerd.servers import READS, Authorizations, authorizations
from cnverify.systems.routing.targets import inventory_namespaces

ADMITTING = {"audit", "all-unauthenticated", "all-authenticated", "cluster-authenticated", "cluster-unauthenticated"}


@register
class ServerAuthorized(Property):
    """
    ## What it proves
    Each Linkerd `Server` admits some traffic: a ServerAuthorization selects it (by name or label
    selector), an AuthorizationPolicy targets it, its namespace, or an HTTPRoute attached to it (with
    every MeshTLSAuthentication / NetworkAuthentication it requires present), or its `accessPolicy`
    admits clients (`audit`, `all-*`, `cluster-*`). A Server with none of these refuses every
    connection to the pod ports it covers, except at most the kubelet's probe requests.

    ## Why it matters
    Creating a Server is enough to switch its port to deny: its `accessPolicy` defaults to `deny`
    (the CRD default), and the cluster's default inbound policy no longer applies to the port. A Server
    added "to declare the protocol" therefore cuts off every client until an authorization exists; an
    AuthorizationPolicy whose authentication object is missing is silently ignored.

    ## Evidence
    Violated: the Server and its port, its access policy, and every policy that names it but is
    ignored (with the missing authentication). Proved: the authorization (or access policy) that admits
    traffic, with its line.

    ## Example
    ```yaml
    apiVersion: policy.linkerd.io/v1beta3
    kind: Server
    metadata: {name: web-http, namespace: shop}
    spec: {podSelector: {matchLabels: {app: web}}, port: http}   # violated: no authorization names it
    ```

    ## Assumes
    - Linkerd's policy controller as read in linkerd2 b24cd405 (`policy-controller/k8s/index/src/inbound/index.rs`
      `client_authzs`): the default inbound policy (`config.linkerd.io/default-inbound-policy` on the pod or
      namespace, or the cluster's) governs only ports no Server covers.
    - The authorizations in the inputs are all those of the Server's namespace: one defined elsewhere
      would admit traffic (a violation is `unknown` when the inputs are incomplete).
    """

    code = "CNV107"
    name = "server-authorized"
    title = "A Linkerd Server admits some traffic"
    severity = "warning"
    reads = READS
    remediation = "Add an AuthorizationPolicy (or ServerAuthorization) for the Server, or set its accessPolicy."
    closed_world = frozenset({"violated"})  # an authorization may sit in an unread document

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        for kind in READS:
            snap.all(kind)  # every kind is read by the authorization lookup (also when none applies)
        inventory = inventory_namespaces(snap)
        for srv in snap.all(Server):
            yield self.server(srv, authorizations(snap, srv, inventory))

    def server(self, srv: Server, found: Authorizations) -> Obligation:
        spec = srv.spec
        ob = self.obligation(srv, at=spec.at("port"), path="spec.port")
        ob.note(f"{srv.ref} covers port {spec.port} of the pods it selects", spec.at("port"))
        policy = spec.access_policy
        if policy in ADMITTING:
            claim = f"{srv.ref}: accessPolicy {policy} admits clients without an authorization"
            ob.note(f"accessPolicy is {policy}", spec.at("accessPolicy"))
            return self._end(ob, "proved", claim)
        for says, at in found.granted:
            ob.note(says, at)
            return self._end(ob, "proved", f"{srv.ref} admits traffic: {says}")
        ob.note(
            f"accessPolicy is {policy}" if policy else "accessPolicy is not set: the CRD defaults it to deny",
            spec.at("accessPolicy") if policy else spec.at(),
        )
        for says, at in found.ignored:
            ob.note(says, at)
        if found.undecided:
            ob.note(*found.undecided[0])
            ob.unknown(found.undecided[0][0])
            return ob
        if policy not in (None, "deny"):
            ob.unknown(f"accessPolicy {policy!r} is not one Linkerd documents")
            return ob
        ob.note(
            "the default inbound policy (config.linkerd.io/default-inbound-policy) does not apply to a port a "
            "Server covers (linkerd2 inbound/index.rs client_authzs)"
        )
        claim = (
            f"{srv.ref} has no authorization: Linkerd refuses every connection to port {spec.port} of the pods it "
            "selects, except at most the kubelet's probes"
        )
        return self._end(ob, "violated", claim)

    def _end(self, ob: Obligation, verdict: Literal["proved", "violated"], claim: str) -> Obligation:
        ob.decide(verdict, claim)
        ob.on(proved=claim, violated=claim)
        return ob
