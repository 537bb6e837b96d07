"""CNV103 route-weights-sum-100."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import z3

from cnverify.errors import Span
from cnverify.model import KnativeService, Resource, RouteConfiguration, VirtualService
from cnverify.model.gateway import HTTPRoute, HTTPRouteRule
from cnverify.model.gateway_l4 import L4RouteRule, TCPRoute, TLSRoute
from cnverify.model.istio import HTTPRouteDestination
from cnverify.obligation import Obligation
from cnverify.registry import Property, register
from cnverify.run_context import RunContext


@dataclass
class Share:
    """One weighted destination as written: its label, weight (None = unset) and span."""

    label: str
    weight: int | None
    at: Span


def split(shares: Sequence[Share]) -> str:
    """The effective relative split, e.g. ``reviews/v1 72.7%, reviews/v2 27.3%``."""
    total = sum(s.weight or 0 for s in shares)
    if total == 0:
        return "none: a route whose weights total 0 is rejected (Istio: 'total destination weight = 0'; Envoy: sum must be > 0)"
    return ", ".join(f"{s.label} {float(Fraction(s.weight or 0, total) * 100):.3g}%" for s in shares)


@register
class RouteWeightsSum100(Property):
    """
    ## What it proves
    The destination weights of each route sum to 100: Istio VirtualService routes with more than one
    destination (http, tcp and tls routes; a lone destination gets 100% whatever its weight); Knative
    Service `spec.traffic` percents; Envoy `weighted_clusters` (to `total_weight` when set, else 100).
    Gateway API weights are relative: an HTTPRoute rule with weights set must give some backendRef a
    weight above 0 (all 0: the Gateway answers 500 to every request of the rule); every TCPRoute and
    TLSRoute rule must have a backendRef with a weight above 0 (else it forwards no connection).

    ## Why it matters
    A split written as 80 + 30 is a mistake in intent even where the proxy normalises it: Istio and
    Envoy now treat weights as relative (80/30 becomes 72.7%/27.3%), older Istio and Envoy with
    `total_weight` reject it, and Knative's webhook rejects any traffic block that does not sum to
    exactly 100. The message states the split the proxy will really apply.

    ## Evidence
    Violated: each weight with its line, the sum, and the effective split. Proved: the weights.

    ## Example
    ```yaml
    route:
    - {destination: {host: reviews, subset: v1}, weight: 80}
    - {destination: {host: reviews, subset: v2}, weight: 30}   # sum 110: effective 72.7% / 27.3%
    ```

    ## Assumes
    - Only the API and webhook validation of each system (Istio, Knative, Envoy): no cluster input is assumed.
    """

    code = "CNV103"
    name = "route-weights-sum-100"
    title = "Route weights sum to 100"
    severity = "error"
    reads = (VirtualService, KnativeService, RouteConfiguration, HTTPRoute, TCPRoute, TLSRoute)
    remediation = "Make the weights of the route's destinations add up to exactly 100."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        snap = ctx.snap
        for vs in snap.all(VirtualService):
            for kind in ("http", "tcp", "tls"):
                for i, route in enumerate(getattr(vs.spec, kind) or []):
                    dests = route.route or []
                    if len(dests) < 2 and not any(d.weight is not None for d in dests):
                        continue
                    if len(dests) == 1:
                        yield self._lone(vs, f"spec.{kind}[{i}]", route.at(), dests[0])
                        continue
                    shares = [Share(_dest_label(d.destination.host, d.destination.subset), d.weight,
                                    d.at("weight") if d.weight is not None else d.at()) for d in dests]
                    yield self._check(vs, f"spec.{kind}[{i}]", route.at(), shares, 100, "weight")
        for ksvc in snap.all(KnativeService):
            traffic = ksvc.spec.traffic
            if not traffic:
                continue  # defaulted to 100% to the latest revision
            shares = [Share(t.tag or t.revision_name or ("latest" if t.latest_revision is not False else "?"),
                            t.percent, t.at("percent") if t.percent is not None else t.at()) for t in traffic]
            yield self._check(ksvc, "spec.traffic", ksvc.spec.at("traffic"), shares, 100, "percent")
        for rc in snap.all(RouteConfiguration):
            for vi, vh in enumerate(rc.virtual_hosts or []):
                for ri, r in enumerate(vh.routes or []):
                    wc = r.route.weighted_clusters if r.route else None
                    if wc is None:
                        continue
                    shares = [Share(c.name, c.weight, c.at("weight") if c.weight is not None else c.at())
                              for c in wc.clusters]
                    total = 100 if wc.total_weight is None else wc.total_weight
                    yield self._check(rc, f"virtual_hosts[{vi}].routes[{ri}]", r.at(), shares, total, "weight",
                                      total_at=wc.at("total_weight") if wc.total_weight is not None else None)

        for hr in snap.all(HTTPRoute):
            for i, rule in enumerate(hr.spec.rules or []):
                refs = rule.backend_refs or []
                if any(r.weight is not None for r in refs) and not _answers_itself(rule):
                    yield self._gateway_rule(hr, i, rule)
        for l4 in [*snap.all(TCPRoute), *snap.all(TLSRoute)]:
            for i, l4rule in enumerate(l4.spec.rules or []):
                yield self._gateway_rule(l4, i, l4rule)

    def _lone(self, vs: VirtualService, path: str, at: Span, dest: HTTPRouteDestination) -> Obligation:
        """Istio checks the total only with several destinations (validateHTTPRouteDestinations) and routes a
        lone one straight to its cluster (route.go applyHTTPRouteDestination): it gets 100% whatever its weight."""
        ob = self.obligation(vs, at=at, path=path)
        label = _dest_label(dest.destination.host, dest.destination.subset)
        ob.note(f"{label} has weight {dest.weight}, the route's only destination", dest.at("weight"))
        claim = f"{label} is the only destination: it receives 100% of the route's traffic whatever its weight"
        ob.decide("proved", claim)
        ob.on(proved=claim, violated=claim)
        return ob

    def _gateway_rule(self, hr: HTTPRoute | TCPRoute | TLSRoute, i: int,
                      rule: HTTPRouteRule | L4RouteRule) -> Obligation:
        """Gateway API weights are relative (shared_types.go BackendRef.Weight, default 1); a rule whose
        backendRefs all weigh 0 forwards nothing and answers 500 (Istio conversion.go: direct response 500).
        A TCPRoute/TLSRoute rule is checked whether or not weights are set: with all weights 0, or with no
        backendRef, it forwards no connection (the Gateway rejects or resets connections the rule accepts)."""
        ob = self.obligation(hr, at=rule.at(), path=f"spec.rules[{i}]")
        refs = rule.backend_refs or []
        l4 = not isinstance(hr, HTTPRoute)
        ws = [z3.Int(f"w{k}") for k in range(len(refs))]
        for w, r in zip(ws, refs):
            value = 1 if r.weight is None else r.weight
            ob.fact(w == value, at=r.at("weight") if r.weight is not None else r.at(),
                    says=f"backendRef {r.name} has weight {value}"
                    + (" (unset: the default is 1)" if r.weight is None else ""))
        total = z3.Sum(ws) if ws else z3.IntVal(0)
        ob.counterexample(total == 0, says="every backendRef of the rule has weight 0" if refs
                          else "the rule has no backendRefs")
        ob.show("sum", total)
        shares = [Share(r.name, 1 if r.weight is None else r.weight, r.at()) for r in refs]
        if l4:
            what = f"every backendRef of rules[{i}] has weight 0" if refs else f"rules[{i}] has no backendRefs"
            ob.on(violated=f"{what}: no connection is forwarded and the Gateway rejects every connection the "
                           "rule accepts",
                  proved=f"split: {split(shares)}")
            return ob
        ob.on(violated=f"every backendRef of rules[{i}] has weight 0: no request is forwarded and the Gateway answers "
                       "500 to every request the rule matches",
              proved=f"split: {split(shares)}")
        return ob

    def _check(self, subject: Resource, path: str, at: Span, shares: list[Share], total: int, field: str,
               total_at: Span | None = None) -> Obligation:
        ob = self.obligation(subject, at=at, path=path)
        ws = [z3.Int(f"w{i}") for i in range(len(shares))]
        for w, s in zip(ws, shares):
            value = s.weight or 0
            ob.fact(w == value, at=s.at, says=f"{s.label} has {field} {value}" + (" (unset)" if s.weight is None else ""))
        target = z3.Int("total")
        ob.fact(target == total, at=total_at or at, says=f"total_weight is {total}" if total_at else f"the {field}s must sum to {total}")
        ob.counterexample(z3.Sum(ws) != target if ws else target != 0, says=f"the {field}s do not sum to {total}")
        ob.show("sum", z3.Sum(ws) if ws else z3.IntVal(0))
        written = sum(s.weight or 0 for s in shares)
        effect = ("Knative's webhook rejects the traffic block" if isinstance(subject, KnativeService)
                  else f"effective split: {split(shares)}")
        ob.on(violated=f"{field}s sum to {written}, not {total}; {effect}",
              proved=f"{field}s sum to {total}: {split(shares)}")
        return ob


def _answers_itself(rule: HTTPRouteRule) -> bool:
    """A RequestRedirect filter answers without a backend (Istio skips the 500 then)."""
    return any(f.get("type") == "RequestRedirect" for f in rule.filters or [])


def _dest_label(host: str, subset: str | None) -> str:
    return f"{host}/{subset}" if subset else host
