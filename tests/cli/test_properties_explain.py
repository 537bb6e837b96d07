"""`cnverify properties explain CODE` shows what each property's verdict assumes beyond its inputs."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from cnverify.cli import main
from cnverify.registry import load_properties

PROPS = load_properties()


@pytest.mark.parametrize("code", list(PROPS))
def test_explain_shows_the_assumes_section(code: str) -> None:
    result = CliRunner().invoke(main, ["properties", "explain", code])
    assert result.exit_code == 0, result.output
    assumes = PROPS[code].assumes()
    assert assumes and "## Assumes\n" + assumes in result.output
