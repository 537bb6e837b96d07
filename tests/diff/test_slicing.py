"""The change slice: which files a diff loads, and that slicing changes no reported delta."""

from __future__ import annotations

from pathlib import Path

from cnverify.diff.gitsource import path_side
from cnverify.diff.render import to_json
from cnverify.diff.run import diff
from cnverify.diff.slicing import plan
from cnverify.engine import Options

HPA = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: {ns}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}
  minReplicas: {lo}
  maxReplicas: 3
"""
VS = """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: {name}
  namespace: {ns}
spec:
  hosts: [{host}]
  gateways: [edge/public]
  http:
    - route:
        - destination: {{host: {dest}}}
"""
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def cluster(tmp_path: Path) -> tuple[Path, Path]:
    files = {
        "shop/hpa.yaml": HPA.format(name="web", ns="shop", lo=1),
        "shop/vs.yaml": VS.format(name="web", ns="shop", host="shop.example.com", dest="web"),
        # names shop: reads it
        "front/vs.yaml": VS.format(
            name="front", ns="front", host="front.example.com", dest="web.shop.svc.cluster.local"
        ),
        # shares the routed host shop.example.com
        "promo/vs.yaml": VS.format(name="promo", ns="promo", host="shop.example.com", dest="promo"),
        "promo/hpa.yaml": HPA.format(name="promo", ns="promo", lo=0),
        "edge/gw.yaml": "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: public\n"
        "  namespace: edge\nspec:\n  servers: []\n",
        "other/hpa.yaml": HPA.format(name="api", ns="other", lo=0),
        "cluster/ns.yaml": NAMESPACE.format(ns="unrelated"),
    }
    old, new = tmp_path / "old", tmp_path / "new"
    write(old, files)
    write(new, {**files, "shop/hpa.yaml": HPA.format(name="web", ns="shop", lo=5)})
    return old, new


def test_slice_follows_references_hosts_and_cluster_scope(tmp_path: Path) -> None:
    old, new = cluster(tmp_path)
    p = plan(path_side(str(old), "old"), path_side(str(new), "new"))
    assert p.subjects == {"shop", "front", "promo"}
    # subjects, what they name (edge: the gateway), cluster-scoped files; not the unrelated namespace
    assert p.keys == {
        "shop/hpa.yaml",
        "shop/vs.yaml",
        "front/vs.yaml",
        "promo/vs.yaml",
        "promo/hpa.yaml",
        "edge/gw.yaml",
        "cluster/ns.yaml",
    }


def test_no_change_loads_nothing(tmp_path: Path) -> None:
    old, _ = cluster(tmp_path)
    p = plan(path_side(str(old), "old"), path_side(str(old), "new"))
    assert p.keys == set() and p.reason == "no file changed"


def test_sliced_and_full_diffs_agree_on_the_slice(tmp_path: Path) -> None:
    old, new = cluster(tmp_path)
    o, n = path_side(str(old), "old"), path_side(str(new), "new")
    opts = Options(select=["CNV401"])
    sliced, full = to_json(diff(o, n, opts, plan(o, n))), to_json(diff(o, n, opts))

    def brief(j: dict) -> list:
        return [(d["change"], (d["new"] or d["old"])["subject"]["name"]) for d in j["invariants"]]

    # the full run also lists other/api, still violated and outside the change's reach
    assert brief(sliced) == [("new-violation", "web"), ("still-violated", "promo")]
    assert brief(full) == [("new-violation", "web"), ("still-violated", "api"), ("still-violated", "promo")]
    assert sliced["capacity"] == full["capacity"]


def test_a_route_without_hostnames_links_every_routed_namespace(tmp_path: Path) -> None:
    old, new = cluster(tmp_path)
    route = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: catchall\n"
        "  namespace: misc\nspec:\n  parentRefs: [{name: public, namespace: edge}]\n"
        "  rules: [{backendRefs: [{name: fallback, port: 80}]}]\n"
    )
    for root in (old, new):
        write(root, {"misc/route.yaml": route})
    p = plan(path_side(str(old), "old"), path_side(str(new), "new"))
    # (the route's parentRef "namespace: edge" also counts it in edge: the scan over-approximates)
    assert p.subjects == {"shop", "front", "promo", "misc", "edge"}


def test_a_changed_cluster_scoped_object_rechecks_everything(tmp_path: Path) -> None:
    old, new = cluster(tmp_path)
    write(new, {"cluster/ns.yaml": NAMESPACE.format(ns="unrelated") + "  labels: {team: a}\n"})
    p = plan(path_side(str(old), "old"), path_side(str(new), "new"))
    assert p.keys is None and p.reason.startswith("a cluster-scoped object changed")


def test_a_cluster_scoped_change_beside_a_namespaced_one_hides_nothing(tmp_path: Path) -> None:
    """Regression: the slice of a change that also touches a Namespace kept no subject, so every
    namespaced finding was dropped ("no change", exit 0) while ``--full`` reported them."""
    old, new = cluster(tmp_path)
    write(new, {"cluster/ns.yaml": NAMESPACE.format(ns="unrelated") + "  labels: {team: a}\n"})
    o, n = path_side(str(old), "old"), path_side(str(new), "new")
    opts = Options(select=["CNV401"])
    p = plan(o, n)
    assert p.keys is None and p.subjects is None
    sliced, full = to_json(diff(o, n, opts, p)), to_json(diff(o, n, opts))
    changes = [(d["change"], (d["new"] or d["old"])["subject"]["name"]) for d in sliced["invariants"]]
    assert ("new-violation", "web") in changes
    assert sliced["invariants"] == full["invariants"] and sliced["capacity"] == full["capacity"]
