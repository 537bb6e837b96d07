"""Fixtures shared by the test folders."""

from __future__ import annotations

from typing import Any

import pytest
from cnverify import smt


@pytest.fixture
def smt_answers(monkeypatch: pytest.MonkeyPatch) -> list[smt.Answer]:
    """Every ``cnverify.smt.check`` answer given while the test runs, in order."""
    seen: list[smt.Answer] = []
    orig = smt.check

    def recording(*args: Any, **kw: Any) -> smt.Answer:
        seen.append(orig(*args, **kw))
        return seen[-1]

    monkeypatch.setattr(smt, "check", recording)
    return seen
