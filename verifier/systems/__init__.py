"""System adapters: one package per input system, each owning what that system means to cnverify.

A package (or module) of this folder that defines ``SYSTEM`` (a :class:`~cnverify.systems.base.System`)
is an adapter; adapters are found like the report writers (``cnverify.report.writers``) and taken in
their ``order``.  Consumers (opaque objects, the loader, routing tables and targets, CNV103, the diff)
iterate :func:`implementing` instead of lists of systems; a test may :func:`register` an adapter of its own.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from cnverify.model.base import Resource
from cnverify.systems.base import HOOKS, Group, Share, SideRule, Split, System

__all__ = [
    "HOOKS",
    "Group",
    "Share",
    "SideRule",
    "Split",
    "System",
    "adapters",
    "implementing",
    "register",
    "unregister",
    "group_policy",
    "reading",
    "run_option",
    "run_options",
]

_FOUND: list[System] = []
_EXTRA: list[System] = []
_ORDERED: list[System] | None = None
_GROUPS: dict[str, Group] | None = None


def _discover() -> list[System]:
    if not _FOUND:
        for info in pkgutil.iter_modules(__path__):
            if info.name == "base" or info.name.startswith("_"):
                continue
            system = getattr(importlib.import_module(f"{__name__}.{info.name}"), "SYSTEM", None)
            if isinstance(system, System):
                _FOUND.append(system)
    return _FOUND


def adapters() -> list[System]:
    """Every adapter, in ``order`` (then name): the order consumers list their results in."""
    global _ORDERED
    if _ORDERED is None:
        _ORDERED = sorted([*_discover(), *_EXTRA], key=lambda s: (s.order, s.name))
    return _ORDERED


def implementing(hook: str) -> Iterator[System]:
    """The adapters that implement ``hook`` (one of :data:`HOOKS`), in order."""
    if hook not in HOOKS:
        raise KeyError(f"no system hook {hook!r} (hooks: {', '.join(HOOKS)})")
    return (s for s in adapters() if s.implements(hook))


def register(system: System) -> System:
    """Add an adapter that lives outside this package (a test's pretend system)."""
    _EXTRA.append(system)
    _forget()
    return system


def unregister(system: System) -> None:
    _EXTRA.remove(system)
    _forget()


def _forget() -> None:
    global _ORDERED, _GROUPS
    _ORDERED = _GROUPS = None


def group_policy(group: str) -> Group | None:
    """What the adapter claiming API group ``group`` says about its unmodelled kinds (None: no adapter does)."""
    global _GROUPS
    if _GROUPS is None:
        _GROUPS = {g: policy for s in implementing("api_groups") for g, policy in s.groups.items()}
    return _GROUPS.get(group)


def reading(kinds: Iterable[type[Resource]]) -> list[str]:
    """The names of the adapters owning any of ``kinds``, in adapter order: the systems a property reads."""
    wanted = set(kinds)
    return [s.name for s in adapters() if wanted.intersection(s.kinds)]


_RUN_OPTIONS: ContextVar[Any] = ContextVar("cnverify_run_options", default=None)


@contextmanager
def run_options(options: Any) -> Iterator[None]:
    """Make the run's ``engine.Options`` visible to adapters while inputs are read (``run_option``)."""
    token = _RUN_OPTIONS.set(options)
    try:
        yield
    finally:
        _RUN_OPTIONS.reset(token)


def run_option(name: str, default: Any = None) -> Any:
    """One field of the current run's options (e.g. Compose's ``compose_files``), or ``default``."""
    return getattr(_RUN_OPTIONS.get(), name, default)
