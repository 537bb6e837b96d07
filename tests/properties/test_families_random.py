"""Random small manifests per family, cnverify's verdict against a brute-force evaluator of the real semantics.

Each Hypothesis example builds ``PER_RUN`` independent namespaces and proves them in one run, so every
family checks ``EXAMPLES * PER_RUN`` (≥ 500) cases. The evaluators enumerate the state space (replica
counts, rollout surges, pods and their labels) and are written from the Kubernetes and Istio sources, not
from cnverify's encodings:

- capacity: ``pkg/quota/v1/evaluator/core`` (pods.go, services.go, persistent_volume_claims.go, the generic
  object count), deployment ``ResolveFenceposts`` (maxSurge percentages round up), StatefulSet claims per
  ordinal; a key that cannot be determined (a claim without a class for a class key, an uncounted
  resource) leaves the verdict unknown unless a determinable key is exceeded;
- selectors: the pods each controller runs (StatefulSet ``getPodName`` ``%s-%d`` over ordinals
  ``[start, start + replicas)``, ``apps.kubernetes.io/pod-index``; a Deployment's ``pod-template-hash`` is a
  hash of the template: a selector that needs a particular value is undecidable), label selection as
  ``labels.SelectorFromSet``;
- scaling: the disruption controller (``disruption.go`` ``getExpectedPodCount``/``updatePdbStatus``:
  percentages round up, an integer minAvailable counts pods, nothing allowed with an expected count of 0).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from typing import Any

import yaml
from cnverify.engine import Options, prove
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES, PER_RUN = 20, 25
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
GI = 2**30


def check_family(
    code: str,
    cases: list[dict[str, Any]],
    docs_of: Callable[[str, dict[str, Any]], list[dict[str, Any]]],
    truth: Callable[[dict[str, Any]], str],
    shared: tuple[dict[str, Any], ...] = (),
) -> None:
    """Prove every case (namespace ``n<i>``, plus ``shared`` cluster objects) in one run; each verdict must be
    the evaluator's."""
    got = run(code, [*shared, *(d for i, case in enumerate(cases) for d in docs_of(f"n{i}", case))])
    for i, case in enumerate(cases):
        status, message = got[f"n{i}"]
        assert status == truth(case), (case, message)


def run(code: str, docs: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """``{namespace: (status, message)}`` of ``code``'s findings."""
    report = prove(["-"], Options(select=[code]), stdin=io.StringIO(yaml.safe_dump_all(docs)))
    assert not report.errors, [str(e) for e in report.errors]
    out: dict[str, tuple[str, str]] = {}
    for f in report.results:
        if f.property == code:
            assert f.subject["namespace"] not in out, "one finding per namespace"
            out[f.subject["namespace"]] = (f.status, f.message)
    return out


def meta(name: str, ns: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": ns, **extra}


def reachable(replicas: int, hpa: tuple[int, int] | None) -> range:
    """spec.replicas, else the HPA range; an HPA on a target at replicas 0 is disabled
    (docs/SEMANTICS.md#hpa-replica-range)."""
    if hpa is None:
        return range(replicas, replicas + 1)
    return range(0, 1) if replicas == 0 else range(hpa[0], hpa[1] + 1)


def hpa_doc(ns: str, kind: str, name: str, lo: int, hi: int) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(name, ns),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": name},
            "minReplicas": lo,
            "maxReplicas": hi,
        },
    }


def workload_doc(
    kind: str,
    ns: str,
    name: str,
    replicas: int,
    labels: dict[str, str],
    *,
    cpu: int = 100,
    strategy: dict[str, Any] | None = None,
    claim: tuple[int, str | None] | None = None,
    start: int = 0,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": {"w": name}},
        "template": {
            "metadata": {"labels": {"w": name, **labels}},
            "spec": {"containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": f"{cpu}m"}}}]},
        },
    }
    if strategy is not None:
        spec["strategy"] = strategy
    if claim is not None:
        body: dict[str, Any] = {"resources": {"requests": {"storage": f"{claim[0]}Gi"}}}
        if claim[1]:
            body["storageClassName"] = claim[1]
        spec["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": body}]
    if start:
        spec["ordinals"] = {"start": start}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta(name, ns), "spec": spec}


# ---------------------------------------------------------------- capacity (CNV302)

