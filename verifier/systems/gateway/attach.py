"""Which Gateway listeners accept an HTTPRoute (or a TCPRoute/TLSRoute: the listener protocol is then TCP/TLS):
shared by CNV102 (parentRefs) and the Gateway API tables.

Per the spec (apis/v1/shared_types.go ParentReference, gateway_types.go Listener/AllowedRoutes,
httproute_types.go Hostnames): a parentRef selects the listeners named by ``sectionName`` and on
``port`` (both when both are set); a selected listener accepts the route when its ``allowedRoutes``
kinds admit HTTPRoute (unset: the protocol decides, HTTP/HTTPS), its namespace policy admits the
route's namespace (``from`` defaults to ``Same``) and the hostnames intersect.  On that listener the
route serves the intersection of its hostnames with the listener's hostname.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnverify.encodings.hosts import matches
from cnverify.encodings.labels import UnsupportedSelector, requirements, selector_matches
from cnverify.errors import Span
from cnverify.model import Namespace, Service
from cnverify.model.gateway import GATEWAY_API, Gateway, HTTPRoute, Listener, ParentReference
from cnverify.model.gateway_l4 import TCPRoute, TLSRoute
from cnverify.proof import Verdict
from cnverify.run_context import context_of
from cnverify.snapshot import Snapshot
from cnverify.systems.routing.targets import lookup, missing

READS = (HTTPRoute, Gateway, Namespace, Service)
HTTP_PROTOCOLS = ("HTTP", "HTTPS")
ROUTE_PROTOCOLS = {"HTTPRoute": HTTP_PROTOCOLS, "TCPRoute": ("TCP",), "TLSRoute": ("TLS",)}  # core support
CORE_PROTOCOLS = ("HTTP", "HTTPS", "TLS", "TCP", "UDP")
NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every Namespace
AnyRoute = HTTPRoute | TCPRoute | TLSRoute

PARENT_READS = (Gateway, Namespace, Service)
"""What resolving a parentRef reads."""


@dataclass(frozen=True)
class Refusal:
    """Why a listener does not accept a route; ``undecided``: the inputs cannot tell (unknown, not a rejection)."""

    why: str
    undecided: bool = False


@dataclass
class Binding:
    """One listener that accepts the route, and the route's hostnames there (``*``: every host it takes)."""

    gateway: Gateway
    listener: Listener
    hostnames: list[str]
    defaults: list[tuple[str, Span]] = field(default_factory=list)  # defaults the acceptance rests on


@dataclass
class ParentResult:
    """The resolution of one parentRef: verdict, located steps, and the listeners it binds to."""

    pref: ParentReference
    verdict: Verdict
    claim: str
    steps: list[tuple[str, Span]] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)  # why listeners that may accept it are unknown
    maybe: list[Binding] = field(default_factory=list)  # those listeners
    defaults: list[tuple[str, Span]] = field(default_factory=list)  # defaults the verdict rests on
    service: str | None = None  # "ns/name" of a Service parent (mesh route)
    absent: bool = False  # the parent itself is missing from the inputs (not a rejection by a parent)


def intersect(listener_host: str | None, route_hosts: list[str]) -> list[str]:
    """The route's hostnames on a listener: the more specific of each intersecting pair (httproute_types.go)."""
    if not listener_host:
        return list(route_hosts) or ["*"]
    if not route_hosts:
        return [listener_host]
    out: list[str] = []
    for h in route_hosts:
        both = h if matches(listener_host, h) else listener_host if matches(h, listener_host) else None
        if both is not None and both not in out:
            out.append(both)
    return out


def _namespace_labels(snap: Snapshot, ns: str, keys: set[str]) -> dict[str, str] | None:
    """The labels of namespace ``ns`` as far as the selector needs them; None when the inputs do not show them."""
    obj = snap.get(Namespace, "", ns)
    if obj is not None:
        return {**obj.labels, NAME_LABEL: ns}
    return {NAME_LABEL: ns} if keys <= {NAME_LABEL} else None


