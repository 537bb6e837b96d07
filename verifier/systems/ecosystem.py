"""Other well-known projects cnverify does not model (yet): only what their API groups imply about pods.

Their objects stay opaque (``cnverify.opaque``); this adapter records which of their groups' kinds
create pods and who does, so an object of theirs never silently counts as a pod creator, nor fails to.
A project that gets a model moves its groups to its own adapter.
"""

from __future__ import annotations

from cnverify.systems.base import Group, System

CONFIG = Group(creates_pods=False)
_PODS = {
    "apps.openshift.io": "OpenShift's DeploymentConfig controller",
    "keda.sh": "KEDA (a ScaledJob runs Jobs)",
    "kubeflow.org": "a Kubeflow training operator",
    "flink.apache.org": "the Flink operator",
}


class Ecosystem(System):
    name = "ecosystem"
    title = "Other known projects (no model: policy engines, cert-manager, Contour, Kong, operators)"
    order = 90
    groups = {
        **{
            g: CONFIG
            for g in (
                "kyverno.io",
                "templates.gatekeeper.sh",
                "constraints.gatekeeper.sh",
                "config.gatekeeper.sh",
                "mutations.gatekeeper.sh",
                "expansion.gatekeeper.sh",
                "cert-manager.io",
                "certmanager.k8s.io",
                "kustomize.config.k8s.io",
            )
        },
        **{g: Group(True, creator=who) for g, who in _PODS.items()},
    }
    declines = {
        "kinds": "no model: these projects' objects stay opaque",
        "modelled_creators": "no modelled kinds",
        "links": "no modelled kinds",
        "raw_shapes": "their objects carry apiVersion and kind",
        "route_tables": "not modelled: their routes are not translated",
        "targets": "not modelled: their references are not resolved",
        "weighted_splits": "not modelled",
        "diff_actions": "not modelled",
    }


SYSTEM = Ecosystem()
