"""``python -m cnverify``."""

from cnverify.console import entry

entry()
