"""Pod shapes, controller-set labels, named-port resolution and Istio host resolution (selectors helpers)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import z3
from cnverify.encodings.labels import LabelSpace
from cnverify.model import Deployment, Service, ServiceEntry
from cnverify.model.base import KIND_MODELS, group_of
from cnverify.properties._shared.selectors.pods import COMPLETION_INDEX, shape_of
from cnverify.properties._shared.selectors.ports import IANA_NAME, resolve
from cnverify.properties.selectors.selectors_disjoint import _index, reachable
from cnverify.snapshot import Snapshot
from cnverify.systems.istio.hosts import resolve_host
from hypothesis import given, settings
from hypothesis import strategies as st


def obj(
    kind: str, name: str, spec: dict[str, Any] | None = None, api: str = "apps/v1", ns: str = "shop", **meta: Any
) -> Any:
    cls = KIND_MODELS[(group_of(api), kind)]
    return cls.model_validate(
        {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": ns, **meta}, "spec": spec or {}}
    )


def tmpl(labels: dict[str, str], containers: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    return {"template": {"metadata": {"labels": labels}, "spec": {"containers": containers or [], **spec}}}


@pytest.mark.parametrize(
    "kind,api,name,selector,expected",
    [
        ("StatefulSet", "apps/v1", "db", {"statefulset.kubernetes.io/pod-name": "db-0"}, True),
        ("StatefulSet", "apps/v1", "db", {"statefulset.kubernetes.io/pod-name": "db-x"}, False),
        ("StatefulSet", "apps/v1", "db", {"statefulset.kubernetes.io/pod-name": "web-0"}, False),
        ("StatefulSet", "apps/v1", "db", {"apps.kubernetes.io/pod-index": "3"}, True),
        ("Job", "batch/v1", "migrate", {"job-name": "migrate"}, True),
        ("Job", "batch/v1", "migrate", {"batch.kubernetes.io/job-name": "other"}, False),
        ("Deployment", "apps/v1", "web", {"pod-template-hash": "5d8f9c7b6"}, True),
        ("Deployment", "apps/v1", "web", {"pod-template-hash": "not valid!"}, False),  # not a label value
        ("Deployment", "apps/v1", "web", {"job-name": "web"}, False),  # not set by this controller
    ],
)
def test_controller_set_labels(kind: str, api: str, name: str, selector: dict[str, str], expected: bool) -> None:
    shape = shape_of(obj(kind, name, tmpl({"app": name}), api=api))
    assert shape.may_be_selected({"app": name, **selector}) is expected


def test_cronjob_job_names_are_prefixed() -> None:
    cj = obj("CronJob", "nightly", {"jobTemplate": {"spec": tmpl({"app": "n"})}}, api="batch/v1")
    shape = shape_of(cj)
    assert shape.may_be_selected({"job-name": "nightly-28012345"})
    assert not shape.may_be_selected({"job-name": "nightly"})


def test_find_port_order_name_and_protocol() -> None:
    containers = [
        {"name": "a", "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"}]},
        {"name": "b", "ports": [{"name": "dns", "containerPort": 5353}]},
    ]
    init = [
        {"name": "plain", "ports": [{"name": "metrics", "containerPort": 1}]},
        {"name": "sidecar", "restartPolicy": "Always", "ports": [{"name": "metrics", "containerPort": 2}]},
    ]
    shape = shape_of(obj("Deployment", "web", tmpl({"app": "web"}, containers, initContainers=init)))
    assert [(c, p.container_port) for c, _, p in [resolve(shape, "dns", "TCP")]] == [("b", 5353)]  # type: ignore[misc]
    assert resolve(shape, "dns", "UDP")[2].container_port == 53  # type: ignore[index]
    assert resolve(shape, "metrics", "TCP")[2].container_port == 2  # type: ignore[index]  # sidecar, not plain init
    assert resolve(shape, "http", "TCP") is None


@pytest.mark.parametrize(
    "name,ok",
    [
        ("http", True),
        ("h2c-1", True),
        ("8080", False),
        ("-http", False),
        ("http-", False),
        ("ht--tp", False),
        ("HTTP", False),
        ("n23456789012345", True),
        ("n234567890123456", False),
    ],
)
def test_iana_port_names(name: str, ok: bool) -> None:
    assert bool(IANA_NAME.match(name)) is ok


def test_istio_host_resolution() -> None:
    svc = Service.model_validate(
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "reviews", "namespace": "prod"}}
    )
    se = ServiceEntry.model_validate(
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "ServiceEntry",
            "metadata": {"name": "ext"},
            "spec": {"hosts": ["api.example.com"]},
        }
    )
    snap = Snapshot([svc, se])
    assert resolve_host(snap, "reviews", "prod").service is svc
    assert resolve_host(snap, "reviews.prod.svc.cluster.local", "other").service is svc
    assert resolve_host(snap, "reviews", "other").service is None  # short names expand with the DR's namespace
    dotted = resolve_host(snap, "reviews.prod", "prod")
    assert dotted.service is None and dotted.fqdn == "reviews.prod"  # not expanded
    assert "ServiceEntry" in resolve_host(snap, "api.example.com", "prod").why
    assert "wildcard" in resolve_host(snap, "*.prod.svc.cluster.local", "prod").why


# The key/value index of CNV204 never misses a pair that overlaps (brute force over a small domain).
labels_st = st.dictionaries(st.sampled_from("abc"), st.sampled_from(["1", "2"]), min_size=1, max_size=3)
req_st = st.one_of(
    st.builds(
        lambda k, op, vs: {"key": k, "operator": op, "values": sorted(vs)},
        st.sampled_from("abc"),
        st.sampled_from(["In", "NotIn"]),
        st.sets(st.sampled_from(["1", "2"]), min_size=1),
    ),
    st.builds(
        lambda k, op: {"key": k, "operator": op}, st.sampled_from("abc"), st.sampled_from(["Exists", "DoesNotExist"])
    ),
)
selector_st = st.builds(
    lambda ml, me: {"matchLabels": ml, "matchExpressions": me},
    st.dictionaries(st.sampled_from("abc"), st.sampled_from(["1", "2"]), max_size=2),
    st.lists(req_st, max_size=2),
).filter(lambda s: s["matchLabels"] or s["matchExpressions"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(labels_st, selector_st), min_size=2, max_size=6))
def test_index_is_a_superset_of_overlaps(workloads: list[tuple[dict[str, str], dict[str, Any]]]) -> None:
    shapes = [
        shape_of(
            Deployment.model_validate(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": f"w{i}"},
                    "spec": {"selector": sel, **tmpl(labels)},
                }
            )
        )
        for i, (labels, sel) in enumerate(workloads)
    ]
    by_pair, by_key = _index(shapes)
    for i, j in itertools.permutations(range(len(shapes)), 2):
        sel = shapes[i].owner.selector  # type: ignore[attr-defined]
        if shapes[j].may_be_selected(sel):
            assert j in reachable(shapes, sel, by_pair, by_key)


def api_constraint(shape: Any, space: Any) -> Any:
    """``PodShape.constraint`` as the z3 API built it before the run's term cache (reference for the ids)."""
    parts = []
    for k in space.keys:
        if k in shape.labels:
            parts.append(z3.And(space.has(k), space.value(k) == z3.StringVal(shape.labels[k])))
        elif k in shape.dynamic:
            parts.append(z3.And(space.has(k), shape.dynamic_value(k, space.value(k))))
        else:
            parts.append(z3.Not(space.has(k)))
    return z3.And(parts)


