"""Argo CD (``argoproj.io``): Application, AppProject and ApplicationSet, read for the delivery properties.

The ``argoproj.io`` API group is claimed by the ``argo`` adapter (Argo Rollouts); this adapter owns only the
Argo CD kinds it models. What Argo CD does with them is in this package: project permissions
(:mod:`.project`, :mod:`.globs`), ApplicationSet generators (:mod:`.generators`) and the sync order of the
objects an Application applies (:mod:`.waves`). Semantics: docs/SEMANTICS.md#argo-cd.
"""

from __future__ import annotations

from cnverify.model import Resource
from cnverify.model.argocd import Application, ApplicationSet, AppProject
from cnverify.opaque import Opaque
from cnverify.systems.base import System

SYNCS = (
    "Argo CD (an Application syncs manifests from its source repository, which may create pods; an "
    "ApplicationSet generates such Applications)"
)


class ArgoCD(System):
    name = "argocd"
    title = "Argo CD (Application, AppProject, ApplicationSet; sync waves)"
    order = 86
    kinds = (Application, AppProject, ApplicationSet)
    declines = {
        "api_groups": "argoproj.io is claimed by the argo adapter (Argo Rollouts), whose Group policy covers "
        "the Argo CD kinds this adapter does not model",
        "links": "an Application's project is looked up by the properties (it may live outside the unit)",
        "raw_shapes": "Argo CD objects carry apiVersion and kind",
        "route_tables": "Argo CD routes no requests",
        "targets": "Argo CD routes no requests",
        "weighted_splits": "Argo CD splits no traffic",
        "diff_actions": "no routing table",
    }

    def modelled_creator(self, resource: Resource) -> Opaque | None:
        """Applications and ApplicationSets deploy manifests the inputs do not hold: pods of unknown labels, in
        their own namespace as when they were unmodelled argoproj.io kinds (their destinations may be other
        clusters)."""
        if isinstance(resource, Application | ApplicationSet):
            return Opaque.of_modelled(resource, None, SYNCS)
        return None


SYSTEM = ArgoCD()
