"""Terms kept across runs by what they are built from (no property here).

A key names everything its term is built from (``("req", pod, "app", "In", ("web",))``), so the term is a function
of the key: Z3 hash-conses terms, and a kept term is the identical AST a fresh build in any later run returns.  The
run's own dict (``properties/_shared/terms.py``'s ``run_terms``, the label spaces' ``Terms``) is asked first; on a
miss this store, then the build.  A generated or charted cluster repeats its label keys, values, requirements and
resource values in every namespace: each is built once per process instead of once per unit.  Bounded (the oldest
entry dropped past ``LIMIT``: built again when asked again); only keys made of plain values belong here, never
object identities.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

LIMIT = 1 << 15
STORE: dict[Hashable, Any] = {}


def kept(terms: dict[Hashable, Any], key: Hashable, build: Callable[..., T], *args: Any) -> T:
    """``terms[key]``, else the kept term for ``key`` (remembered in ``terms``), else ``build(*args)`` kept in both."""
    value = terms.get(key)
    if value is None:
        value = STORE.get(key)
        if value is None:
            value = STORE[key] = build(*args)
            if len(STORE) > LIMIT:
                del STORE[next(iter(STORE))]
        terms[key] = value
    return value
