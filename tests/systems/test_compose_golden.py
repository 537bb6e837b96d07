"""docker/cli's normalisation of ``full-example.yml`` (``testdata/full-example.json.golden``, the peer corpus's docker/cli entry) as a
peer suite: each service's replicas, resources and ports as cnverify reads them against the golden values.

Agreement: every compared field (replicas, 4 resource values, 22 ports × target/published/protocol/mode) is equal.
Explained difference: the golden drops ``host_ip`` (``127.0.0.1:8001:8001`` has none there: docker/cli's stack
loader converts to Swarm ports, which have no host IP); compose-go and cnverify keep it, so it is not compared.
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from cnverify.loader import load
from cnverify.model.compose import ComposeService
from cnverify.snapshot import build
from cnverify.systems.compose.interpolate import interpolate
from cnverify.systems.compose.ports import parse_short

CORPUS = Path(os.environ.get("CNVERIFY_CORPUS", Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"))
LOADER = CORPUS / "docker__cli" / "cli" / "compose" / "loader"
pytestmark = pytest.mark.skipif(not LOADER.is_dir(), reason="the peer corpus (../shared/corpus) is not here")


def _ports(svc: ComposeService) -> list[dict[str, Any]]:
    """The service's ports in docker/cli's normalised shape (long syntax kept, short syntax expanded)."""
    out: list[dict[str, Any]] = []
    for entry in svc.ports or []:
        if isinstance(entry, dict):
            out.append({k: entry[k] for k in ("mode", "target", "published", "protocol") if k in entry})
            out[-1].setdefault("mode", "ingress")
            out[-1].setdefault("protocol", "tcp")
            continue
        for _, host, target, protocol in parse_short(str(interpolate(entry).text)) or []:
            port = {"mode": "ingress", "target": target, "protocol": protocol}
            if host is not None:
                port["published"] = host[0] if host[0] == host[1] else f"{host[0]}-{host[1]}"
            out.append(port)
    return out


def test_services_agree_with_docker_cli_golden() -> None:
    golden = json.loads((LOADER / "testdata" / "full-example.json.golden").read_text())["services"]
    snap = build(load([str(LOADER / "full-example.yml")]))[0]
    ours = {s.name: s for s in snap.all(ComposeService)}
    assert set(ours) == set(golden)
    compared = agreed = 0
    for name, want in golden.items():
        svc = ours[name]
        res = want["deploy"]["resources"]
        got = {
            "replicas": svc.own_replicas().low,
            "limits.cpus": svc.reservation("cpu", "limits")[0] / 1000,  # type: ignore[index]
            "limits.memory": svc.reservation("memory", "limits")[0],  # type: ignore[index]
            "reservations.cpus": svc.reservation("cpu")[0] / 1000,  # type: ignore[index]
            "reservations.memory": svc.reservation("memory")[0],  # type: ignore[index]
        }
        expected = {
            "replicas": want["deploy"]["replicas"],
            "limits.cpus": Fraction(res["limits"]["cpus"]),
            "limits.memory": int(res["limits"]["memory"]),
            "reservations.cpus": Fraction(res["reservations"]["cpus"]),
            "reservations.memory": int(res["reservations"]["memory"]),
        }
        for key in expected:
            compared += 1
            agreed += got[key] == expected[key]
        ports = _ports(svc)
        assert len(ports) == len(want["ports"]) == 22
        for mine, theirs in zip(ports, want["ports"], strict=True):
            for key in ("target", "published", "protocol", "mode"):
                compared += 1
                agreed += mine.get(key) == theirs.get(key)
    assert (agreed, compared) == (93, 93)
