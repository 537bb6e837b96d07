"""Splitting a regex at its top-level ``|`` (Kong's anchoring of the first alternative, Linkerd's scores)."""

from __future__ import annotations

import pytest
from cnverify.encodings.regex_syntax import top_level_alternatives


@pytest.mark.parametrize(
    "rx,expected",
    [
        ("/a|/b", ["/a", "/b"]),
        ("/(a|b)|/c", ["/(a|b)", "/c"]),
        (r"/a\|b|/c", [r"/a\|b", "/c"]),
        ("/[|]|/c", ["/[|]", "/c"]),
        ("/[]|]x|/c", ["/[]|]x", "/c"]),  # in []…] the first ] is a member
        ("/only", ["/only"]),
        ("|/x|", ["", "/x", ""]),
    ],
)
def test_top_level_alternatives(rx: str, expected: list[str]) -> None:
    assert top_level_alternatives(rx) == expected
