"""CNV106 route-unambiguous."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from cnverify.model import Resource
from cnverify.model.linkerd import Server
from cnverify.obligation import Obligation
from cnverify.properties._shared.routing.ambiguity import conflict, label, order_settled
from cnverify.properties._shared.routing.apigw_order import undecided_obligations
from cnverify.properties._shared.routing.generated_vs import READS as GENERATED_VS_READS
from cnverify.properties._shared.routing.generated_vs import generated_vs_obligations
from cnverify.properties._shared.routing.ties import tie_obligations
from cnverify.properties._shared.routing.traefik_ties import TRAEFIK
from cnverify.properties._shared.selectors.linkerd_servers import port_claims
from cnverify.properties._shared.selectors.pods import SHAPE_READS
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.routing.tables import Results, Table, reads, results


@register
class RouteUnambiguous(Property):
    """
    ## What it proves
    No request's route depends on which of several Istio VirtualServices for one host wins: on
    sidecars at most one VirtualService defines a host (Istio uses only the first, by creation
    time, and drops the others' routes for that host); on a gateway, VirtualServices whose order
    the manifests do not fix (no creation timestamps) never match the same request. Emissary:
    Mappings of different canary groups with equal route weight (ordered as Emissary reads them)
    never match the same request. In a Kong
    declarative config, no two routes of equal priority (tried in matcher-UUID order) match one request. Linkerd Servers:
    no two Servers cover one port of one pod (Linkerd applies the older and skips the other). No VirtualService of the
    inputs competes with the one Flagger generates for a Canary routed by Istio (named after its apex Service,
    for `service.hosts` and the apex name, on `service.gateways` or `mesh`): one of that name is taken over,
    one for the same host on sidecars or beside a catch-all route on a shared gateway depends on creation order.
    Traefik: no two routers of equal priority on one entry point (tried in an order Traefik does not fix) match one
    request.
    Contour: routes of one virtual host that its sorter finds equal (same path, same headers but for `ignoreCase`
    or `treatMissingAsEmpty`, same query parameters), whose order comes from a Go map, never match the same request.
    API Gateway (SAM `Api`/`HttpApi` events): no request matches two routes that its documented precedence does not
    order (each more specific in one respect, e.g. `GET /pets/dog/{id}` and `ANY /pets/{a}/x`).

    ## Why it matters
    Istio accepts both objects without an error; which one serves a request then depends on
    which was created first, so a re-apply, a restore from backup or a cluster migration silently
    swaps the routing (a security route that guarded `/admin` in one cluster is gone in the next).
    The same holds wherever the order comes from ids, map iteration or read order rather than from the
    configuration (Kong, Traefik, Contour, Emissary, API Gateway): a restart or an upgrade may swap it.

    ## Evidence
    Violated: the two VirtualServices, the routes of each that match, and a request both take
    (when one is found). Proved: the orders cannot disagree (pairwise disjoint matches, or one
    VirtualService per host). Tables where no such request is found nor excluded are `unknown`.
    Kong (declarative `kong.yml`): routes of equal priority are tried in matcher-UUID order, which the
    config does not choose (Kong generates ids when it gives none): violated for two such routes of one
    config and a request both match (naming the one the config's ids make win, when it gives them);
    proved when no two routes of equal priority share a request. The same holds for the Kong Ingress
    Controller's routes (Ingresses of class `kong`, HTTPRoutes of its Gateways), whose ids KIC derives
    from the route names (the winner is named).

    ## Example
    ```yaml
    # two VirtualServices for host reviews on sidecars: only the older one is used
    kind: VirtualService
    metadata: {name: reviews-a}
    spec: {hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v1}}]}]}
    ---
    kind: VirtualService
    metadata: {name: reviews-b}
    spec: {hosts: [reviews], http: [{match: [{uri: {prefix: /admin}}], route: [{destination: {host: admin}}]}]}
    ```

    ## Assumes
    - The VirtualServices of the inputs are all those for the host: one defined elsewhere in the cluster
      could be older and win (not checked). Creation order is not assumed: orders the manifests do not fix
      are all considered.
    - Emissary: the order in which Emissary reads objects is not assumed.
    - Contour: the order of routes its sorter finds equal is not assumed.
    - Kong: the `traditional_compatible` router (Kong 3's default; kong.conf is not read) and the requests
      it matches after its path normalization (a request found must be one normalization leaves as sent).
    - A Canary without `spec.provider` is routed by Istio, Flagger's default `-mesh-provider` (an `assumes:`
      chain step).
    - Traefik: routers of other providers on the same entry point are not in the inputs.
    """

    code = "CNV106"
    name = "route-unambiguous"
    title = "No route depends on an order the configuration leaves open"
    severity = "warning"
    reads: ClassVar[tuple[type[Resource], ...]] = (
        *reads(),
        Server,
        *(k for k in SHAPE_READS if k not in reads()),
        *GENERATED_VS_READS,
    )
    remediation = (
        "Make the competing routes' matches disjoint, or give them an order the system fixes: one VirtualService "
        "per host, distinct priorities (Kong, Traefik) or route weights (Emissary), one Server per pod port (Linkerd)."
    )

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        res = results(snap)
        for table in res.tables:
            if table.system == "istio" and len(table.owners) > 1 and (table.exclusive or len(table.variants) > 1):
                yield self._check(res, table)
            elif table.system in ("emissary", "contour") and table.ties and len(table.variants) > 1:
                yield self._unordered(res, table)
            elif table.system == "kong":
                yield from tie_obligations(self, ctx, res, table)
            elif table.system == "traefik":
                yield from tie_obligations(self, ctx, res, table, TRAEFIK)
        yield from undecided_obligations(self, ctx, res)  # API Gateway routes its precedence does not order
        yield from port_claims(self, snap)  # Linkerd Servers claiming one pod port
        yield from generated_vs_obligations(self, snap)

    def _check(self, res: Results, table: Table) -> Obligation:
        owners: Sequence[Resource] = table.owners
        found = conflict(res, table)
        pair = owners[:2] if found is None else [res.clauses[e.clause_id].subject for e in found[1:]]
        ob = self.obligation(pair[1], at=pair[1].spec.at("hosts"), path="spec.hosts")  # type: ignore[attr-defined]
        ob.note(f"entry point: {table.name}", table.at)
        for says, at in table.defaults:
            ob.note(says, at)
        names = " and ".join(f"{o.namespace}/{o.name}" for o in pair) + (
            f" (of {len(owners)})" if len(owners) > 2 and found is None else ""
        )
        witness: dict[str, Any] | None = None
        if found is not None:
            r, a, b = found
            req = r.to_json()
            req.pop("port", None)
            if table.host_sample:
                req["host"] = table.host_sample
            witness = {"request": req, "routes": [label(res, a), label(res, b)]}
            for e in (a, b):
                ob.note(f"{label(res, e)} matches the request", res.clauses[e.clause_id].clause_at)
        verdict, claim = (
            "unknown",
            (
                f"no request was found nor excluded that VirtualServices {names} route "
                f"differently depending on creation order ({table.name})"
            ),
        )
        if table.exclusive:
            pick = table.order_note or f"Istio uses the oldest, {owners[0].namespace}/{owners[0].name}"
            where, host = table.name.rsplit(", host ", 1)
            verdict, claim = (
                "violated",
                (
                    f"VirtualServices {names} both define host {host} for {where}: only one is "
                    f"used ({pick}); the other's routes for the host are dropped"
                ),
            )
        elif witness is not None:
            verdict, claim = (
                "violated",
                (
                    f"VirtualServices {names} route the same request differently depending "
                    f"on what the manifests do not fix ({table.name}): {table.order_note}"
                ),
            )
        elif order_settled(res, table):
            verdict, claim = (
                "proved",
                (
                    f"every request VirtualServices {names} could both take goes to the same "
                    f"route in every order ({table.name})"
                ),
            )
        if verdict == "unknown":
            ob.unknown(claim)
        else:
            ob.decide(verdict, claim, witness=witness)  # type: ignore[arg-type]
        ob.on(violated=claim, proved=claim)
        return ob

    def _unordered(self, res: Results, table: Table) -> Obligation:
        """Routes of other systems whose order the inputs leave open (``table.order_note`` says why)."""
        per_route = table.system == "contour"  # Contour orders the routes of one HTTPProxy too
        found = conflict(res, table, per_route)
        tied = sorted(table.ties)
        a, b = (found[1].clause_id, found[2].clause_id) if found else (tied[0], tied[-1])
        first, second = res.clauses[a], res.clauses[b]
        ob = self.obligation(second.subject, at=second.clause_at, path=second.clause_path)
        ob.note(f"entry point: {table.name}", table.at)
        for says, at in table.defaults:
            ob.note(says, at)
        names = f"{first.route_label} and {second.route_label}"
        if found is not None:
            req = found[0].to_json()
            req.pop("port", None)
            req["host"] = table.host_sample or req["host"]
            ob.note(f"{first.route_label} and {second.route_label} match the request", second.clause_at)
            claim = (
                f"{names} take the same request in an order the inputs do not fix ({table.name}): {table.order_note}"
            )
            ob.decide("violated", claim, witness={"request": req, "routes": [first.route_label, second.route_label]})
        elif order_settled(res, table, per_route):
            claim = f"every request the routes of {table.name} could share goes to the same route in every order"
            ob.decide("proved", claim)
        else:
            claim = f"no request was found nor excluded that {names} route differently in another order ({table.name})"
            ob.unknown(claim)
        ob.on(violated=claim, proved=claim)
        return ob
