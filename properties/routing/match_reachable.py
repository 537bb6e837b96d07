"""CNV105 match-reachable."""
from __future__ import annotations

from collections.abc import Iterator

from cnverify.obligation import Obligation
from cnverify.properties.routing.reach import apply, judge
from cnverify.properties.routing.tables import reads, results
from cnverify.registry import Property, register
from cnverify.snapshot import Snapshot


@register
class MatchReachable(Property):
    """
    ## What it proves
    Each match alternative of a reachable route with several alternatives is reached by some
    request that no higher-precedence route (or earlier alternative) takes.

    ## Why it matters
    A dead alternative is a condition somebody meant to route (a header for testers, a legacy
    path) that never applies, while the route as a whole still looks alive.

    ## Evidence
    As CNV101, per clause: a witness request, or the earlier clauses that cover it.
    Routes with a single alternative are CNV101's; unreachable routes are reported by CNV101 only.

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

    def obligations(self, snap: Snapshot) -> Iterator[Obligation]:
        res = results(snap)
        for clauses in res.routes().values():
            if len(clauses) < 2 or judge(res, clauses, "route").verdict != "proved":
                continue
            for c in clauses:
                ob = self.obligation(c.subject, at=c.clause_at, path=c.clause_path)
                yield apply(ob, judge(res, [c], f"match {c.clause_path} of {c.route_label}"))
