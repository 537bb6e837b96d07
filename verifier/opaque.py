"""Objects of kinds cnverify does not model, kept for what they may imply.

An unmodelled object is never verified, but it can still create pods (an Argo Rollout, an
OpenShift DeploymentConfig, an operator's custom resource), and pods the model does not know
about can make a Service non-empty or use quota. Properties whose verdict depends on the set of
pods consult :attr:`Snapshot.opaque` and answer ``unknown`` rather than a false alarm or a
false proof.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cnverify.errors import Span
from cnverify.loader import RawObject
from cnverify.model.base import group_of

NON_POD_GROUPS = frozenset({
    "", "apps", "batch", "extensions", "autoscaling", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io", "networking.k8s.io",
    "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "certificates.k8s.io", "node.k8s.io",
    "flowcontrol.apiserver.k8s.io", "events.k8s.io", "resource.k8s.io", "security.istio.io", "networking.istio.io",
    "telemetry.istio.io", "extensions.istio.io", "gateway.networking.k8s.io", "gateway.networking.x-k8s.io",
    "kyverno.io", "templates.gatekeeper.sh", "constraints.gatekeeper.sh", "config.gatekeeper.sh",
    "mutations.gatekeeper.sh", "expansion.gatekeeper.sh", "cert-manager.io", "envoy.config.route.v3",
    "envoy.config.cluster.v3", "kustomize.config.k8s.io", "messaging.knative.dev", "projectcontour.io",
})
"""API groups whose unmodelled kinds never create pods (configuration, policy, RBAC, routing)."""


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

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"


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
    creates = isinstance(template, dict) or group_of(raw.api_version) not in NON_POD_GROUPS
    return Opaque(raw.kind, raw.api_version, str(meta.get("namespace") or "default"), str(meta.get("name") or ""),
                  raw.doc.span(raw.path), creates, labels if readable and isinstance(template, dict) else None)
