"""Contour's HTTPProxy examples (../shared/corpus/projectcontour__contour, its SOURCES.md entry) as a peer suite.

The examples are applied on top of ``00-common`` (namespaces, the kuard Deployments and the Services s1, s2, …),
one example at a time, as their README does. Contour's documented outcome for each (its status conditions,
``internal/dag/httpproxy_processor.go``): every HTTPProxy is valid and every route is programmed, except

* ``httpproxy-response-timeout.yaml`` is written as ``projectcontour.io/v1alpha1``, a version the HTTPProxy CRD
  does not serve (``examples/contour/01-crds.yaml`` lists only ``v1``): the API server rejects it (an input error);
* the examples that name a Service ``00-common`` does not define (httpbin, s3, chat-app, blog): Contour sets
  ``ServiceUnresolvedReference`` and leaves the service out of the route (503): CNV102 violated for exactly those.

cnverify must agree: every route reachable (CNV101), every virtual host and include accepted (CNV102), the weights
as written (10/90), and no other violation.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from cnverify.engine import Options, prove

CORPUS = Path(os.environ.get("CNVERIFY_CORPUS", Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"))
EXAMPLES = CORPUS / "projectcontour__contour" / "examples" / "example-workload" / "httpproxy"
CODES = ["CNV101", "CNV102", "CNV103", "CNV104", "CNV105", "CNV106"]
UNRESOLVED = {  # (example, HTTPProxy, service path): a Service 00-common does not define
    ("httpproxy-lb-request-hash.yaml", "lb-request-hash", "spec.routes[0].services[0]"),  # httpbin
    ("httpproxy-sticky-sessions.yaml", "httpbin", "spec.routes[0].services[0]"),  # httpbin
    ("httpproxy-multiple-headers.yaml", "multiple-paths", "spec.routes[2].services[0]"),  # s3
    ("httpproxy-websockets.yaml", "chat", "spec.routes[0].services[0]"),  # chat-app
    ("httpproxy-websockets.yaml", "chat", "spec.routes[1].services[0]"),  # chat-app
    ("httpproxy-inclusion-samenamespace.yaml", "service2", "spec.routes[1].services[0]"),  # blog
}
SPLITS = {  # CNV103 messages: equal when no weight is set, else as written
    ("httpproxy-header-rewrite.yaml", "split: s1:80 50%, s2:80 50%"),
    ("httpproxy-health-checks.yaml", "split: s1-health:80 50%, s2-health:80 50%"),
    ("httpproxy-lb-strategy.yaml", "split: s1-strategy:80 50%, s2-strategy:80 50%"),
    ("httpproxy-multiple-upstreams.yaml", "split: s1:80 50%, s2:80 50%"),
    ("httpproxy-weight-shfiting.yaml", "split: s1:80 10%, s2:80 90%"),
}
needs_corpus = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="the peer corpus (../shared/corpus) is not here")


def _examples() -> list[Path]:
    return sorted((EXAMPLES / "03-routes").glob("*.yaml")) + sorted((EXAMPLES / "04-inclusion").glob("*.yaml"))


@needs_corpus
def test_contour_examples_agree_with_contours_status() -> None:
    common = sorted(str(p) for p in (EXAMPLES / "00-common").glob("*.yaml"))
    violated, splits, counts, errors = set(), set(), Counter(), []
    for example in _examples():
        report = prove([*common, str(example)], Options(select=CODES))
        errors += [(example.name, e.location.line) for e in report.errors]
        for f in report.results:
            if f.subject["kind"] != "HTTPProxy":
                continue
            counts[(f.property, f.status)] += 1
            if f.status == "violated":
                violated.add((example.name, f.subject["name"], f.subject["path"]))
            if f.property == "CNV103":
                splits.add((example.name, f.message))
    assert errors == [("httpproxy-response-timeout.yaml", 2)]
    assert violated == {(e, n, p) for e, n, p in UNRESOLVED}
    assert splits == SPLITS
    assert counts == {
        ("CNV101", "proved"): 23,  # every route of every example
        ("CNV102", "proved"): 41,  # 15 virtual hosts, 4 includes, 22 services
        ("CNV102", "violated"): 6,  # UNRESOLVED
        ("CNV103", "proved"): 5,
        ("CNV104", "proved"): 22,  # each resolved service reaches the kuard pods
    }
