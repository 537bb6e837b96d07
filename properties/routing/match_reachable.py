"""CNV105 match-reachable."""

from __future__ import annotations

from collections.abc import Iterator

from cnverify.obligation import Obligation
from cnverify.properties._shared.routing.reach import apply, judge
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.routing.tables import Clause, reads, results


@register
class MatchReachable(Property):
    """
    ## What it proves
    Each match alternative of a reachable route with several alternatives is reached by some
    request that no higher-precedence route (or earlier alternative) takes.
    Traefik: each alternative of a rule's disjunctive normal form (`spec.routes[i].match#k`).

    ## Why it matters
    A dead alternative is a condition somebody meant to route (a header for testers, a legacy
    path) that never applies, while the route as a whole still looks alive.

    ## Evidence
    As CNV101, per clause: a witness request, or the earlier clauses that cover it.
    Routes with a single alternative are CNV101's; unreachable routes are reported by CNV101 only.
    When a route's own verdict is `unknown` (e.g. it depends on creation order) only the clauses
    that are dead in every order are reported.

    ## Example
    ```yaml
    - match: [{uri: {prefix: /}, headers: {x-test: {exact: "1"}}}]
    - match: [{uri: {exact: /v1}}, {uri: {prefix: /v1/}, headers: {x-test: {exact: "1"}}}]  # 2nd dead
    ```

    ## Assumes
    - Each system's documented matching and precedence, with nothing outside the inputs rewriting routes: no
      EnvoyFilter, mesh-wide config (MeshConfig) or gateway implementation extension is read.
    - The route objects in the inputs are all those bound to the same hosts and gateways: routes defined
      elsewhere in the cluster could take requests first (not checked).
    - Orders the manifests do not fix (creation timestamps) are not assumed: the orders that decide are all checked.
    """

    code = "CNV105"
    name = "match-reachable"
    title = "Every match clause is reachable"
    severity = "warning"
    reads = reads()
    remediation = "Remove the dead match alternative or move it before the route that covers it."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        res = results(snap)
        for clauses in res.routes().values():
            if len({c.clause_path for c in clauses}) < 2:  # one match: CNV101's finding says it all
                continue
            route = judge(res, clauses, "route").verdict
            if route == "violated":
                continue
            same: dict[str, list[Clause]] = {}  # a delegate's clause merged into several root matches: one finding
            for c in clauses:
                same.setdefault(c.clause_path, []).append(c)
            for group in same.values():
                c = group[0]
                j = judge(res, group, f"match {c.clause_path} of {c.route_label}")
                if route == "proved" or j.verdict == "violated":  # dead in every order even if the route's fate is not
                    yield apply(self.obligation(c.subject, at=c.clause_at, path=c.clause_path), j)
