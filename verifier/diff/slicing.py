"""The slice of files a change can affect, found without parsing the unchanged files.

Files are grouped by the namespaces they declare (``namespace:`` lines; none → ``default``;
Envoy configs, which have no ``kind``, form one group).  Namespace A *mentions* B when a file of
A contains B as a word (a reference: ``reviews.B.svc.cluster.local``, ``B/gateway``,
``namespace: B``), and routing files (VirtualService, HTTPRoute, Ingress, Gateway, …) of two
namespaces mention each other when they share a host name (routes merged per host/gateway).

*Subjects* are every namespace a changed file declares plus every namespace that mentions one of
them, transitively (whatever can read changed data); *context* is what the subjects mention,
transitively (whatever they read).  The slice is the files of subjects and context plus every
file of a cluster-scoped kind; findings are reported only for subjects (a context namespace's
own findings may miss context of their own).  Unchanged files outside the slice are identical
on both sides and read nothing that changed, so their findings cannot change.  The match is
textual and over-approximates references; ``--full`` checks everything.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from cnverify.diff.gitsource import Side, SourceFile

NS_RE = re.compile(rb"^\s*namespace:\s*[\"']?([A-Za-z0-9][-A-Za-z0-9.]*)", re.M)
KIND_RE = re.compile(rb"^\s*[\"']?kind[\"']?\s*:\s*[\"']?([A-Za-z]+)", re.M)
HOST_RE = re.compile(rb"[A-Za-z0-9*][-A-Za-z0-9]*(?:\.[-A-Za-z0-9]+)+")
WORD_RE = re.compile(rb"[a-z0-9][-a-z0-9]*")
CLUSTER_KINDS = frozenset({
    b"Namespace", b"GatewayClass", b"IngressClass", b"ClusterRole", b"ClusterRoleBinding", b"PriorityClass",
    b"StorageClass", b"PersistentVolume", b"CustomResourceDefinition", b"Node", b"RuntimeClass",
    b"ValidatingWebhookConfiguration", b"MutatingWebhookConfiguration", b"ClusterIssuer"})
ROUTING_KINDS = frozenset({b"VirtualService", b"Gateway", b"HTTPRoute", b"GRPCRoute", b"Ingress", b"Route"})
ENVOY = "<envoy>"


@dataclass
class FileFacts:
    namespaces: set[str]
    cluster: bool
    routing: bool
    words: set[str]
    hosts: set[bytes] = field(default_factory=set)


def facts(f: SourceFile) -> FileFacts:
    """What the slice needs to know of a file, from its text."""
    data = f.data
    kinds = set(KIND_RE.findall(data))
    ns = {m.decode() for m in NS_RE.findall(data)}
    if not kinds:
        ns = {ENVOY}
    elif not ns or (b"\n---" in data and _has_unnamespaced(data)):
        ns.add("default")
    routing = bool(kinds & ROUTING_KINDS)
    words = {w.decode() for w in WORD_RE.findall(data)}
    return FileFacts(ns, bool(kinds & CLUSTER_KINDS), routing, words,
                     set(HOST_RE.findall(data)) if routing else set())


def _has_unnamespaced(data: bytes) -> bool:
    """Some document has ``metadata`` without a ``namespace`` (it lands in ``default``)."""
    return any(b"metadata:" in doc and not NS_RE.search(doc) for doc in re.split(rb"^---", data, flags=re.M))


@dataclass
class Plan:
    keys: set[str] | None  # None: every file
    subjects: set[str] = field(default_factory=set)
    reason: str = ""


def _closure(start: set[str], edges: dict[str, set[str]]) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def plan(old: Side, new: Side) -> Plan:
    """The files to load on both sides (see module docstring)."""
    keys = sorted(set(old.files) | set(new.files))
    changed = [k for k in keys if (old.files.get(k) or _NONE).digest != (new.files.get(k) or _NONE).digest]
    if not changed:
        return Plan(set(), reason="no file changed")
    per: dict[str, list[FileFacts]] = defaultdict(list)
    for k in keys:
        for side in (old, new):
            if k in side.files and (side is new or k in changed):
                per[k].append(facts(side.files[k]))
    all_ns = {n for fs in per.values() for f in fs for n in f.namespaces}
    mentions: dict[str, set[str]] = defaultdict(set)  # A → namespaces A mentions
    host_owners: dict[bytes, set[str]] = defaultdict(set)
    for fs in per.values():
        for f in fs:
            named = f.words & all_ns
            for n in f.namespaces:
                mentions[n] |= named - {n}
            for h in f.hosts:
                host_owners[h] |= f.namespaces
    for owners in host_owners.values():
        for n in owners:
            mentions[n] |= owners - {n}
    mentioned_by: dict[str, set[str]] = defaultdict(set)
    for a, bs in mentions.items():
        for b in bs:
            mentioned_by[b].add(a)
    touched = {n for k in changed for f in per[k] for n in f.namespaces}
    subjects = _closure(touched, mentioned_by)
    loaded = _closure(subjects, mentions)
    out = {k for k, fs in per.items() if any(f.cluster or f.namespaces & loaded for f in fs)}
    return Plan(out, subjects, f"{len(changed)} changed file(s); namespaces {sorted(subjects)} re-checked")


_NONE = SourceFile("", "", "", lambda: "")