SHAPE_OBJECTS = [
    ("StatefulSet", "apps/v1", "db", {}),
    ("StatefulSet", "apps/v1", "web", {}),
    ("StatefulSet", "apps/v1", "db", {"replicas": 3}),
    ("Job", "batch/v1", "migrate", {"completionMode": "Indexed", "completions": 3}),
    ("Job", "batch/v1", "migrate", {"completionMode": "Indexed", "completions": 5}),
    ("Job", "batch/v1", "other", {"manualSelector": True, "selector": {"matchLabels": {"app": "x"}}}),
    ("Deployment", "apps/v1", "web", {}),
    ("Pod", "v1", "web", {}),
]
SHAPE_KEYS = ["app", "tier", "statefulset.kubernetes.io/pod-name", "job-name", COMPLETION_INDEX, "pod-template-hash"]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(SHAPE_OBJECTS), st.sampled_from([0, 2, 5, None])), min_size=1, max_size=5),
    st.sets(st.sampled_from(SHAPE_KEYS), min_size=1),
    st.sampled_from([{"app": "web"}, {"app": "web", "tier": "a"}, {"tier": "a"}]),
)
def test_cached_constraints_are_the_api_terms(objects: list[Any], keys: set[str], labels: dict[str, str]) -> None:
    """Shapes that differ in what a constraint is built from (name, ordinals, completions) never share one."""
    terms: dict = {}  # type: ignore[type-arg]
    space = LabelSpace("pod", keys, terms)
    for (kind, api, name, spec), high in objects:
        if kind == "Pod":
            o = obj(kind, name, {"containers": []}, api=api, labels=labels)
        else:
            body = tmpl(labels, **({} if kind != "Job" else {"restartPolicy": "Never"}))
            o = obj(kind, name, {**body, **spec} if kind != "CronJob" else spec, api=api)
        shape = shape_of(o, (0, high) if kind == "StatefulSet" else (0, None))
        assert shape.constraint(space).get_id() == api_constraint(shape, LabelSpace("pod", keys)).get_id()
