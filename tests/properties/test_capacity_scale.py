"""CNV302 decides a namespace of 200 autoscaled workloads (50^200 replica combinations: enumeration is
impossible) at the exact edge of the worst case: a breach in one solver query, a proof from the bound facts."""

from __future__ import annotations

import io
from typing import Any

import pytest
import yaml
from cnverify import smt
from cnverify.engine import Options, prove
from cnverify.properties._shared.resources.quota_model import WITHIN_CAPS
from cnverify.solver import Limits

N = 200


def namespace(cpu_hard: str) -> str:
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "q", "namespace": "big"},
            "spec": {"hard": {"requests.cpu": cpu_hard, "pods": 20000}},
        }
    ]
    for i in range(N):
        docs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"w{i}", "namespace": "big"},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": f"w{i}"}},
                    "template": {
                        "metadata": {"labels": {"app": f"w{i}"}},
                        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": f"{10 + i}m"}}}]},
                    },
                },
            }
        )
        docs.append(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": f"w{i}", "namespace": "big"},
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"w{i}"},
                    "minReplicas": 1,
                    "maxReplicas": 50,
                },
            }
        )
    return yaml.safe_dump_all(docs)


# worst case: Σ_{i<200} (10+i)m × (50 + ceil(25% × 50) = 63 pods) = 21900m × 63 = 1379700m, exactly
def test_violated_at_the_edge_in_one_query(smt_answers: list[smt.Answer]) -> None:
    # default limits: each query runs in a fresh Z3 context, so its cost no longer depends on what
    # ran earlier in the process (it was 3M-487M rlimit units, and sometimes unknown, before)
    report = prove(["-"], Options(select=["CNV302"]), stdin=io.StringIO(namespace("1379699m")))
    [f] = report.results
    assert f.status == "violated", f.message
    assert len(smt_answers) == 1  # one query: the witness (Z3 minimises nothing for sat)
    assert smt_answers[0].rlimit < Limits().rlimit // 2


@pytest.mark.parametrize("certify", [False, True])
def test_proved_at_the_edge_from_the_bounds(smt_answers: list[smt.Answer], certify: bool) -> None:
    """At exactly the worst case the quota holds: refuted by the 200 "at most" facts and the cap, no search;
    ``--certify`` has Z3 confirm that those facts alone refute the query (one unsat query)."""
    report = prove(["-"], Options(select=["CNV302"], certify=certify), stdin=io.StringIO(namespace("1379700m")))
    [f] = report.results
    assert f.status == "proved", f.message
    assert [a.result for a in smt_answers] == (["unsat"] if certify else [])
    steps = [s.claim for s in f.chain]
    assert sum(s.startswith("so Deployment/big/w") and "runs at most 63 pods" in s for s in steps) == N
    assert sum(s.startswith("quota q caps ") for s in steps) == 2  # pods and requests.cpu
    assert steps[-1].endswith(f"({WITHIN_CAPS})")