QUOTA_KEYS = {  # key -> (values it may take, unit)
    "requests.cpu": (range(0, 21), 100),
    "pods": (range(0, 9), 1),
    "count/pods": (range(0, 9), 1),
    "services.nodeports": (range(0, 7), 1),
    "services.loadbalancers": (range(0, 3), 1),
    "requests.storage": (range(0, 13), GI),
    "persistentvolumeclaims": (range(0, 7), 1),
    "configmaps": (range(0, 5), 1),
    "secrets": (range(0, 4), 1),
    "gold.storageclass.storage.k8s.io/requests.storage": (range(0, 11), GI),
    "count/widgets.example.com": (range(0, 3), 1),
}
surge_st = st.one_of(st.none(), st.integers(0, 2), st.sampled_from(["25%", "50%", "100%"]))
hpa_st = st.one_of(st.none(), st.tuples(st.integers(1, 2), st.integers(0, 2)).map(lambda t: (t[0], t[0] + t[1])))
dep_st = st.fixed_dictionaries(
    {
        "kind": st.just("Deployment"),
        "replicas": st.integers(0, 3),
        "cpu": st.integers(1, 5).map(lambda c: c * 100),
        "surge": surge_st,
        "hpa": hpa_st,
        "runtime": st.sampled_from([None, "gvisor", "gvisor", "kata"]),
        "dump": st.booleans(),
    }
)
RUNTIME_CLASS = {
    "apiVersion": "node.k8s.io/v1",
    "kind": "RuntimeClass",
    "metadata": {"name": "gvisor"},
    "handler": "runsc",
    "overhead": {"podFixed": {"cpu": "100m"}},
}  # kata: not in the inputs
sts_st = st.fixed_dictionaries(
    {
        "kind": st.just("StatefulSet"),
        "replicas": st.integers(0, 3),
        "cpu": st.integers(1, 5).map(lambda c: c * 100),
        "hpa": hpa_st,
        "claim": st.tuples(st.integers(1, 3), st.sampled_from([None, "gold", "std"])),
    }
)
svc_st = st.tuples(st.sampled_from(["ClusterIP", "NodePort", "LoadBalancer"]), st.integers(1, 3), st.booleans())
capacity_st = st.fixed_dictionaries(
    {
        "workloads": st.lists(st.one_of(dep_st, sts_st), min_size=1, max_size=2),
        "services": st.lists(svc_st, max_size=2),
        "pvcs": st.lists(st.tuples(st.integers(1, 2), st.sampled_from([None, "gold"])), max_size=1),
        "configmaps": st.integers(0, 2),
        "secrets": st.integers(0, 2),
        # requests.cpu weighted up: it is where surges, HPA ranges and RuntimeClass overhead interact
        "hard": st.dictionaries(
            st.sampled_from(sorted(QUOTA_KEYS) + ["requests.cpu"] * 6), st.integers(0, 20), min_size=1, max_size=3
        ),
    }
)


