"""The typed model: one module per API family; every module registers its kinds on import."""

from __future__ import annotations

import importlib
import pkgutil

from cnverify.model.base import KIND_MODELS, Node, ObjectMeta, Resource, group_of, register_kind

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name not in ("base", "types"):
        importlib.import_module(f"{__name__}.{_info.name}")

from cnverify.model import apps  # noqa: E402
from cnverify.model.apps import (  # noqa: E402
    CronJob,
    DaemonSet,
    Deployment,
    Job,
    LabelSelector,
    ReplicaSet,
    ReplicationController,
    StatefulSet,
    Workload,
    pod_template,
    template_known,
)
from cnverify.model.argo import Rollout  # noqa: E402
from cnverify.model.autoscaling import HorizontalPodAutoscaler  # noqa: E402
from cnverify.model.core import (  # noqa: E402
    Container,
    LimitRange,
    Namespace,
    PersistentVolumeClaim,
    Pod,
    PodSpec,
    PodTemplateSpec,
    ResourceQuota,
    Service,
)
from cnverify.model.envoy import Cluster, RouteConfiguration  # noqa: E402
from cnverify.model.istio import DestinationRule, IstioGateway, ServiceEntry, VirtualService  # noqa: E402
from cnverify.model.knative import KnativeService  # noqa: E402
from cnverify.model.node import RuntimeClass  # noqa: E402
from cnverify.model.policy import PodDisruptionBudget  # noqa: E402

WORKLOAD_KINDS: tuple[type[Resource], ...] = (
    *apps.WORKLOAD_KINDS,
    *(
        cls
        for cls in dict.fromkeys(KIND_MODELS.values())
        if issubclass(cls, Workload) and cls not in apps.WORKLOAD_KINDS
    ),
)
"""Every kind that creates pods from a template (``pod_template``): the core workloads, then any registered
``Workload`` subclass of another system's model (an Argo Rollout), in module order."""

__all__ = [
    "KIND_MODELS",
    "Node",
    "ObjectMeta",
    "Resource",
    "group_of",
    "register_kind",
    "WORKLOAD_KINDS",
    "CronJob",
    "DaemonSet",
    "Deployment",
    "Job",
    "LabelSelector",
    "ReplicaSet",
    "ReplicationController",
    "StatefulSet",
    "Workload",
    "pod_template",
    "template_known",
    "Rollout",
    "HorizontalPodAutoscaler",
    "Container",
    "LimitRange",
    "Namespace",
    "Pod",
    "PodSpec",
    "PodTemplateSpec",
    "ResourceQuota",
    "Service",
    "Cluster",
    "RouteConfiguration",
    "DestinationRule",
    "IstioGateway",
    "ServiceEntry",
    "VirtualService",
    "KnativeService",
    "PodDisruptionBudget",
    "PersistentVolumeClaim",
    "RuntimeClass",
]
