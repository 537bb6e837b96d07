"""Kubernetes core (``v1``, apps, batch, autoscaling, policy, networking, node…): workloads, Services, quota."""

from __future__ import annotations

from cnverify.model.apps import CronJob, DaemonSet, Deployment, Job, ReplicaSet, ReplicationController, StatefulSet
from cnverify.model.autoscaling import HorizontalPodAutoscaler
from cnverify.model.core import LimitRange, Namespace, PersistentVolumeClaim, Pod, ResourceQuota, Service
from cnverify.model.networkpolicy import NetworkPolicy
from cnverify.model.node import RuntimeClass
from cnverify.model.policy import PodDisruptionBudget
from cnverify.systems.base import Group, System

CONFIG = Group(creates_pods=False)
"""The built-in API groups: their unmodelled kinds (RBAC, storage, admission, leases, …) configure the cluster;
every built-in kind that runs pods (Pod, the workload controllers) is modelled."""


class Kubernetes(System):
    name = "kubernetes"
    title = "Kubernetes core (incl. apps, batch, autoscaling, policy)"
    order = 60
    kinds = (
        Pod,
        Service,
        ResourceQuota,
        LimitRange,
        Namespace,
        PersistentVolumeClaim,
        Deployment,
        StatefulSet,
        ReplicaSet,
        DaemonSet,
        Job,
        CronJob,
        ReplicationController,
        HorizontalPodAutoscaler,
        PodDisruptionBudget,
        NetworkPolicy,
        RuntimeClass,
    )
    groups = {
        g: CONFIG
        for g in (
            "",
            "apps",
            "batch",
            "extensions",
            "autoscaling",
            "policy",
            "rbac.authorization.k8s.io",
            "storage.k8s.io",
            "admissionregistration.k8s.io",
            "apiextensions.k8s.io",
            "apiregistration.k8s.io",
            "networking.k8s.io",
            "scheduling.k8s.io",
            "coordination.k8s.io",
            "discovery.k8s.io",
            "certificates.k8s.io",
            "node.k8s.io",
            "flowcontrol.apiserver.k8s.io",
            "events.k8s.io",
            "resource.k8s.io",
        )
    }
    declines = {
        "links": "its references are resolved by the properties that read them",
        "modelled_creators": "every modelled kind that runs pods describes them (its pod template)",
        "raw_shapes": "every Kubernetes object carries apiVersion and kind",
        "route_tables": "core Kubernetes has no routing table (a Service forwards to the pods its selector picks)",
        "targets": "core Kubernetes objects name no route targets (Services are what targets resolve to)",
        "weighted_splits": "core Kubernetes has no weighted destinations",
        "diff_actions": "no routing table, so no route actions to compare",
    }


SYSTEM = Kubernetes()
