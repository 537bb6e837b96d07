"""encodings/hosts: Istio short-name expansion, wildcard matching, resolution and the inventory rule."""

from __future__ import annotations

import pytest
from cnverify import loader, snapshot
from cnverify.encodings.hosts import matches, overlaps
from cnverify.systems.istio.hosts import expand, resolve, visible
from hypothesis import given, settings
from hypothesis import strategies as st

MANIFESTS = """
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: prod}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: hidden, namespace: prod, annotations: {networking.istio.io/exportTo: "."}}
spec: {ports: [{port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: prod}
spec: {hosts: ["*.eu.example.com", "db"]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: private, namespace: other}
spec: {hosts: [private.example.com], exportTo: ["."]}
"""


@pytest.fixture(scope="module")
def snap(tmp_path_factory: pytest.TempPathFactory) -> snapshot.Snapshot:
    path = tmp_path_factory.mktemp("hosts") / "m.yaml"
    path.write_text(MANIFESTS)
    s, errors = snapshot.build(loader.load([str(path)]))
    assert not errors
    return s


def test_expand() -> None:
    assert expand("reviews", "shop") == "reviews.shop.svc.cluster.local"
    assert expand("reviews.prod", "shop") == "reviews.prod"  # a dot: not expanded
    assert expand("*", "shop") == "*"
    assert expand("reviews.prod.svc.cluster.local", "shop") == "reviews.prod.svc.cluster.local"


def test_matches() -> None:
    assert matches("*.foo.com", "a.foo.com") and matches("*.foo.com", "a.b.foo.com")
    assert not matches("*.foo.com", "foo.com")
    assert matches("*", "anything") and matches("*.foo.com", "*.b.foo.com")
    assert not matches("a.foo.com", "b.foo.com") and matches("A.foo.com", "a.FOO.com")
    assert overlaps("a.foo.com", "*.foo.com") and not overlaps("*.bar.com", "*.foo.com")


def test_visible() -> None:
    assert visible(None, "a", "b") and visible(["*"], "a", "b")
    assert visible(["."], "a", "a") and not visible(["."], "a", "b")
    assert visible(["b"], "a", "b") and not visible(["~"], "a", "b")


@pytest.mark.parametrize(
    "host,ns,status",
    [
        ("reviews", "prod", "service"),
        ("reviews.prod.svc.cluster.local", "shop", "service"),
        ("reviews.prod", "shop", "missing"),  # not expanded; the Service exists under its FQDN
        ("ratings", "prod", "missing"),  # namespace prod is part of the inputs
        ("ratings.staging.svc.cluster.local", "prod", "external"),  # namespace not in the inputs
        ("api.eu.example.com", "shop", "serviceentry"),
        ("db", "prod", "serviceentry"),  # ServiceEntry short name expands in its namespace
        ("db", "shop", "external"),
        ("hidden", "prod", "service"),
        ("hidden.prod.svc.cluster.local", "shop", "missing"),  # exportTo "." hides it
        ("private.example.com", "shop", "missing"),
        ("google.com", "prod", "external"),
    ],
)
def test_resolve(snap: snapshot.Snapshot, host: str, ns: str, status: str) -> None:
    assert resolve(snap, host, ns).status == status


LABEL = st.text("abc", min_size=1, max_size=3)


@settings(max_examples=200)
@given(st.lists(LABEL, min_size=1, max_size=3), st.lists(LABEL, min_size=1, max_size=4))
def test_wildcard_against_label_oracle(suffix: list[str], host: list[str]) -> None:
    """``*.s`` covers a host iff the host has more labels than ``s`` and ends with them."""
    expected = len(host) > len(suffix) and host[-len(suffix) :] == suffix
    assert matches("*." + ".".join(suffix), ".".join(host)) == expected


def test_gateway_ref() -> None:
    from cnverify.systems.istio.hosts import gateway_ref

    assert gateway_ref("gw", "shop") == "shop/gw"
    assert gateway_ref("istio-system/gw", "shop") == "istio-system/gw"
    assert gateway_ref("mesh", "shop") == "mesh"
    assert (
        gateway_ref("knative-ingress-gateway.knative-serving.svc.cluster.local", "x")
        == "knative-serving/knative-ingress-gateway"
    )
    assert gateway_ref("gw.infra", "x") == "infra/gw"
