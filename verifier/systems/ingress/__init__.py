"""Kubernetes Ingress (networking.k8s.io/v1, extensions/v1beta1): one kind of Kubernetes core's groups."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

from cnverify.model.ingress import Ingress
from cnverify.systems.base import ActionReader, System


class IngressSystem(System):
    name = "ingress"
    title = "Kubernetes Ingress"
    order = 50
    kinds = (Ingress,)
    declines = {
        "links": "its references are resolved by the properties that read them",
        "api_groups": "Ingress is one kind of networking.k8s.io and extensions, groups Kubernetes core claims",
        "modelled_creators": "the Ingress controller's pods are deployed apart from the Ingress objects",
        "raw_shapes": "Ingress objects carry apiVersion and kind",
        "weighted_splits": "an Ingress path has one backend: no weights",
    }

    def route_tables(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.ingress import tables as ingress

        return (ingress,)

    def target_modules(self) -> tuple[ModuleType, ...]:
        from cnverify.systems.ingress import targets

        return (targets,)

    def diff_actions(self) -> Mapping[str, ActionReader]:
        from cnverify.systems.ingress.actions import ingress_action

        return {"ingress": ingress_action}


SYSTEM = IngressSystem()
