"""Objects of kinds cnverify does not model, kept for what they may imply.

An unmodelled object is never verified, but it can still create pods (an Argo Rollout, an
OpenShift DeploymentConfig, an operator's custom resource), and pods the model does not know
about can make a Service non-empty or use quota. Whether an unmodelled kind creates pods is what the
adapter claiming its API group says (``cnverify.systems``, ``Group``); a group no adapter claims is
assumed to create pods. Properties whose verdict depends on the set of
pods consult :attr:`Snapshot.opaque` and answer ``unknown`` rather than a false alarm or a
false proof. Some modelled objects get pods the model does not describe as well (a Gateway API
Gateway's proxy, a Knative Service's revisions): :func:`modelled_creators` lists them with the
unmodelled ones in ``Snapshot.pod_creators``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cnverify import systems
from cnverify.errors import Span
from cnverify.loader import RawObject
from cnverify.model.base import Resource, group_of


@dataclass(frozen=True)
class Opaque:
    """An unmodelled object: identity, location, and whether (and with which labels) it may create pods."""

    kind: str
    api_version: str
    namespace: str
    name: str
    at: Span
    creates_pods: bool
    template_labels: Mapping[str, str] | None  # None: its pods' labels are not readable from the manifest
    creator: str = ""  # who creates its pods, when known
    annotations: Mapping[str, str] | None = None  # metadata.annotations when every value is a string
    counted_with: str = ""  # the workload whose update surge already counts these pods in quota (CNV302), if any

    @classmethod
    def of_modelled(cls, resource: Resource, labels: Mapping[str, str] | None, creator: str) -> Opaque:
        """A modelled object whose pods the model does not describe (an adapter's ``modelled_creator``)."""
        return cls(
            resource.KIND, resource.api_version, resource.namespace, resource.name, resource.at(), True, labels, creator
        )

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"

    @property
    def who(self) -> str:
        """The likely creator and the object, e.g. "Argo's controller (...) for Rollout/shop/web"."""
        return f"{self.creator or 'a controller cnverify does not model'} for {self.ref}"


def _dig(data: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(k)
    return data


def opaque_of(raw: RawObject) -> Opaque:
    """Describe an object whose kind has no model."""
    meta = raw.data.get("metadata") if isinstance(raw.data, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    template = _dig(raw.data, "spec", "template") or _dig(raw.data, "spec", "jobTemplate", "spec", "template")
    labels = _dig(template, "metadata", "labels") if isinstance(template, dict) else None
    readable = isinstance(labels, dict) and all(isinstance(v, str) for v in labels.values())
    notes = meta.get("annotations")
    policy = systems.group_policy(group_of(raw.api_version))  # None: no adapter claims the group
    creates = isinstance(template, dict) or policy is None or policy.creates(raw.kind)
    return Opaque(
        raw.kind,
        raw.api_version,
        str(meta.get("namespace") or "default"),
        str(meta.get("name") or ""),
        raw.doc.span(raw.path),
        creates,
        labels if readable and isinstance(template, dict) else None,
        policy.creator if policy is not None else "",
        notes if isinstance(notes, dict) and all(isinstance(v, str) for v in notes.values()) else None,
    )


def modelled_creators(resources: Iterable[Resource]) -> list[Opaque]:
    """Modelled objects whose pods the model does not describe, as their systems' adapters say
    (``modelled_creators`` hook: a Gateway API Gateway's proxy, a Knative Service's revisions)."""
    creators = {kind: s for s in systems.implementing("modelled_creators") for kind in s.kinds}
    out = []
    for r in resources:
        system = creators.get(type(r))
        found = system.modelled_creator(r) if system is not None else None
        if found is not None:
            out.append(found)
    return out
