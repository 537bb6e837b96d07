"""Which namespace the namespace-less objects of a unit land in, when nothing fixes it.

``kubectl apply -f`` puts an object without ``metadata.namespace`` in ``-n NS`` or, without it, in the
namespace of the kubeconfig context (cli-runtime ``NamespaceParam(...).DefaultNamespace()``): any
namespace at all, including one that other objects of the unit name. A unit holding both kinds of
objects is therefore verified once with the namespace-less objects in a fresh namespace (the unnamed
unit namespace) and once in each namespace the unit names; a verdict stands only when every reading
gives it. Findings are matched across readings by property, location and subject without its
namespace; a finding that one reading has and another lacks differs too. Differing verdicts become
``unknown`` with a step saying so (``--namespace NS`` decides them). Units with only namespace-less or
only named objects take one run.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from cnverify.loader import LoadResult
from cnverify.model import KIND_MODELS, group_of
from cnverify.model.base import UNIT_NAMESPACE
from cnverify.proof import Finding, Step

R = TypeVar("R")
Pairs = list[tuple[Finding, R]]


def named_namespaces(loaded: LoadResult) -> list[str]:
    """The namespaces a mixed unit names (sorted), or none when it is not mixed."""
    named: set[str] = set()
    unnamed = False
    for raw in loaded.objects:
        meta = raw.data.get("metadata") if isinstance(raw.data, dict) else None
        ns = meta.get("namespace") if isinstance(meta, dict) else None
        if isinstance(ns, str) and ns:
            named.add(ns)
            continue
        cls = KIND_MODELS.get((group_of(raw.api_version), raw.kind))
        if cls is None or cls.NAMESPACED:  # unknown kinds are placed like namespaced ones
            unnamed = True
    return sorted(named) if unnamed else []


def _key(f: Finding) -> str:
    subject = {k: v for k, v in f.subject.items() if k != "namespace"}
    return json.dumps(
        [f.property, f.location.file, f.location.line, f.location.column, subject], sort_keys=True, default=str
    )


def _where(ns: str) -> str:
    return "a namespace of their own" if ns == UNIT_NAMESPACE else f"namespace {ns}"


def decide(base: Pairs[R], run: Callable[[str], Pairs[R]], namespaces: Sequence[str]) -> Pairs[R]:
    """``base`` (namespace-less objects in the fresh unit namespace) with every verdict that another
    reading (``run(ns)`` for each of ``namespaces``) changes or lacks made unknown."""
    if not namespaces:
        return base
    readings: list[tuple[str, dict[str, tuple[Finding, R]]]] = [(UNIT_NAMESPACE, {_key(f): (f, r) for f, r in base})]
    for ns in namespaces:
        readings.append((ns, {_key(f): (f, r) for f, r in run(ns)}))
    out: list[tuple[Finding, R]] = []
    seen: set[str] = set()
    for _, found in readings:
        for key, (f, r) in found.items():
            if key in seen:
                continue
            seen.add(key)
            verdicts = [(ns, other[key][0].status if key in other else None) for ns, other in readings]
            if len({v for _, v in verdicts}) == 1:
                out.append((f, r))
            else:
                out.append((_undecided(f, verdicts), r))
    return out


def _undecided(f: Finding, verdicts: list[tuple[str, Any]]) -> Finding:
    said = "; ".join(f"{v or 'not a result'} with them in {_where(ns)}" for ns, v in verdicts)
    step = Step(
        "the objects that name no namespace land in the namespace kubectl applies them to (-n, else the "
        f"kubeconfig context's), which may be one this unit names; the verdict depends on it: {said}; "
        "--namespace NS decides it"
    )
    if f.status == "unknown":
        return dataclasses.replace(f, chain=[*f.chain, step])
    return dataclasses.replace(
        f,
        status="unknown",
        chain=[*f.chain, step],
        message=f"{f.message} (not decided: it depends on the namespace kubectl applies "
        "the namespace-less objects to; --namespace NS decides it)",
    )