def _kinds(ln: Listener, notes: list[tuple[str, Span]], kind: str = "HTTPRoute") -> Refusal | None:
    """None when the listener's kinds admit ``kind``, else why not (``undecided`` when the inputs cannot tell)."""
    ar = ln.allowed_routes
    kinds = ar.kinds if ar is not None and ar.kinds else None
    if kinds is not None and not any(k.kind == kind and (k.group is None or k.group == GATEWAY_API) for k in kinds):
        return Refusal(f"listener {ln.name} allows only {[k.kind for k in kinds]}")
    protocols = ROUTE_PROTOCOLS[kind]
    if ln.protocol in protocols:
        if kinds is None:
            notes.append(
                (
                    f"listener {ln.name} does not set allowedRoutes.kinds: its protocol {ln.protocol} admits {kind}",
                    ln.at("protocol"),
                )
            )
        return None
    if ln.protocol in CORE_PROTOCOLS:
        return Refusal(f"listener {ln.name} has protocol {ln.protocol} ({kind} needs {' or '.join(protocols)})")
    return Refusal(f"listener {ln.name} has the implementation-specific protocol {ln.protocol}", undecided=True)


def _namespaces(
    snap: Snapshot, gw: Gateway, ln: Listener, route: AnyRoute, notes: list[tuple[str, Span]]
) -> Refusal | None:
    """None when the listener's namespace policy admits the route's namespace, else why not."""
    ar = ln.allowed_routes
    policy = ar.namespaces if ar is not None else None
    frm = policy.from_ if policy is not None else "Same"
    if policy is None or "from_" not in policy.model_fields_set:
        notes.append(
            (f"listener {ln.name} does not set allowedRoutes.namespaces.from: the default is Same", ln.at("name"))
        )
    if frm == "Same":
        return (
            None
            if route.namespace == gw.namespace
            else Refusal(f"listener {ln.name} accepts routes from its own namespace {gw.namespace} only")
        )
    if frm == "All":
        return None
    sel = policy.selector if policy is not None else None
    if frm != "Selector" or sel is None:
        return Refusal(f"listener {ln.name}: namespaces from {frm} without a selector is not modelled", undecided=True)
    try:
        keys = {k for k, _, _ in requirements(sel)}
        labels = _namespace_labels(snap, route.namespace, keys)
        if labels is None:
            return Refusal(
                f"listener {ln.name} selects namespaces by label and Namespace {route.namespace} is not in the inputs",
                undecided=True,
            )
        ok = selector_matches(sel, labels, nil_matches=False, empty_matches=True)
    except UnsupportedSelector as exc:
        return Refusal(f"listener {ln.name}: {exc}", undecided=True)
    return (
        None if ok else Refusal(f"listener {ln.name}'s namespace selector does not select namespace {route.namespace}")
    )


def _conflict(gw: Gateway, ln: Listener) -> Refusal | None:
    """A listener sharing its port with one of another protocol may be Conflicted and not accepted.

    gateway_types.go, Listeners: with a TCP listener on the port, the HTTP/HTTPS/TLS listeners there
    are indistinct and MUST NOT be accepted (if the implementation supports TCP); other protocol
    mixes on one port are "compatible" per implementation.  Either way: unknown.
    """
    for other in gw.spec.listeners:
        if other is not ln and other.port == ln.port and other.protocol != ln.protocol and other.protocol != "UDP":
            return Refusal(
                f"listener {ln.name} shares port {ln.port} with listener {other.name} "
                f"({other.protocol}): whether the implementation accepts both is implementation-specific",
                undecided=True,
            )
    return None


def listener_verdict(
    snap: Snapshot, gw: Gateway, ln: Listener, route: AnyRoute, notes: list[tuple[str, Span]]
) -> tuple[Refusal | None, list[str]]:
    """Does ``ln`` accept ``route``: ``(None, hostnames)`` yes, ``(why not, [])`` no,
    ``(undecided why, hostnames)`` unknown."""
    names = route.spec.hostnames or []
    hosts = intersect(ln.hostname, names)
    misfit = None if hosts else Refusal(f"listener {ln.name} hostname {ln.hostname} intersects none of {names}")
    undecided: list[Refusal] = []
    for check in (
        lambda: _kinds(ln, notes, route.KIND),
        lambda: misfit,
        lambda: _conflict(gw, ln),
        lambda: _namespaces(snap, gw, ln, route, notes),
    ):
        why = check()
        if why is not None and not why.undecided:
            return why, []  # the first definite rejection
        undecided += [why] if why is not None else []
    return (undecided[0] if undecided else None), hosts