def capacity_docs(ns: str, case: dict[str, Any]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for i, w in enumerate(case["workloads"]):
        name = f"w{i}"
        if w["kind"] == "Deployment":
            s = w["surge"]
            strategy = (
                {"type": "Recreate"}
                if s is None
                else {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": s, "maxUnavailable": 1}}
            )
            dep = workload_doc("Deployment", ns, name, w["replicas"], {}, cpu=w["cpu"], strategy=strategy)
            if w["runtime"]:
                dep["spec"]["template"]["spec"]["runtimeClassName"] = w["runtime"]
            docs.append(dep)
            if w["dump"]:  # kubectl get -o yaml: its ReplicaSet and a Pod, owned, listed too
                rs = workload_doc("ReplicaSet", ns, f"{name}-5d8f", w["replicas"], {}, cpu=w["cpu"])
                rs["metadata"]["ownerReferences"] = [
                    {"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": "1", "controller": True}
                ]
                pod = {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": meta(
                        f"{name}-5d8f-x",
                        ns,
                        ownerReferences=[
                            {
                                "apiVersion": "apps/v1",
                                "kind": "ReplicaSet",
                                "name": f"{name}-5d8f",
                                "uid": "2",
                                "controller": True,
                            }
                        ],
                    ),
                    "spec": rs["spec"]["template"]["spec"],
                }
                docs += [rs, pod]
        else:
            docs.append(workload_doc("StatefulSet", ns, name, w["replicas"], {}, cpu=w["cpu"], claim=w["claim"]))
        if w["hpa"]:
            docs.append(hpa_doc(ns, w["kind"], name, *w["hpa"]))
    for i, (typ, ports, alloc) in enumerate(case["services"]):
        spec: dict[str, Any] = {
            "type": typ,
            "selector": {"w": "w0"},
            "ports": [{"name": f"p{j}", "port": 80 + j} for j in range(ports)],
        }
        if typ == "LoadBalancer" and not alloc:
            spec["allocateLoadBalancerNodePorts"] = False
            spec["ports"][0]["nodePort"] = 30000 + i
        docs.append({"apiVersion": "v1", "kind": "Service", "metadata": meta(f"s{i}", ns), "spec": spec})
    for i, (size, cls) in enumerate(case["pvcs"]):
        body: dict[str, Any] = {"resources": {"requests": {"storage": f"{size}Gi"}}}
        if cls:
            body["storageClassName"] = cls
        docs.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta(f"c{i}", ns), "spec": body})
    docs += [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(f"cm{i}", ns)} for i in range(case["configmaps"])
    ]
    docs += [{"apiVersion": "v1", "kind": "Secret", "metadata": meta(f"sec{i}", ns)} for i in range(case["secrets"])]
    hard = {k: _quantity(k, min(v, max(QUOTA_KEYS[k][0]))) for k, v in case["hard"].items()}
    docs.append({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": meta("q", ns), "spec": {"hard": hard}})
    return docs


def _quantity(key: str, v: int) -> str:
    unit = QUOTA_KEYS[key][1]
    return f"{v * 100}m" if unit == 100 else f"{v}Gi" if unit == GI else str(v)


def _hard_value(key: str, v: int) -> float:
    unit = QUOTA_KEYS[key][1]
    v = min(v, max(QUOTA_KEYS[key][0]))
    return v * 100 if unit == 100 else v * GI if unit == GI else v


def capacity_truth(case: dict[str, Any]) -> str:
    """Brute force over replica counts and rollout surges; undeterminable keys use their lower bound."""
    ws = case["workloads"]
    ranges = [reachable(w["replicas"], w["hpa"]) for w in ws]
    undetermined = {"count/widgets.example.com"}  # a resource cnverify cannot count
    if any(w.get("runtime") == "kata" for w in ws):
        undetermined.add("requests.cpu")  # RuntimeClass kata is not in the inputs: its overhead is unknown
    gold_claims = [c for c in case["pvcs"] if c[1] == "gold"]
    if any(c[1] is None for c in case["pvcs"]) or any(w["kind"] == "StatefulSet" and w["claim"][1] is None for w in ws):
        undetermined.add("gold.storageclass.storage.k8s.io/requests.storage")  # DefaultStorageClass picks it
    lb = sum(1 for t, _, _ in case["services"] if t == "LoadBalancer")
    node_ports = sum(
        p if t == "NodePort" or (t == "LoadBalancer" and alloc) else 1 if t == "LoadBalancer" else 0
        for t, p, alloc in case["services"]
    )
    exceeded = False
    for counts in itertools.product(*ranges):
        for rolling in itertools.product((False, True), repeat=len(ws)):
            pods = cpu = claims = storage = gold = 0
            for w, n, roll in zip(ws, counts, rolling, strict=True):
                extra = 0
                if w["kind"] == "Deployment" and roll and w["surge"] is not None:
                    s = w["surge"]
                    extra = -(-int(s[:-1]) * n // 100) if isinstance(s, str) else s
                pods += n + extra
                cpu += (n + extra) * (w["cpu"] + (100 if w.get("runtime") == "gvisor" else 0))  # overhead.podFixed
                if w["kind"] == "StatefulSet":
                    size, cls = w["claim"]
                    claims += n
                    storage += n * size * GI
                    gold += n * size * GI if cls == "gold" else 0
            claims += len(case["pvcs"])
            storage += sum(size * GI for size, _ in case["pvcs"])
            gold += sum(size * GI for size, _ in gold_claims)
            usage = {
                "requests.cpu": cpu,
                "pods": pods,
                "count/pods": pods,
                "services.nodeports": node_ports,
                "services.loadbalancers": lb,
                "requests.storage": storage,
                "persistentvolumeclaims": claims,
                "configmaps": case["configmaps"] + 1,  # + kube-root-ca.crt, published in every namespace
                "secrets": case["secrets"],
                "gold.storageclass.storage.k8s.io/requests.storage": gold,
                "count/widgets.example.com": 0,
            }
            exceeded |= any(usage[k] > _hard_value(k, v) for k, v in case["hard"].items())
    if exceeded:
        return "violated"
    return "unknown" if undetermined & set(case["hard"]) else "proved"


@SETTINGS
@given(st.lists(capacity_st, min_size=PER_RUN, max_size=PER_RUN))
def test_capacity_family(cases: list[dict[str, Any]]) -> None:
    check_family("CNV302", cases, capacity_docs, capacity_truth, (RUNTIME_CLASS,))


# ---------------------------------------------------------------- selectors (CNV202)

POD_NAME, POD_INDEX, HASH = "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index", "pod-template-hash"
selector_st = st.one_of(
    st.fixed_dictionaries({POD_NAME: st.sampled_from(["s-0", "s-1", "s-2", "s-3", "s-4", "s-5", "s-01"])}),
    st.fixed_dictionaries({"app": st.sampled_from(["a", "b"]), POD_INDEX: st.sampled_from(["0", "2", "4", "5", "02"])}),
    st.fixed_dictionaries({"app": st.sampled_from(["a", "b", "c"])}),
    st.fixed_dictionaries({"app": st.sampled_from(["a", "b"]), HASH: st.just("5d8f9c")}),
)
selectors_st = st.fixed_dictionaries(
    {
        "sts": st.tuples(st.integers(1, 3), st.sampled_from([0, 2]), hpa_st, st.sampled_from(["a", "b"])),
        "dep": st.one_of(st.none(), st.sampled_from(["a", "b"])),
        "selector": selector_st,
    }
)


def selectors_docs(ns: str, case: dict[str, Any]) -> list[dict[str, Any]]:
    replicas, start, hpa, app = case["sts"]
    docs = [workload_doc("StatefulSet", ns, "s", replicas, {"app": app}, start=start)]
    if hpa:
        docs.append(hpa_doc(ns, "StatefulSet", "s", *hpa))
    if case["dep"]:
        docs.append(workload_doc("Deployment", ns, "d", 1, {"app": case["dep"]}))
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta("svc", ns),
            "spec": {"selector": case["selector"], "ports": [{"port": 80}]},
        }
    )
    return docs


def selectors_truth(case: dict[str, Any]) -> str:
    """Every pod the namespace can run: the StatefulSet's ordinals, the Deployment's pods with an unknown hash."""
    replicas, start, hpa, app = case["sts"]
    top = max(reachable(replicas, hpa))
    pods = [{"w": "s", "app": app, POD_NAME: f"s-{i}", POD_INDEX: str(i)} for i in range(start, start + top)]
    sel = case["selector"]
    if any(all(p.get(k) == v for k, v in sel.items()) for p in pods):
        return "proved"
    if case["dep"]:
        pod = {"w": "d", "app": case["dep"]}
        if all(pod.get(k) == v for k, v in sel.items() if k != HASH):
            return "unknown" if HASH in sel else "proved"
    return "violated"


@SETTINGS
@given(st.lists(selectors_st, min_size=PER_RUN, max_size=PER_RUN))
def test_selectors_family(cases: list[dict[str, Any]]) -> None:
    check_family("CNV202", cases, selectors_docs, selectors_truth)


# ---------------------------------------------------------------- scaling (CNV404)

budget_st = st.one_of(
    st.tuples(st.just("minAvailable"), st.integers(0, 5)),
    st.tuples(st.just("minAvailable"), st.integers(0, 100).map(lambda p: f"{p}%")),
    st.tuples(st.just("maxUnavailable"), st.integers(0, 3)),
    st.tuples(st.just("maxUnavailable"), st.integers(0, 100).map(lambda p: f"{p}%")),
    st.just(("none", None)),
)
scaling_st = st.fixed_dictionaries(
    {
        "workloads": st.lists(
            st.tuples(st.sampled_from(["Deployment", "StatefulSet"]), st.integers(0, 4), hpa_st), min_size=1, max_size=2
        ),
        "budget": budget_st,
    }
)


def scaling_docs(ns: str, case: dict[str, Any]) -> list[dict[str, Any]]:
    docs = []
    for i, (kind, replicas, hpa) in enumerate(case["workloads"]):
        docs.append(workload_doc(kind, ns, f"w{i}", replicas, {"app": "x"}))
        if hpa:
            docs.append(hpa_doc(ns, kind, f"w{i}", *hpa))
    fld, raw = case["budget"]
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": "x"}}}
    if fld != "none":
        spec[fld] = raw
    docs.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta("p", ns), "spec": spec})
    return docs


def disruptions_allowed(fld: str, raw: Any, pods: int) -> int:
    """updatePdbStatus with every pod healthy and the expected count the controllers' scale (= pods)."""
    percent = isinstance(raw, str)
    scaled = (lambda n: -(-int(raw[:-1]) * n // 100)) if percent else (lambda n: raw)
    if fld == "maxUnavailable":
        expected, desired = pods, max(0, pods - scaled(pods))
    elif fld == "minAvailable":
        expected, desired = pods, scaled(pods)
    else:
        expected, desired = 0, 0
    allowed = pods - desired
    return 0 if expected <= 0 or allowed <= 0 else allowed


def scaling_truth(case: dict[str, Any]) -> str:
    ranges = [reachable(r, h) for _, r, h in case["workloads"]]
    fld, raw = case["budget"]
    blocked = any(sum(c) >= 1 and disruptions_allowed(fld, raw, sum(c)) == 0 for c in itertools.product(*ranges))
    return "violated" if blocked else "proved"


@SETTINGS
@given(st.lists(scaling_st, min_size=PER_RUN, max_size=PER_RUN))
def test_scaling_family(cases: list[dict[str, Any]]) -> None:
    check_family("CNV404", cases, scaling_docs, scaling_truth)
