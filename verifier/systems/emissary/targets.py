"""Targets of Emissary objects: a Mapping's Host attachment, a Host's Listener, a Mapping's ``service``
(docs/SEMANTICS.md#emissary-ingress).

* ``service`` (irbasemapping ``normalize_service_name``, utils ``ParsedService``): ``[scheme://]name[.ns][:port]``;
  ``https://`` originates TLS (default port 443), otherwise port 80. With the Kubernetes service resolver (the
  default, ``kubernetes-service``) Envoy connects to that DNS name and port: a bare name is a Service of the
  Mapping's namespace, ``name.ns`` and ``name.ns.svc[.cluster.local]`` one of ``ns``, the port a Service port by
  number. The endpoint and Consul resolvers resolve through what the inputs do not show: unknown.
* Attachment (irhost ``matches_httpgroup``) and Listener binding (irlistener ``matches_host``): ``ir.attaches``,
  ``ir.binds``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlparse

from cnverify.errors import Span
from cnverify.model import Resource
from cnverify.model.emissary import RESOLVERS, EmissaryMapping, EmissaryTCPMapping, KubernetesServiceResolver
from cnverify.snapshot import Snapshot
from cnverify.systems.emissary.ir import READS as IR_READS
from cnverify.systems.emissary.ir import Installation, attaches, insecure_action, installations, served
from cnverify.systems.routing.targets import Check, service_target

READS = (*IR_READS, EmissaryTCPMapping, *RESOLVERS)
SERVICE_RESOLVERS = ("kubernetes-service",)  # built in (irserviceresolver: ServiceResolverFactory.finalize)
ENDPOINT_RESOLVERS = ("kubernetes-endpoint", "endpoint")
QUALIFIED = re.compile(r"^([a-z0-9-]+)\.([a-z0-9-]+)(?:\.svc(?:\.cluster\.local)?)?$")
NAMESPACE_RULE = (
    "assumes: the ambassador Module does not set use_ambassador_namespace_for_service_resolution "
    "(a bare service name is then a Service of the Mapping's namespace)"
)


def checks(snap: Snapshot) -> Iterator[Check]:
    for inst in installations(snap):
        yield from _attachments(inst)
        yield from _listeners(inst)
    resolvers = {r.name: r for cls in RESOLVERS for r in snap.all(cls)}
    refs: list[EmissaryMapping | EmissaryTCPMapping] = [*snap.all(EmissaryMapping), *snap.all(EmissaryTCPMapping)]
    for m in refs:
        yield _service(snap, m, resolvers)


def _attachments(inst: Installation) -> Iterator[Check]:
    hosts = list(served(inst))
    for m, why in inst.inactive:
        at = [(f"prefix {m.spec.prefix}", m.spec.at("prefix"))]
        yield Check(m, m.spec, "violated", f"Emissary leaves the Mapping inactive: {why}", at, binding=True)
    for g in inst.groups:
        for r in g:
            m = r.mapping
            steps: list[tuple[str, Span]] = []
            if r.host is not None:
                steps.append((f"hostname {r.host}", m.spec.at("hostname" if m.spec.hostname else "host")))
            elif m.labels:
                steps.append((f"labels {m.labels}", m.metadata.at("labels")))
            taken = [(h, ls) for h, ls in hosts if attaches(h, r)]
            for h, _ in taken:
                sel = h.mapping_selector
                steps.append((f"Host {h.namespace}/{h.name} ({h.hostname}) takes it", (sel or h.spec).at()))
            if taken:
                names = ", ".join(f"{h.namespace}/{h.name}" for h, _ in taken)
                idle = inst.listeners and not any(ls for _, ls in taken)
                claim = f"Mapping attaches to Host {names}" + (" (which no Listener takes)" if idle else "")
                yield Check(m, m.spec, "proved", claim, steps, binding=True)
            elif not inst.hosts:
                claim = f"the inputs hold no Host of installation {inst.id}" + (
                    ": Emissary's synthesized default-host (hostname *) takes it"
                    if r.host is not None or r.host_regex
                    else "; the default-host Emissary synthesizes then takes no Mapping without a hostname, "
                    "and whether a Host elsewhere selects it is not in the inputs"
                )
                verdict = "proved" if r.host is not None or r.host_regex else "unknown"
                if verdict == "proved":
                    steps.append((f"assumes: installation {inst.id} has no Host outside the inputs", m.spec.at()))
                yield Check(m, m.spec, verdict, claim, steps, binding=True)  # type: ignore[arg-type]
            else:
                yield Check(m, m.spec, "violated", _nowhere(r.host, m.labels), steps, binding=True)


def _nowhere(host: str | None, labels: dict[str, str]) -> str:
    if host is None:
        return (
            "the Mapping has no hostname and no Host's mappingSelector matches its labels"
            f"{' ' + str(labels) if labels else ''}: Emissary attaches it to no Host, so no request reaches it"
        )
    return f"no Host's hostname intersects {host!r} (with a mappingSelector that matches where the Host has one)"


def _listeners(inst: Installation) -> Iterator[Check]:
    for h, listeners in served(inst):
        steps: list[tuple[str, Span]] = [(f"Host {h.namespace}/{h.name} ({h.hostname})", h.metadata.at("name"))]
        for x in listeners:
            steps.append((f"Listener {x.namespace}/{x.name} (port {x.spec.port}) takes it", x.spec.at("hostBinding")))
        if listeners:
            names = ", ".join(f"{x.namespace}/{x.name}" for x in listeners)
            yield Check(h, h.spec, "proved", f"Host is served by Listener {names}", steps, binding=True)
        elif inst.listeners:
            yield Check(
                h,
                h.spec,
                "violated",
                f"no Listener routes Host {h.namespace}/{h.name}'s Mappings (hostBinding: namespace.from ALL or "
                "the Listener's own namespace, selector.matchLabels; an INSECURE Listener only when "
                f"requestPolicy.insecure.action is Route, here {insecure_action(h)}): no request reaches them",
                steps,
                binding=True,
            )
        else:
            yield Check(
                h,
                h.spec,
                "unknown",
                f"the inputs hold no Listener of installation {inst.id}: which port serves Host {h.name} is not "
                "in them",
                steps,
                binding=True,
            )


def _service(snap: Snapshot, m: EmissaryMapping | EmissaryTCPMapping, resolvers: dict[str, Resource]) -> Check:
    spec = m.spec
    where = (spec.at("service"), "spec.service")
    steps: list[tuple[str, Span]] = [(f"service {spec.service}", spec.at("service"))]
    if isinstance(m, EmissaryMapping) and m.spec.host_redirect:
        return Check(
            m, spec, "unknown", "a host_redirect Mapping's service is the host it redirects to", steps, where=where
        )
    why = _resolver(m, resolvers, steps)
    if why:
        return Check(m, spec, "unknown", why, steps, where=where)
    parsed = _parse(spec.service)
    if isinstance(parsed, str):
        return Check(m, spec, "unknown", parsed, steps, where=where)
    name, ns, port = parsed
    steps.append((NAMESPACE_RULE, spec.at("service")))
    check = service_target(
        snap, m, spec, ns or m.namespace, name, port, steps, port_required=True, what=f"{m.KIND} service"
    )
    check.where = where
    return check


def _resolver(
    m: EmissaryMapping | EmissaryTCPMapping, resolvers: dict[str, Resource], steps: list[tuple[str, Span]]
) -> str:
    """Why the resolver takes the target out of the inputs' reach ("" for the Kubernetes service resolver)."""
    name = m.spec.resolver
    if name is None:
        steps.append(("assumes: the ambassador Module sets no default resolver (kubernetes-service)", m.spec.at()))
        return ""
    steps.append((f"resolver {name}", m.spec.at("resolver")))
    if name in SERVICE_RESOLVERS:
        return ""
    if name in ENDPOINT_RESOLVERS:
        return f"resolver {name} sends to the Service's endpoints by their target ports: not checked here"
    found = resolvers.get(name)
    if found is None:
        return f"resolver {name} is not in the inputs"
    if isinstance(found, KubernetesServiceResolver):
        return ""
    return f"resolver {name} is a {found.KIND}: the endpoints it resolves are not in the inputs"


def _parse(service: str) -> tuple[str, str | None, int] | str:
    """(name, namespace or None, port), or why the service is not a Kubernetes Service of the inputs."""
    rest, port = service, 80
    if rest.lower().startswith("https://"):
        rest, port = rest[8:], 443
    elif rest.lower().startswith("http://"):
        rest = rest[7:]
    elif "://" in rest:
        rest = rest.split("://", 1)[1]  # "unknown scheme …, assuming http"
    try:
        p = urlparse("random://" + rest)
        host, given = p.hostname, p.port
    except ValueError as e:
        return f"service {service!r} is not a valid host[:port] ({e})"
    if not host:
        return f"service {service!r} names no host"
    port = given or port
    if "." not in host:
        return (host, None, port) if host != "localhost" else f"service {service!r} is the Emissary pod itself"
    found = QUALIFIED.match(host)
    if found is None:
        return f"service host {host} is a DNS name outside the Service forms name.namespace[.svc[.cluster.local]]"
    return found.group(1), found.group(2), port
