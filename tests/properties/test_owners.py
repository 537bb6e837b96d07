"""Owned objects count through their controlling owner, and only through one that runs them."""

from __future__ import annotations

import io

from cnverify import loader, snapshot
from cnverify.model import Pod, ReplicaSet
from cnverify.properties._shared.owners import owner_in_inputs

DUMP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-1
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true, uid: "1"}]
spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: elsewhere
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: gone, controller: true, uid: "2"}]
spec: {selector: {matchLabels: {app: x}}, template: {metadata: {labels: {app: x}}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: parent, namespace: shop}
---
apiVersion: v1
kind: Pod
metadata:
  name: gc-child
  namespace: shop
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: parent, uid: "3"}]
spec: {containers: [{name: c, image: i}]}
"""


def test_owner_in_inputs() -> None:
    snap, errors = snapshot.build(loader.load(["-"], stdin=io.StringIO(DUMP)))
    assert not errors
    rs = {r.name: r for r in snap.all(ReplicaSet)}
    assert owner_in_inputs(snap, rs["web-1"]) == "Deployment/web"
    assert owner_in_inputs(snap, rs["elsewhere"]) is None  # the owner is not in the inputs: keep it
    [pod] = snap.all(Pod)
    assert owner_in_inputs(snap, pod) is None  # a ConfigMap does not run the pod
