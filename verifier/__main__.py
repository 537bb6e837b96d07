"""``python -m cnverify``."""

from cnverify.cli import main

main()