def resolve_parent(snap: Snapshot, route: AnyRoute, pref: ParentReference) -> ParentResult:
    kind, group = pref.kind or "Gateway", pref.group if pref.group is not None else GATEWAY_API
    ns = pref.namespace or route.namespace
    own = " (namespace: the route's own, by default)" if pref.namespace is None else ""
    steps: list[tuple[str, Span]] = [(f"parentRef {kind} {ns}/{pref.name}{own}", pref.at("name"))]
    if kind == "Service" and group in ("", "core"):
        if not lookup(snap, Service, ns, pref.name, route):
            verdict, claim = missing(snap, ns, f"Service {ns}/{pref.name}")
            return ParentResult(pref, verdict, claim, steps, absent=True)
        return ParentResult(
            pref, "proved", f"parent Service {ns}/{pref.name} exists", steps, service=f"{ns}/{pref.name}"
        )
    if (group, kind) != (GATEWAY_API, "Gateway"):
        return ParentResult(pref, "unknown", f"parent kind {group}/{kind} is not modelled", steps)
    candidates = lookup(snap, Gateway, ns, pref.name, route)
    if not candidates:
        verdict, claim = missing(snap, ns, f"Gateway {ns}/{pref.name}")
        return ParentResult(pref, verdict, claim, steps, absent=True)
    results = [_on_gateway(snap, route, pref, g, list(steps)) for g in candidates]  # same file first
    return next((r for r in results if r.verdict == "proved"), results[0])


def _on_gateway(
    snap: Snapshot, route: AnyRoute, pref: ParentReference, gw: Gateway, steps: list[tuple[str, Span]]
) -> ParentResult:
    """Which listeners of one definition of the parent Gateway accept ``route``?"""
    ref = f"{gw.namespace}/{gw.name}"
    steps.append((f"Gateway {ref} exists", gw.metadata.at("name")))
    selected = [
        ln
        for ln in gw.spec.listeners
        if (pref.section_name is None or ln.name == pref.section_name) and (pref.port is None or ln.port == pref.port)
    ]
    if not selected:
        sel = " and ".join(
            x for x in (pref.section_name and f"named {pref.section_name}", pref.port and f"on port {pref.port}") if x
        )
        return ParentResult(pref, "violated", f"Gateway {ref} has no listener {sel}", steps)
    out = ParentResult(pref, "violated", f"no listener of Gateway {ref} accepts the route", steps)
    for ln in selected:
        notes: list[tuple[str, Span]] = []
        why, hosts = listener_verdict(snap, gw, ln, route, notes)
        steps += notes
        out.defaults += notes
        if why is None:
            out.bindings.append(Binding(gw, ln, hosts, notes))
            steps.append((f"listener {ln.name} ({ln.protocol} {ln.port}) accepts the route", ln.at("name")))
        elif why.undecided:
            out.undecided.append(why.why)
            out.maybe.append(Binding(gw, ln, hosts, notes))
        else:
            steps.append((why.why, ln.at("name")))
    if out.bindings:
        names = ", ".join(b.listener.name for b in out.bindings)
        out.verdict, out.claim = "proved", f"listener {names} of Gateway {ref} accepts the route"
    elif out.undecided:
        out.verdict, out.claim = "unknown", "; ".join(out.undecided)
    return out


def route_parents(snap: Snapshot, route: AnyRoute) -> list[ParentResult]:
    """Every parentRef of ``route`` resolved (computed once per run)."""
    return context_of(snap).memo(
        ("systems.gateway.attach.route_parents", f"{route.ref}@{route.at()}"),
        lambda: [resolve_parent(snap, route, p) for p in route.spec.parent_refs or []],
        reads=PARENT_READS,
    )
