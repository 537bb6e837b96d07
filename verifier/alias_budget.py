"""Alias expansion, bounded per file and per run so an alias bomb becomes a located error (go-yaml allows
~400k nodes per document); :mod:`cnverify.source` spends a file's budget on each document it composes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import yaml
from cnverify.spans import ComposeError

MAX_ALIAS_NODES_PER_FILE = 400_000  # nodes alias expansion may add to one file (go-yaml allows ~400k per document)
MAX_ALIAS_NODES_PER_RUN = 2_000_000  # ... and to all the files of one load session


def _children(n: yaml.Node) -> list[yaml.Node]:
    if isinstance(n, yaml.MappingNode):
        return [c for pair in n.value for c in pair]
    return n.value if isinstance(n, yaml.SequenceNode) else []


def alias_expansion(root: yaml.Node, budget: int) -> int:
    """How many nodes alias expansion adds to ``root``; refuses recursive aliases and more than ``budget``.

    Sizes are computed once per distinct node, so this costs O(distinct nodes) however large
    the expansion would be.
    """
    size: dict[int, int] = {}
    visiting: set[int] = set()
    shared: dict[int, yaml.Node] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        n, done = stack.pop()
        key = id(n)
        if done:
            size[key] = 1 + sum(size[id(c)] for c in _children(n))
            continue
        if key in size:
            shared[key] = n
            continue
        if key in visiting:
            raise ComposeError("recursive alias: a node contains itself", n)
        visiting.add(key)
        stack.append((n, True))
        stack.extend((c, False) for c in _children(n))
    added = size[id(root)] - len(size)
    if added > budget:
        worst = max(shared.values(), key=lambda n: size[id(n)])
        raise ComposeError(
            f"aliases would expand this document by {added:,} nodes, past what is left of the "
            f"alias budget ({MAX_ALIAS_NODES_PER_FILE:,} nodes per file, {MAX_ALIAS_NODES_PER_RUN:,} "
            "per run; an alias bomb?); the rest of the file is not read",
            worst,
        )
    return added


@dataclass
class FileBudget:
    """Alias expansion allowed to one file: its own budget and what is left of the run's."""

    anchors: bool  # text without '&' has no anchors, so nothing to measure
    used: int = 0
    stop: bool = False

    def spend(self, node: yaml.Node) -> None:
        if not self.anchors:
            return
        budget = min(MAX_ALIAS_NODES_PER_FILE - self.used, MAX_ALIAS_NODES_PER_RUN - _session.alias_nodes)
        try:
            added = alias_expansion(node, max(budget, 0))
        except ComposeError as exc:
            self.stop = "budget" in str(exc)
            raise
        self.used += added
        _session.alias_nodes += added


@dataclass
class _Session:
    """The alias expansion of the current run (:func:`run_budget`); outside one, each text is its own run."""

    active: int = 0
    alias_nodes: int = 0


_session = _Session()


@contextmanager
def run_budget() -> Iterator[None]:
    """One run: alias expansion is budgeted across every file composed inside (``cnverify prove`` wraps
    its whole run in it); nests (the outermost scope counts)."""
    if _session.active == 0:
        _session.alias_nodes = 0
    _session.active += 1
    try:
        yield
    finally:
        _session.active -= 1


def run_spent() -> int:
    """Alias nodes the current run has expanded so far."""
    return _session.alias_nodes


def set_run_spent(nodes: int) -> None:
    """Set what the current run has expanded (files read ahead and then read again count once)."""
    _session.alias_nodes = nodes


def run_left() -> int:
    """Alias nodes the current run may still expand."""
    return MAX_ALIAS_NODES_PER_RUN - _session.alias_nodes
