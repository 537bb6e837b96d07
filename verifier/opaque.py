"""Objects of kinds cnverify does not model, kept for what they may imply.

An unmodelled object is never verified, but it can still create pods (an Argo Rollout, an
OpenShift DeploymentConfig, an operator's custom resource), and pods the model does not know
about can make a Service non-empty or use quota. Properties whose verdict depends on the set of
pods consult :attr:`Snapshot.opaque` and answer ``unknown`` rather than a false alarm or a
false proof. Some modelled objects get pods the model does not describe as well (a Gateway API
Gateway's proxy, a Knative Service's revisions): :func:`modelled_creators` lists them with the
unmodelled ones in ``Snapshot.pod_creators``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cnverify.errors import Span
from cnverify.loader import RawObject
from cnverify.model.base import Resource, group_of

NON_POD_GROUPS = frozenset({
    "", "apps", "batch", "extensions", "autoscaling", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io", "networking.k8s.io",
    "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "certificates.k8s.io", "node.k8s.io",
    "flowcontrol.apiserver.k8s.io", "events.k8s.io", "resource.k8s.io", "security.istio.io", "networking.istio.io",
    "telemetry.istio.io", "extensions.istio.io", "gateway.networking.k8s.io", "gateway.networking.x-k8s.io",
    "kyverno.io", "templates.gatekeeper.sh", "constraints.gatekeeper.sh", "config.gatekeeper.sh",
    "mutations.gatekeeper.sh", "expansion.gatekeeper.sh", "cert-manager.io", "envoy.config.route.v3",
    "envoy.config.cluster.v3", "kustomize.config.k8s.io", "messaging.knative.dev", "projectcontour.io",
    "configuration.konghq.com", "config.istio.io", "certmanager.k8s.io",
})
"""API groups whose unmodelled kinds never create pods (configuration, policy, RBAC, routing).

Audited: a Gateway API ``Gateway`` is modelled and *does* get proxy pods (see :func:`modelled_creators`);
the other kinds of its groups (GatewayClass, routes, ReferenceGrant, policies) do not. Istio's networking
``Gateway`` only configures existing gateway pods. Contour's ``ContourDeployment`` does create pods and is
the exception of its group (``POD_KINDS``)."""
POD_KINDS = frozenset({("projectcontour.io", "ContourDeployment")})
"""Kinds that create pods although their group is in :data:`NON_POD_GROUPS`."""
NON_POD_KINDS = frozenset(("monitoring.coreos.com", k) for k in (
    "ServiceMonitor", "PodMonitor", "PrometheusRule", "Probe", "AlertmanagerConfig", "ScrapeConfig"))
"""Configuration kinds of groups whose other kinds create pods (the Prometheus operator runs a StatefulSet per
Prometheus, Alertmanager and ThanosRuler; its monitors and rules only configure them)."""

LIKELY_CREATOR = {
    "argoproj.io": "Argo's controller (a Rollout runs ReplicaSets of its template; Workflows run pods)",
    "apps.openshift.io": "OpenShift's DeploymentConfig controller",
    "serving.knative.dev": "Knative Serving (a Deployment per Revision)",
    "monitoring.coreos.com": "the Prometheus operator (a StatefulSet per Prometheus / Alertmanager)",
    "keda.sh": "KEDA (a ScaledJob runs Jobs)",
    "kubeflow.org": "a Kubeflow training operator",
    "flink.apache.org": "the Flink operator",
    "projectcontour.io": "Contour's gateway provisioner (Contour and Envoy pods)",
    "gateway.networking.k8s.io": "the Gateway API implementation, which deploys a proxy per Gateway "
                                 "(Istio, Envoy Gateway, Contour, NGINX Gateway Fabric)",
}
"""Who most likely creates the pods of an unmodelled kind, by API group (named first in reasons)."""


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
    group = group_of(raw.api_version)
    creates = (isinstance(template, dict) or (group, raw.kind) in POD_KINDS
               or (group not in NON_POD_GROUPS and (group, raw.kind) not in NON_POD_KINDS))
    return Opaque(raw.kind, raw.api_version, str(meta.get("namespace") or "default"), str(meta.get("name") or ""),
                  raw.doc.span(raw.path), creates, labels if readable and isinstance(template, dict) else None,
                  LIKELY_CREATOR.get(group, ""))


def modelled_creators(resources: Iterable[Resource]) -> list[Opaque]:
    """Modelled objects whose pods the model does not describe: a Gateway API ``Gateway`` gets proxy pods
    in its namespace from most implementations (Istio, Envoy Gateway in namespace mode, Contour's
    provisioner, NGINX Gateway Fabric), with labels each implementation chooses; a Knative Service runs a
    Deployment per Revision whose pods carry the revision template's labels (plus Knative's own)."""
    out = []
    for r in resources:
        if r.KIND == "Service" and r.GROUP == "serving.knative.dev":
            labels = r.spec.template.metadata.labels or {}  # type: ignore[attr-defined]
            out.append(Opaque(r.KIND, r.api_version, r.namespace, r.name, r.at(), True, dict(labels),
                              LIKELY_CREATOR[r.GROUP]))
        if r.KIND == "Gateway" and r.GROUP == "gateway.networking.k8s.io":
            cls = getattr(getattr(r, "spec", None), "gateway_class_name", None)
            out.append(Opaque(r.KIND, r.api_version, r.namespace, r.name, r.at(), True, None,
                              LIKELY_CREATOR[r.GROUP] + (f" of GatewayClass {cls}" if cls else "")))
    return out
