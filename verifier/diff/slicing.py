"""The slice of files a change can affect, found without parsing the unchanged files.

Files are grouped by the namespaces they declare (``namespace:`` lines; none → the unit namespace;
Envoy configs, which have no ``kind``, form one group).  Namespace A *mentions* B when a file of
A contains B as a word (a reference: ``reviews.B.svc.cluster.local``, ``B/gateway``,
``namespace: B``), and routing files (VirtualService, HTTPRoute, Ingress, Gateway, …) of two
namespaces mention each other when they share a host name (routes merged per host/gateway); a
route without host names (inheriting its listener's) is linked with every routed namespace.

*Subjects* are every namespace a changed file declares plus every namespace that mentions one of
them, transitively (whatever can read changed data); *context* is what the subjects mention,
transitively (whatever they read).  The slice is the files of subjects and context plus every
file of a cluster-scoped kind (a change to one re-checks everything); findings are reported
only for subjects (a context namespace's own findings may miss context of their own).  Unchanged files outside the slice are identical
on both sides and read nothing that changed, so their findings cannot change.  The match is
textual and over-approximates references; ``--full`` checks everything.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from cnverify.diff.gitsource import Side, SourceFile
from cnverify.model.base import UNIT_NAMESPACE

NS_RE = re.compile(rb"namespace[\"']?:[ \t]*[\"']?([A-Za-z0-9][-A-Za-z0-9.]*)")
KIND_RE = re.compile(rb"kind[\"']?[ \t]*:[ \t]*[\"']?([A-Za-z]+)")
TOP_META_RE = re.compile(rb"^metadata:", re.M)
HOST_RE = re.compile(rb"[A-Za-z0-9*][-A-Za-z0-9]*(?:\.[-A-Za-z0-9]+)+")
HOSTS_RE = re.compile(rb"\bhost(?:s|names)?:[ \t]*(\[[^\]]*\]|[^\n]+|(?:\n[ \t]*-[^\n]*)+)")
CLUSTER_KINDS = frozenset(
    {
        b"Namespace",
        b"GatewayClass",
        b"IngressClass",
        b"ClusterRole",
        b"ClusterRoleBinding",
        b"PriorityClass",
        b"StorageClass",
        b"PersistentVolume",
        b"CustomResourceDefinition",
        b"Node",
        b"RuntimeClass",
        b"ValidatingWebhookConfiguration",
        b"MutatingWebhookConfiguration",
        b"ClusterIssuer",
    }
)
ROUTING_KINDS = frozenset({b"VirtualService", b"Gateway", b"HTTPRoute", b"GRPCRoute", b"Ingress", b"Route"})
ENVOY = "<envoy>"


@dataclass
class FileFacts:
    namespaces: set[str]
    cluster: bool
    routing: bool  # a route (VirtualService, HTTPRoute, Ingress, …), not only Gateways
    data: bytes


def facts(f: SourceFile) -> FileFacts:
    """What the slice needs to know of a file, from its text."""
    data = f.data
    kinds = set(KIND_RE.findall(data))
    found = NS_RE.findall(data)
    ns = {m.decode() for m in found}
    if not kinds:
        ns = {ENVOY}
    elif not ns or (len(found) < len(TOP_META_RE.findall(data)) and _has_unnamespaced(data)):
        ns.add(UNIT_NAMESPACE)  # namespace-less objects share their unit's namespace
    return FileFacts(ns, bool(kinds & CLUSTER_KINDS), bool(kinds & ROUTING_KINDS - {b"Gateway"}), data)


def _has_unnamespaced(data: bytes) -> bool:
    """Some document has ``metadata`` without a ``namespace`` (it lands in the unit namespace)."""
    return any(b"metadata:" in doc and not NS_RE.search(doc) for doc in re.split(rb"^---", data, flags=re.M))


def _mentions(data: bytes, word: bytes) -> bool:
    if word not in data:
        return False
    return re.search(rb"(?<![-A-Za-z0-9])" + re.escape(word) + rb"(?![-A-Za-z0-9])", data) is not None


def _hosts(f: FileFacts) -> set[bytes]:
    """Host names a routing file binds (``hosts:``/``hostnames:``/``host:`` values)."""
    out: set[bytes] = set()
    for block in HOSTS_RE.findall(f.data):
        out |= {h for h in HOST_RE.findall(block) if b"*" not in h[1:]}
    return out


@dataclass
class Plan:
    keys: set[str] | None  # None: every file
    subjects: set[str] | None = field(default_factory=set)  # None: every namespace is a subject
    reason: str = ""


def plan(old: Side, new: Side) -> Plan:
    """The files to load on both sides (see module docstring)."""
    keys = sorted(set(old.files) | set(new.files))
    changed = [k for k in keys if (old.files.get(k) or _NONE).digest != (new.files.get(k) or _NONE).digest]
    if not changed:
        return Plan(set(), reason="no file changed")
    files: list[tuple[str, FileFacts]] = []
    for k in keys:
        for side in (old, new):
            if k in side.files and (side is new or k in changed):
                files.append((k, facts(side.files[k])))
    all_ns = {n for _, f in files for n in f.namespaces}
    by_ns: dict[str, list[FileFacts]] = defaultdict(list)
    for _, f in files:
        for n in f.namespaces:
            by_ns[n].append(f)
    if any(f.cluster for k, f in files if k in set(changed)):
        return Plan(None, None, "a cluster-scoped object changed (it can affect any namespace): every file re-checked")
    touched = {n for k, f in files if k in set(changed) for n in f.namespaces}
    routed = {n for _, f in files if f.routing for n in f.namespaces}
    hostless = {n for _, f in files if f.routing and HOSTS_RE.search(f.data) is None for n in f.namespaces}
    subjects, frontier = set(touched), set(touched)
    while frontier:  # who mentions a subject (or shares a routed host with one) reads changed data
        words = {n.encode() for n in frontier if n != ENVOY}
        words |= {h for n in frontier for f in by_ns[n] if f.routing for h in _hosts(f)}
        found = {
            n
            for _, f in files
            if not f.namespaces <= subjects and any(_mentions(f.data, w) for w in words)
            for n in f.namespaces
        }
        # a route without host names (a Gateway API route inheriting its listener's hostnames, an
        # Ingress rule without host) competes with every routed host, and they with it
        found |= (routed if frontier & hostless else set()) | (hostless if frontier & routed else set())
        frontier = found - subjects
        subjects |= frontier
    loaded, frontier = set(subjects), set(subjects)
    while frontier:  # what the subjects mention, they read
        text = b"\n".join(f.data for n in frontier for f in by_ns[n])
        found = {n for n in all_ns - loaded if n != ENVOY and _mentions(text, n.encode())}
        frontier = found
        loaded |= found
    out = {k for k, f in files if f.cluster or f.namespaces & loaded}
    return Plan(
        out,
        subjects,
        f"{len(changed)} changed file(s); {len(out)} of {len(keys)} files loaded, "
        f"namespaces re-checked: {', '.join(sorted(subjects))}",
    )


_NONE = SourceFile("", "", "", lambda: "")
