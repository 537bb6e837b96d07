"""Report writers. Each module here defines ``FORMAT`` (its ``--format`` name) and ``render``."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnverify.proof import Report


@dataclass
class RenderOptions:
    """What a writer shows: proved results, colours, indented JSON, the registry of properties, extras."""

    show_proved: bool = False
    color: bool = False
    pretty: bool = False  # JSON: indented instead of compact (the same value)
    extra: dict[str, Any] = field(default_factory=dict)


Renderer = Callable[[Report, RenderOptions], str]


def writers() -> dict[str, Renderer]:
    """``{format name: render function}`` from every module of this package."""
    out: dict[str, Renderer] = {}
    for info in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        fmt = getattr(mod, "FORMAT", None)
        if fmt:
            out[fmt] = mod.render
    return dict(sorted(out.items()))
