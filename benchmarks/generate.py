"""Write a synthetic cluster of exactly N objects for benchmarks.

``python benchmarks/generate.py --objects 10000 --out /tmp/cluster-10k``

Layout: ``OUT/<namespace>/_policy.yaml`` (ResourceQuota, LimitRange) and one multi-document file
per app, ``OUT/<namespace>/<app>.yaml`` (Deployment, Service, HorizontalPodAutoscaler,
PodDisruptionBudget, Istio VirtualService and DestinationRule). Shapes follow real manifests
(probes, named ports, quantities in several spellings, weighted canary splits); about 3% of the
apps carry one deliberate defect (request > limit, HPA min > max, weights not summing to 100,
HPA target typo, Service selector typo, PDB that blocks every disruption, DestinationRule subset
matching no pod). The output is a pure function of ``--objects``, ``--seed`` and ``--routing``;
``OUT/GENERATED`` records them so ``run.py`` can reuse a folder.

``--routing K`` writes a routing-heavy cluster instead: per namespace an Istio Gateway and a Gateway API
Gateway (``OUT/<namespace>/_gateways.yaml``), per app a Deployment, a Service, and K VirtualServices
bound to the Istio Gateway plus K HTTPRoutes attached to the Gateway API one, all for the app's one
host, each on its own path prefix (Istio merges gateway-bound VirtualServices of one host; HTTPRoutes
of one hostname merge by precedence).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import yaml

APP_KINDS = 6  # Deployment, Service, HPA, PDB, VirtualService, DestinationRule
APPS_PER_NAMESPACE = 8
DEFECT_RATE = 0.03
DEFECTS = (
    "request-above-limit",
    "hpa-min-above-max",
    "weights-not-100",
    "hpa-target-typo",
    "service-selector-typo",
    "pdb-blocks-disruption",
    "subset-matches-nothing",
)
CPU = ("100m", "250m", "500m", "1", "1500m", 2)
MEMORY = ("128Mi", "256Mi", "512Mi", "1Gi", "1.5Gi", "2G")
WORDS = (
    "cart",
    "checkout",
    "search",
    "users",
    "orders",
    "billing",
    "catalog",
    "auth",
    "media",
    "reviews",
    "ratings",
    "inventory",
    "shipping",
    "payments",
    "email",
    "ads",
)


def namespace_policy(ns: str, apps: int, rng: random.Random) -> list[dict]:
    """ResourceQuota and LimitRange of one namespace; the quota holds ``apps`` clean apps at their
    worst (HPA maximum 13 plus 25% surge = 17 pods of at most 1500m / 1.5Gi requested, 2 / 2G limit)."""
    pods = 17 * apps
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "compute", "namespace": ns},
        "spec": {
            "hard": {
                "requests.cpu": str(26 * apps + rng.choice((0, 4))),
                "requests.memory": f"{26 * apps}Gi",
                "limits.cpu": str(34 * apps),
                "limits.memory": f"{34 * apps}Gi",
                "pods": str(pods),
            }
        },
    }
    limits = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "defaults", "namespace": ns},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "512Mi"},
                    "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                    "max": {"cpu": "8", "memory": "16Gi"},
                    "min": {"cpu": "10m", "memory": "16Mi"},
                }
            ]
        },
    }
    return [quota, limits]


def app_objects(ns: str, app: str, rng: random.Random, defect: str | None) -> list[dict]:
    """The six objects of one app, with ``defect`` planted when given (without one, every property
    proves: tests/engine/test_benchmarks.py)."""
    labels = {"app": app, "tier": rng.choice(("web", "api", "worker"))}
    meta = {"name": app, "namespace": ns, "labels": dict(labels)}
    cpu_i = rng.randrange(len(CPU) - 1)
    mem_i = rng.randrange(len(MEMORY) - 1)
    requests = {"cpu": CPU[cpu_i], "memory": MEMORY[mem_i]}
    limits = {"cpu": CPU[rng.randrange(cpu_i, len(CPU))], "memory": MEMORY[rng.randrange(mem_i, len(MEMORY))]}
    if defect == "request-above-limit":
        requests, limits = {"cpu": "2", "memory": "2Gi"}, {"cpu": "1", "memory": "1Gi"}
    port = rng.choice((8080, 8000, 9090, 3000))
    container = {
        "name": app,
        "image": f"registry.example.com/{ns}/{app}:1.{rng.randrange(40)}.{rng.randrange(9)}",
        "ports": [{"name": "http", "containerPort": port}, {"name": "metrics", "containerPort": 9102}],
        "env": [
            {"name": "LOG_LEVEL", "value": rng.choice(("info", "debug", "warn"))},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ],
        "resources": {"requests": requests, "limits": limits},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
        "livenessProbe": {"tcpSocket": {"port": port}, "initialDelaySeconds": 15},
    }
    replicas = rng.choice((2, 3, 4))  # >= 2 so the PDB below allows a disruption
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {"metadata": {"labels": {**labels, "version": "v1"}}, "spec": {"containers": [container]}},
        },
    }
    selector = {"app": app + ("-typo" if defect == "service-selector-typo" else "")}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }
    lo = rng.choice((2, 3))
    hi = lo + rng.choice((2, 5, 10))
    if defect == "hpa-min-above-max":
        lo, hi = hi, lo
    target = app + ("-v2" if defect == "hpa-target-typo" else "")
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta,
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": lo,
            "maxReplicas": hi,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
    }
    pdb_spec: dict = {"selector": {"matchLabels": {"app": app}}}
    if defect == "pdb-blocks-disruption":
        pdb_spec["maxUnavailable"] = 0
    else:
        pdb_spec["minAvailable"] = rng.choice((1, "50%"))
    pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta, "spec": pdb_spec}
    canary = rng.choice((0, 5, 10, 20))
    stable = 100 - canary + (10 if defect == "weights-not-100" else 0)
    host = f"{app}.{ns}.svc.cluster.local"
    split = [{"destination": {"host": app, "subset": "v1"}, "weight": stable}]
    if canary or defect == "weights-not-100":
        split.append({"destination": {"host": app, "subset": "v2"}, "weight": canary})
    vs = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": meta,
        "spec": {
            "hosts": [app, host],
            "http": [
                {
                    "name": "api",
                    "match": [{"uri": {"prefix": f"/{app}/api/"}}],
                    "route": split,
                    "timeout": "5s",
                    "retries": {"attempts": 3, "perTryTimeout": "2s"},
                },
                {"name": "default", "route": [{"destination": {"host": app, "subset": "v1"}}]},
            ],
        },
    }
    v2_labels = {"version": "v3" if defect == "subset-matches-nothing" else "v1"}
    dr = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": meta,
        "spec": {
            "host": app,
            "trafficPolicy": {"connectionPool": {"http": {"http1MaxPendingRequests": 100}}},
            "subsets": [{"name": "v1", "labels": {"version": "v1"}}, {"name": "v2", "labels": v2_labels}],
        },
    }
    return [deployment, service, hpa, pdb, vs, dr]


def gateways(ns: str) -> list[dict]:
    """The Istio Gateway and the Gateway API Gateway of one namespace (every ``*.NS.example.com`` host)."""
    hosts = f"*.{ns}.example.com"
    istio = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": [hosts]}],
        },
    }
    gateway_api = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {
            "gatewayClassName": "istio",
            "listeners": [
                {
                    "name": "http",
                    "port": 80,
                    "protocol": "HTTP",
                    "hostname": hosts,
                    "allowedRoutes": {"namespaces": {"from": "Same"}},
                }
            ],
        },
    }
    return [istio, gateway_api]


def routing_app(ns: str, app: str, rng: random.Random, routes: int) -> list[dict]:
    """One app's Deployment and Service, then ``routes`` VirtualServices and ``routes`` HTTPRoutes for its host."""
    deployment, service = app_objects(ns, app, rng, None)[:2]
    host = f"{app}.{ns}.example.com"
    out = [deployment, service]
    for r in range(routes):
        prefix = f"/{app}/r{r}/"
        out.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "VirtualService",
                "metadata": {"name": f"{app}-r{r}", "namespace": ns},
                "spec": {
                    "hosts": [host],
                    "gateways": ["web"],
                    "http": [
                        {
                            "match": [{"uri": {"prefix": prefix}}],
                            "route": [{"destination": {"host": app, "port": {"number": 80}}}],
                        }
                    ],
                },
            }
        )
        out.append(
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "HTTPRoute",
                "metadata": {"name": f"{app}-r{r}", "namespace": ns},
                "spec": {
                    "parentRefs": [{"name": "web"}],
                    "hostnames": [host],
                    "rules": [
                        {
                            "matches": [{"path": {"type": "PathPrefix", "value": prefix}}],
                            "backendRefs": [{"name": app, "port": 80}],
                        }
                    ],
                },
            }
        )
    return out


