from __future__ import annotations

import pytest
from cnverify.proof import Report
from report_sample import build


@pytest.fixture
def report() -> Report:
    return build()
