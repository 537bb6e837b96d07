"""Which VirtualServices a proxy sees, in which order, and which hosts a gateway server gives them.

Istio's own rules (istio/istio at the corpus commit):

* ``pilot/pkg/model/push_context.go`` ``initVirtualServices`` / ``VirtualServicesForGateway``: a
  VirtualService's ``exportTo`` (absent: meshConfig ``defaultVirtualServiceExportTo``, default
  ``*``; ``.`` is its own namespace) files it as *public* (``*`` present), *none* (``~``), else
  *private* (the listed namespace is its own) or *exported* (another listed namespace).  A proxy
  in namespace N sees, in this order, the private ones of N, those exported to N, then the
  public ones, each group in ``MergedVirtualServices`` order (creation time, then name, then
  namespace: ``pilot/pkg/model/config.go`` ``configCompareByCreationTime``).  Only the top-level
  ``gateways`` (``getGatewayNames``) index a VirtualService under a gateway.
* ``pkg/config/host/names.go`` ``NamesForNamespace`` / ``Intersection`` and
  ``pilot/pkg/model/gateway.go`` ``sanitizeServerHostNamespace``: a server host ``ns/h`` applies
  to VirtualServices of ``ns`` (``*`` any, ``.`` the Gateway's); the virtual host is the more
  specific of a server host and a VirtualService host when one contains the other.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cnverify.errors import Span
from cnverify.model import VirtualService
from cnverify.model.istio import IstioGateway, Server
from cnverify.systems.istio.hosts import expand
from cnverify.systems.routing.tables import creation_instant, creation_order

FAR = datetime.max.replace(tzinfo=UTC)
DEFAULT_NOTE = (
    "exportTo is absent on VirtualService {names}: Istio's meshConfig default "
    "defaultVirtualServiceExportTo ['*'] (every namespace) is assumed"
)


def exports(vs: VirtualService) -> set[str]:
    """The namespaces ``vs`` is exported to (``*`` every one), ``.`` resolved; absent → ``{'*'}``."""
    raw = vs.spec.export_to or ["*"]
    if "*" in raw:
        return {"*"}
    if "~" in raw:
        return set()
    return {vs.namespace if e == "." else e for e in raw}


def rank(vs: VirtualService, viewer: str | None) -> int | None:
    """Position group of ``vs`` for a proxy in namespace ``viewer`` (None: a namespace outside the
    inputs): 0 private, 1 exported to it, 2 public; None when the proxy does not see ``vs``."""
    ex = exports(vs)
    if "*" in ex:
        return 2
    if viewer is None or viewer not in ex:
        return None
    return 0 if viewer == vs.namespace else 1


def order_key(vs: VirtualService) -> tuple[datetime, str, str]:
    """``configCompareByCreationTime``: creation time, then name, then namespace (no timestamp sorts last)."""
    return (creation_instant(vs.metadata.creation_timestamp) or FAR, vs.name, vs.namespace)


def order_fixed(vss: list[VirtualService]) -> bool:
    """Do the inputs fix the creation order of ``vss`` (every timestamp readable; equal ones fall to the name)?"""
    return creation_order(vss, lambda vs: (vs.name, vs.namespace))[1]


def default_note(vss: list[VirtualService]) -> list[tuple[str, Span]]:
    """One located step naming the VirtualServices whose visibility rests on the exportTo default."""
    absent = [vs for vs in vss if not vs.spec.export_to]
    if not absent:
        return []
    names = ", ".join(f"{vs.namespace}/{vs.name}" for vs in absent)
    return [(DEFAULT_NOTE.format(names=names), absent[0].spec.at("exportTo"))]


def server_hosts(server: Server, gw: IstioGateway, vs_namespace: str) -> list[str]:
    """The server's hosts that apply to VirtualServices of ``vs_namespace`` (namespace part stripped)."""
    out = []
    for h in server.hosts:
        ns, _, name = h.rpartition("/")
        ns = gw.namespace if ns == "." else ns
        if not ns or ns in ("*", vs_namespace):
            out.append(name)
    return out


def _subset(a: str, b: str) -> bool:
    """Istio ``host.Name.SubsetOf``: is every host ``a`` names also named by ``b``?"""
    if a.startswith("*"):
        return b.startswith("*") and len(a) >= len(b) and a[1:].endswith(b[1:])
    return a.endswith(b[1:]) if b.startswith("*") else a == b


def intersection(server: list[str], vs_hosts: list[str]) -> list[str]:
    """Istio ``Names.Intersection``: per pair, the more specific host when one contains the other."""
    out: list[str] = []
    for s in server:
        for v in vs_hosts:
            hit = s if _subset(s, v) else v if _subset(v, s) else None
            if hit is not None and hit.lower() not in out:
                out.append(hit.lower())
    return out


def vs_hosts(vs: VirtualService) -> list[str]:
    return [expand(h, vs.namespace) for h in vs.spec.hosts or []]
