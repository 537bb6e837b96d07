"""Parity with ``kubectl argo rollouts lint`` on its own suite (the peer corpus's ``EXPECTED_LINT.json``).

Each fixture is verified alone, as ``lint -f <file>`` reads it. An invalid fixture must be flagged by a located
input error (the controller's InvalidSpec, ``model/argo_validation.py``) or a violated finding; a valid one must
be clean except for the differences listed in ``OUTSIDE_THE_FILE``: lint validates a Rollout against the
referenced objects *present in the file* and never checks an Istio Gateway, while cnverify verifies the file as a
closed unit, so a Gateway or Service the file names but does not hold is reported (CNV102).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cnverify.engine import Options, prove

SUITE = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "argoproj__argo-rollouts"
EXPECTED = SUITE / "EXPECTED_LINT.json"
pytestmark = pytest.mark.skipif(not EXPECTED.is_file(), reason="the peer corpus (../shared/corpus) is not here")

GATEWAY = "Gateway (unit namespace)/istio-host-split-gateway does not exist"
OUTSIDE_THE_FILE: dict[str, list[str]] = {
    "valid-istio-v1alpha3.yml": [GATEWAY],
    "valid-istio-v1beta1.yml": [GATEWAY],
    "valid-istio-v1beta1-mulitiple-virtualsvcs.yml": [GATEWAY, GATEWAY],
    "valid-nginx-smi-with-vsvc.yaml": [
        GATEWAY,
        GATEWAY,
        *[f"no Service (unit namespace)/istio-host-split-{r}" for r in ("stable", "canary", "stable", "canary")],
        "Service (unit namespace)/nginx-rollout-canary does not exist",
        "Service (unit namespace)/nginx-rollout-stable does not exist",
    ],
}
# The lint's message where cnverify gives the same one (the others are flagged with another rule: the empty
# Rollout lacks its strategy too, and an unknown strategy field leaves none once the API server prunes it).
SAME_MESSAGE = {
    "invalid.yml": "MaxSurge and MaxUnavailable both can not be zero",
    "invalid.json": "MaxSurge and MaxUnavailable both can not be zero",
    "invalid-multiple-docs.yml": "MaxSurge and MaxUnavailable both can not be zero",
    "invalid-service-labels.yml": 'Service "istio-host-split-canary" has unmatch label "app" in rollout',
    "invalid-ping-pong.yml": 'Service "ping-service" has unmatch label "app" in rollout',
    "invalid-ingress-smi-multi.yml": 'Service "rollout-smi-experiment-canary" has unmatch label "app" in rollout',
    "invalid-nginx-canary.yml": "Experiment template weight is only available for TrafficRouting with SMI, ALB, "
    "Istio and Plugins at this time",
    "invalid-empty-rollout-vsvc.yml": "Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'",
    "invalid-unknown-field.yml": "Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'",
}


def _suite() -> dict:
    return json.loads(EXPECTED.read_text()) if EXPECTED.is_file() else {"valid": [], "invalid": []}


def _flags(path: str) -> list[str]:
    report = prove([str(SUITE / path)], Options())
    return [e.message for e in report.errors] + [f.message for f in report.results if f.status == "violated"]


@pytest.mark.parametrize("path", _suite()["valid"])
def test_valid_fixture_is_clean(path: str) -> None:
    flags = _flags(path)
    expected = OUTSIDE_THE_FILE.get(Path(path).name, [])
    assert len(flags) == len(expected) and all(any(e in f for f in flags) for e in expected), flags


@pytest.mark.parametrize("path", [c["file"] for c in _suite()["invalid"]])
def test_invalid_fixture_is_flagged(path: str) -> None:
    flags = _flags(path)
    assert any(SAME_MESSAGE[Path(path).name] in f for f in flags), flags


def test_agreement() -> None:
    """23 fixtures: 9 of 9 invalid flagged (7 with lint's own message), 10 of 14 valid clean, 4 explained."""
    suite = _suite()
    if not suite["valid"]:
        pytest.skip("no suite")
    clean = [p for p in suite["valid"] if not _flags(p)]
    assert len(suite["invalid"]) == 9 and len(clean) == 10 and len(suite["valid"]) - len(clean) == len(OUTSIDE_THE_FILE)
