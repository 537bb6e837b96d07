"""Snapshot indexes: by model class (subclasses included), by namespace, by name; reads recorded."""

from __future__ import annotations

from pathlib import Path

from cnverify import loader, snapshot
from cnverify.model import Deployment, Service, StatefulSet, Workload
from cnverify.model.base import UNIT_NAMESPACE

OBJECTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: x}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: b, namespace: 'y'}  # quoted: a plain y is true for kubectl
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: c}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: d, namespace: x}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: x}
"""


def snap(tmp_path: Path) -> snapshot.Snapshot:
    (tmp_path / "o.yaml").write_text(OBJECTS)
    s, errors = snapshot.build(loader.load([str(tmp_path)]))
    assert errors == []
    return s


def test_indexes(tmp_path: Path) -> None:
    s = snap(tmp_path)
    assert [r.name for r in s.all(Workload)] == ["a", "b", "c", "d"]
    assert [r.name for r in s.in_namespace(Workload, "x")] == ["a", "d"]
    assert [r.name for r in s.in_namespace(Deployment, UNIT_NAMESPACE)] == ["c"]  # no namespace: the unit's
    assert s.in_namespace(Deployment, "default") == []  # never assumed to be default
    assert s.in_namespace(StatefulSet, "nowhere") == []
    got = s.get(Deployment, "x", "a")
    assert got is not None and got.KIND == "Deployment"
    assert s.get(Workload, "x", "a") is None  # get is by exact model
    assert s.kinds_read == {"Workload", "Deployment", "StatefulSet"}
    s.in_namespace(Service, "x").clear()  # a copy: the index is unchanged
    assert [r.ref for r in s.in_namespace(Service, "x")] == ["Service/x/a"]
    assert s.kinds() == {"Deployment": 2, "StatefulSet": 2, "Service": 1}