def cluster(objects: int, seed: int, routing: int = 0) -> Iterator[tuple[str, list[dict]]]:
    """``(relative file path, documents)`` until exactly ``objects`` objects are written; ``routing`` > 0:
    the routing-heavy cluster with that many VirtualServices and HTTPRoutes per host."""
    rng = random.Random(seed)
    left, n = objects, 0
    while left > 0:
        ns = f"{rng.choice(WORDS)}-{n:04d}"
        n += 1
        shared = gateways(ns) if routing else namespace_policy(ns, APPS_PER_NAMESPACE, rng)
        shared = shared[:left]
        left -= len(shared)
        yield f"{ns}/{'_gateways' if routing else '_policy'}.yaml", shared
        for a in range(APPS_PER_NAMESPACE):
            if left <= 0:
                break
            if routing:
                docs = routing_app(ns, f"{rng.choice(WORDS)}-{a}", rng, routing)[:left]
            else:
                defect = rng.choice(DEFECTS) if rng.random() < DEFECT_RATE else None
                docs = app_objects(ns, f"{rng.choice(WORDS)}-{a}", rng, defect)[:left]
            left -= len(docs)
            yield f"{ns}/{docs[0]['metadata']['name']}.yaml", docs


def marker(objects: int, seed: int, routing: int = 0) -> str:
    """The stamp of a generated folder: its parameters and this generator's own hash."""
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return f"objects={objects} seed={seed}{f' routing={routing}' if routing else ''} generator={digest}\n"


def write(objects: int, out: Path, seed: int = 7, routing: int = 0) -> Path:
    """Write the cluster under ``out`` (replacing it) unless ``out/GENERATED`` says it is already there."""
    stamp = out / "GENERATED"
    if stamp.is_file() and stamp.read_text() == marker(objects, seed, routing):
        return out
    if out.exists():
        shutil.rmtree(out)
    for rel, docs in cluster(objects, seed, routing):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=False))
    stamp.write_text(marker(objects, seed, routing))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, required=True, help="number of objects (e.g. 1000, 10000, 50000)")
    ap.add_argument("--out", type=Path, required=True, help="output folder (replaced)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--routing",
        type=int,
        default=0,
        metavar="K",
        help="routing-heavy: K VirtualServices and K HTTPRoutes per host (default: the mixed cluster)",
    )
    args = ap.parse_args()
    write(args.objects, args.out, args.seed, args.routing)
    print(f"wrote {args.objects} objects to {args.out}")


if __name__ == "__main__":
    main()
