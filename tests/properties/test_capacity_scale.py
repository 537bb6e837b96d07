"""CNV302 decides a namespace of 200 autoscaled workloads with one solver query per quota
(50^200 replica combinations: enumeration is impossible), at the exact edge of the worst case."""

from __future__ import annotations

import io
from typing import Any

import pytest
import yaml
from cnverify import smt
from cnverify.engine import Options, prove
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
@pytest.mark.parametrize("hard,status", [("1379700m", "proved"), ("1379699m", "violated")])
def test_one_query_per_quota(smt_answers: list[smt.Answer], hard: str, status: str) -> None:
    # default limits: each query runs in a fresh Z3 context, so its cost no longer depends on what
    # ran earlier in the process (it was 3M-487M rlimit units, and sometimes unknown, before)
    report = prove(["-"], Options(select=["CNV302"]), stdin=io.StringIO(namespace(hard)))
    [f] = report.results
    assert f.status == status, f.message
    assert len(smt_answers) == 1  # one query (Z3 minimises the core inside it)
    assert smt_answers[0].rlimit < Limits().rlimit // 2
