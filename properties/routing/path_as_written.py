"""CNV108 path-as-written."""

from __future__ import annotations

from collections.abc import Iterator

import z3
from cnverify.encodings.http import PathMatch
from cnverify.encodings.http_z3 import SymbolicRequest, path_formula
from cnverify.model.ingress import Ingress
from cnverify.obligation import Obligation
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.kong.httproutes import READS as KIC_HTTP_READS
from cnverify.systems.kong.httproutes import translated_paths
from cnverify.systems.kong.kic import TranslatedPath
from cnverify.systems.kong.tables import kong_regex

# paths Kong matches as sent (no %XX, no dot segment, no //): witnesses are drawn from these first
PLAIN_SEGMENT = z3.Concat(
    z3.Re("/"),
    z3.Union(z3.Range("a", "z"), z3.Range("A", "Z"), z3.Range("0", "9"), z3.Re("_"), z3.Re("-"), z3.Re("~")),
    z3.Star(z3.Union(z3.Range("a", "z"), z3.Range("A", "Z"), z3.Range("0", "9"), z3.Re("_"), z3.Re("-"), z3.Re("."))),
)
PLAIN_PATH = z3.Concat(z3.Star(PLAIN_SEGMENT), z3.Option(z3.Re("/")))


@register
class PathAsWritten(Property):
    """
    ## What it proves
    A path a controller translates for its proxy matches exactly the requests its written meaning
    admits: an `Exact` path that path, a `Prefix`/`PathPrefix` path that path and what lies below it.
    Checked for Ingresses of class `kong` and HTTPRoutes attached to a Gateway of the Kong Ingress Controller
    (GatewayClass `konghq.com/kic-gateway-controller`), which
    the Kong Ingress Controller writes as Kong regex paths without escaping the value (`Exact /a.b`
    becomes `~/a.b$`, which also matches `/aXb`; `Exact /a+b` becomes `~/a+b$`, which misses `/a+b`).

    ## Why it matters
    The object reads like a literal path, the proxy runs a regex: a `.` in a file name, a `+` or a
    `(` in a path makes the route take requests its author never meant it to (`/v1.0` also serves
    `/v100`), and an access rule or a plugin on that route then applies to them too.

    ## Evidence
    Violated: the Kong paths the controller writes and a request path that they match and the
    written path does not (or the reverse). Proved: the translated paths admit exactly the written
    meaning (the solver finds no path on which they differ).

    ## Example
    ```yaml
    kind: Ingress
    spec:
      ingressClassName: kong
      rules: [{http: {paths: [{path: /v1.0, pathType: Exact, backend: {service: {name: api, port: {number: 80}}}}]}}]
      # violated: Kong regex ~/v1.0$ also matches /v1X0
    ```

    ## Assumes
    - The Kong Ingress Controller's translation as read in its source (1fa68f86: `PathsFromIngressPaths`,
      `MaybePrependRegexPrefix`, the `konghq.com/regex-prefix` annotation, legacy regex detection off;
      `generateKongRoutePathFromHTTPRouteMatch`) and Kong's regex paths anchored at the start only (Kong 3
      `traditional_compatible`). The IngressClass named `kong`, and a GatewayClass `kong` that is not in the inputs,
      are taken to be KIC's (a GatewayClass in the inputs is KIC's when its controllerName is
      `konghq.com/kic-gateway-controller`).
    """

    code = "CNV108"
    name = "path-as-written"
    title = "A translated path matches only what it says"
    severity = "warning"
    reads = (Ingress, *KIC_HTTP_READS)
    remediation = "Write the path as a regex with the metacharacters escaped (konghq.com/regex-prefix), or rename it."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        for tp in translated_paths(ctx.snap):
            yield self._check(ctx, tp)

    def _check(self, ctx: RunContext, tp: TranslatedPath) -> Obligation:
        ob = self.obligation(tp.subject, at=tp.node.at(), path=tp.where)
        ob.note(f"class kong: the Kong Ingress Controller programs it ({tp.owner})", tp.subject.metadata.at("name"))
        shown = ", ".join(tp.kong)
        ob.note(f"{tp.kind} path {tp.value} becomes Kong paths {shown} (the value is not regex-escaped)", tp.node.at())
        meant = PathMatch("exact" if tp.kind == "Exact" else "segment_prefix", tp.value)
        found = _differ(ctx, tp.kong, meant)
        if isinstance(found, tuple):
            path, extra = found
            claim = (
                f"Kong paths {shown} also match {path}, which {tp.kind} path {tp.value} does not"
                if extra
                else f"Kong paths {shown} do not match {path}, which {tp.kind} path {tp.value} matches"
            )
            ob.decide("violated", claim, witness={"path": path, "kong_paths": tp.kong, "extra": extra})
        elif found == "":
            claim = f"Kong paths {shown} match exactly what {tp.kind} path {tp.value} says"
            ob.decide("proved", claim)
        else:
            claim = f"whether Kong paths {shown} match what {tp.kind} path {tp.value} says: {found}"
            ob.unknown(claim)
        ob.on(violated=claim, proved=claim)
        return ob


def _differ(ctx: RunContext, kong: list[str], meant: PathMatch) -> tuple[str, bool] | str:
    """A path the Kong paths match and ``meant`` does not (True) or the reverse (False); "" when they agree
    on every path; else why that is undecided."""
    req = SymbolicRequest()
    try:
        takes = z3.Or([path_formula(_kong_match(p), req.path) for p in kong])
        says = path_formula(meant, req.path)
    except ValueError as exc:  # a regex outside the supported fragment
        return str(exc)
    reasons = []
    for extra, query in ((True, [takes, z3.Not(says)]), (False, [says, z3.Not(takes)])):
        ans = ctx.check([*req.domain(), *query, z3.InRe(req.path, PLAIN_PATH)], preprocess=True)
        if ans.result == "sat" and ans.model is not None:
            return req.witness(ans.model).path, extra
        ans = ctx.check([*req.domain(), *query], preprocess=True)
        if ans.result == "sat":
            reasons.append("they differ only on paths Kong rewrites before matching (percent escapes, dot segments)")
        elif ans.result != "unsat":
            reasons.append(ans.reason or "the solver gave no answer")
    return "; ".join(reasons)


def _kong_match(path: str) -> PathMatch:
    return PathMatch("regex", kong_regex(path[1:])) if path.startswith("~") else PathMatch("prefix", path)
