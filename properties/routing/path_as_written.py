"""CNV108 path-as-written."""

from __future__ import annotations

from collections.abc import Iterator

import z3
from cnverify.encodings.http import PathMatch, Request
from cnverify.encodings.http_z3 import SymbolicRequest, path_formula
from cnverify.model.ingress import Ingress
from cnverify.obligation import Obligation
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.kong.kic import KicPath, KicRoute, routes
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
    A path a controller translates for its proxy matches only the requests its written meaning
    admits: an Ingress `Exact` path exactly that path, a `Prefix` path that path and what lies below
    it. Checked for Ingresses of class `kong`, which the Kong Ingress Controller writes as Kong regex
    paths without escaping the value (`Exact /a.b` becomes `~/a.b$`, which also matches `/aXb`).

    ## Why it matters
    The object reads like a literal path, the proxy runs a regex: a `.` in a file name, a `+` or a
    `(` in a path makes the route take requests its author never meant it to (`/v1.0` also serves
    `/v100`), and an access rule or a plugin on that route then applies to them too.

    ## Evidence
    Violated: the Kong paths the controller writes for the Ingress path and a request path that
    matches them but not the written path. Proved: the translated paths admit exactly the written
    meaning (the solver finds no other path).

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
      `MaybePrependRegexPrefix`, the `konghq.com/regex-prefix` annotation; legacy regex detection off) and
      Kong's regex paths anchored at the start only (Kong 3 `traditional_compatible`).
    """

    code = "CNV108"
    name = "path-as-written"
    title = "A translated path matches only what it says"
    severity = "warning"
    reads = (Ingress,)
    remediation = "Write the path as a regex with the metacharacters escaped (konghq.com/regex-prefix), or rename it."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        for route in routes(ctx.snap):
            by_path: dict[tuple[int, int], list[KicPath]] = {}
            for p in route.paths:
                if p.literal and p.index is not None:
                    by_path.setdefault(p.index, []).append(p)
            for index, kong in by_path.items():
                yield self._check(ctx, route, index, kong)

    def _check(self, ctx: RunContext, route: KicRoute, index: tuple[int, int], kong: list[KicPath]) -> Obligation:
        ing, node = route.ingress, kong[0].node
        written = node.path or "/"  # type: ignore[attr-defined]
        kind = node.path_type  # type: ignore[attr-defined]
        ob = self.obligation(ing, at=node.at(), path=f"spec.rules[{index[0]}].http.paths[{index[1]}]")
        ob.note(f"Ingress class kong: the Kong Ingress Controller writes route {route.name}", ing.metadata.at("name"))
        shown = ", ".join(p.kong for p in kong)
        ob.note(f"{kind} path {written} becomes Kong paths {shown} (the value is not regex-escaped)", node.at("path"))
        meant = PathMatch("exact" if kind == "Exact" else "segment_prefix", written)
        extra = _extra(ctx, kong, meant)
        if isinstance(extra, Request):
            claim = f"Kong paths {shown} also match {extra.path}, which {kind} path {written} does not"
            ob.decide("violated", claim, witness={"path": extra.path, "kong_paths": [p.kong for p in kong]})
        elif extra == "":
            claim = f"Kong paths {shown} match exactly what {kind} path {written} says"
            ob.decide("proved", claim)
        else:
            claim = f"whether Kong paths {shown} match more than {kind} path {written}: {extra}"
            ob.unknown(claim)
        ob.on(violated=claim, proved=claim)
        return ob


def _extra(ctx: RunContext, kong: list[KicPath], meant: PathMatch) -> Request | str:
    """A path the Kong paths match and ``meant`` does not; "" when none exists; else why undecided."""
    req = SymbolicRequest()
    try:
        takes = z3.Or(
            [
                path_formula(
                    PathMatch("regex", kong_regex(p.kong[1:]))
                    if p.kong.startswith("~")
                    else PathMatch("prefix", p.kong),
                    req.path,
                )
                for p in kong
            ]
        )
    except ValueError as exc:  # a regex outside the supported fragment
        return str(exc)
    query = [*req.domain(), takes, z3.Not(path_formula(meant, req.path))]
    ans = ctx.check([*query, z3.InRe(req.path, PLAIN_PATH)], preprocess=True)
    if ans.result == "sat" and ans.model is not None:
        return req.witness(ans.model)
    ans = ctx.check(query, preprocess=True)
    if ans.result == "unsat":
        return ""
    if ans.result == "sat":
        return "only paths Kong rewrites before matching (percent escapes, dot segments) differ"
    return ans.reason or "the solver gave no answer"
