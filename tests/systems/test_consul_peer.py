"""The consul-k8s acceptance fixtures (../shared/corpus/hashicorp__consul-k8s, its SOURCES.md entry) as a peer suite.

consul-k8s's acceptance tests apply these CRDs and expect every one to sync (``Synced=True``): Consul accepts each
entry. cnverify must agree: no input error and no violated verdict on any config entry. What it cannot decide is
pinned with its reason: the services the entries route to have no Kubernetes Service in the fixtures (they are
registered elsewhere in the acceptance cluster).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cnverify.engine import Options, prove

CORPUS = Path(os.environ.get("CNVERIFY_CORPUS", Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"))
CONSUL_K8S = CORPUS / "hashicorp__consul-k8s" / "acceptance" / "tests" / "fixtures" / "bases"
EXPECTED = {
    ("CNV102", "proved", "ServiceRouter", "router", 14),  # ServiceDefaults router: http permits routing
    ("CNV101", "proved", "ServiceRouter", "router", 17),  # its one route is reachable
    ("CNV102", "unknown", "ServiceRouter", "router", 17),  # service router: no Kubernetes Service in the fixtures
    ("CNV102", "proved", "ServiceSplitter", "splitter", 21),  # ServiceDefaults splitter: http permits splitting
    ("CNV103", "proved", "ServiceSplitter", "splitter", 23),  # weight 100: both rules hold
    ("CNV102", "unknown", "ServiceSplitter", "splitter", 24),  # service splitter: no Kubernetes Service
    ("CNV102", "unknown", "ServiceResolver", "resolver", 9),  # redirect to bar: no Kubernetes Service bar
    ("CNV102", "unknown", "ServiceResolver", "resolver-redirect", 9),  # redirect to static-server: idem
}


@pytest.mark.skipif(not CONSUL_K8S.is_dir(), reason="peer corpus not present")
def test_consul_k8s_fixtures_are_accepted() -> None:
    report = prove([str(CONSUL_K8S)], Options(select=["CNV101", "CNV102", "CNV103", "CNV104", "CNV105"]))
    assert report.errors == []
    found = {
        (f.property, f.status, f.subject["kind"], f.subject["name"], f.location.line)
        for f in report.results
        if f.subject["apiVersion"].startswith("consul.hashicorp.com/")
    }
    assert found == EXPECTED
