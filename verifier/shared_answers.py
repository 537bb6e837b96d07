"""Decided Z3 answers shared by the processes of one run (``--jobs N``: forked workers).

``smt``'s memo is per process and keyed by AST addresses, so the workers of a run each solve the
queries their units have in common (on the generated 10k cluster, 2 workers: 903 queries against 617
serially).  A :class:`Store` is a folder the forked workers all see: a worker that solves a query
writes its answer there, and a worker that misses its own memo reads it before asking Z3.

The key is portable: the query's SMT-LIB2 text (Z3's benchmark printer: every constant and function
declared with its sort, every literal and operator written out), tagged with what else the answer
depends on (the split into assertions and tracked formulas, the limits, the solver).  The printer names
``let`` bindings by AST ids, which differ between processes; they are renumbered by first occurrence
(outside string literals and quoted symbols), so the key is the query's structure and nothing else.
A text whose symbols could be read two ways (a name declared twice, a declared name that looks like a
``let`` binding, declared sorts or datatypes) has no key: such a query is solved locally.

Only ``unsat`` answers are shared (the verdict and the core, as indexes of the tracked formulas — plain
values); a model lives in a process's own context and ``unknown`` is never remembered (smt's policy).
An answer is a function of its query in a fresh context (``smt``: the determinism the history tests
check), so an answer read here is the one a local solve gives: sharing changes speed only.  Each entry
holds its full key, compared on reading (a hash collision reads as a miss); entries are written to a
temporary name and renamed, so a reader sees a whole entry or none.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
import tempfile
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import z3
from cnverify.alpha import raw

_LET = r"(?<![^\s(])[$?]x\d+(?![^\s)])"
_TOKENS = re.compile(rf'"(?:[^"]|"")*"|\|[^|]*\||{_LET}')
_DECLARED = re.compile(r"^\(declare-fun (\|[^|]*\||\S+) ", re.MULTILINE)
_UNSAFE = ("(declare-sort", "(declare-datatype", "(define-sort", "(define-fun")
_benchmark = raw("Z3_benchmark_to_smtlib_string")


def query_text(terms: Sequence[z3.BoolRef]) -> str | None:
    """``terms`` as SMT-LIB2 text, ``let`` names renumbered by first occurrence; None when the text could
    stand for two different queries (see the module docstring) or Z3 cannot print it."""
    if not terms:
        return None
    ref = terms[0].ctx.ref()
    heads = (z3.Ast * max(1, len(terms) - 1))(*[t.as_ast() for t in terms[:-1]])
    try:
        text = _benchmark(ref, b"", b"", b"unknown", b"", len(terms) - 1, heads, terms[-1].as_ast())
    except Exception:  # noqa: BLE001 - a term the printer rejects: no key, solved locally
        return None
    text = text.decode() if isinstance(text, bytes) else str(text)
    if any(word in text for word in _UNSAFE):
        return None
    names = _DECLARED.findall(text)
    if len(set(names)) != len(names) or any(re.fullmatch(r"[$?]x\d+", n) for n in names):
        return None
    lets: dict[str, str] = {}

    def renumbered(m: re.Match[str]) -> str:
        token = m.group(0)
        if token[0] in '"|':
            return token
        return lets.setdefault(token, f"{token[0]}x{len(lets)}")

    return _TOKENS.sub(renumbered, text)


class Store:
    """Unsat answers of one run, in the folder ``path`` (shared by the processes forked from its maker)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.hits = 0

    def key(self, tag: Hashable, terms: Sequence[z3.BoolRef]) -> str | None:
        """The portable key of ``terms`` asked with ``tag`` (plain values), or None (not shareable)."""
        text = query_text(terms)
        return None if text is None else f"{tag!r}\n{text}"

    def _file(self, key: str) -> str:
        return os.path.join(self.path, hashlib.sha256(key.encode()).hexdigest())

    def get(self, key: str) -> Any | None:
        """The value stored under ``key``, or None."""
        try:
            with open(self._file(key), "rb") as fh:
                stored_key, value = pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError):
            return None
        if stored_key != key:
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` (plain, picklable) under ``key`` (a concurrent writer of the same key writes the
        same value: the last rename wins)."""
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".put-")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((key, value), fh, pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self._file(key))
        except OSError:  # a full disk: the answer simply is not shared
            try:
                os.unlink(tmp)
            except OSError:
                pass


_store: Store | None = None


def current() -> Store | None:
    """The store of the fan-out in progress (None: nothing shared)."""
    return _store


@contextmanager
def sharing() -> Iterator[Store]:
    """A store for the processes forked inside the block (the one already open, if any)."""
    global _store
    if _store is not None:
        yield _store
        return
    path = tempfile.mkdtemp(prefix="cnverify-answers-")
    _store = Store(path)
    try:
        yield _store
    finally:
        _store = None
        shutil.rmtree(path, ignore_errors=True)
