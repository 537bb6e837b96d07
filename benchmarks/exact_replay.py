"""Time exact evaluation alone: record every ``exact.evaluate`` call of one ``prove`` run, replay the calls
through another revision's ``verifier/exact.py`` (and ``exactterms.py``) and this tree's, side by side, and
check that every outcome is identical (sat/unsat/None, core, witness ASTs by id).

``python benchmarks/exact_replay.py PATH [--base main]``   e.g. PATH = a generated cluster or ../shared/corpus
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import subprocess
import sys
import time
import types
from collections import Counter
from pathlib import Path
from typing import Any

from cnverify import exact, exactterms
from cnverify.cli import main as cli

REPO = Path(__file__).resolve().parents[1]


def record(path: str) -> list[tuple[list[Any], Any, list[Any]]]:
    """The (facts, goal, shown) of every exact evaluation of ``cnverify prove PATH --jobs 1``."""
    calls: list[tuple[list[Any], Any, list[Any]]] = []
    original = exact.evaluate

    def recording(facts: Any, goal: Any, shown: Any = ()) -> Any:
        calls.append((list(facts), goal, list(shown)))
        return original(facts, goal, shown)

    exact.evaluate = recording  # type: ignore[assignment]
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            cli.main(["prove", path, "--format", "json", "--jobs", "1"], standalone_mode=False)
    finally:
        exact.evaluate = original  # type: ignore[assignment]
    return calls


def load(rev: str) -> types.ModuleType:
    """``rev``'s exact.py as a module (with its exactterms.py, when it has one)."""
    modules = {}
    for name in ("exactterms", "exact"):
        shown = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{rev}:verifier/{name}.py"], capture_output=True, text=True
        )
        if shown.returncode != 0:
            continue
        mod = types.ModuleType(f"base_{name}")
        sys.modules[mod.__name__] = mod
        code = shown.stdout.replace("from cnverify.exactterms import", "from base_exactterms import")
        exec(compile(code, f"{rev}:{name}.py", "exec"), mod.__dict__)
        modules[name] = mod
    return modules["exact"]


def replay(mod: types.ModuleType, calls: list[tuple[list[Any], Any, list[Any]]]) -> tuple[list[Any], float]:
    """Every call through ``mod`` from a cold start; outcomes and CPU seconds (GC paused)."""
    for terms in (exactterms, sys.modules.get("base_exactterms")):
        if terms is not None:
            terms.forget()
    gc.collect()
    gc.disable()
    start = time.process_time()
    out = [mod.evaluate(f, g, s) for f, g, s in calls]
    spent = time.process_time() - start
    gc.enable()
    return out, spent


def key(e: Any) -> Any:
    return None if e is None else (e.result, e.core, tuple(v.get_id() for v in e.values))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--base", default="main", help="the revision to compare with (default: main)")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    calls = record(args.path)
    base = load(args.base)
    print(f"{len(calls)} calls")
    for _ in range(args.rounds):
        old, t_old = replay(base, calls)
        new, t_new = replay(exact, calls)
        print(f"CPU: {args.base} {t_old:.3f} s, this tree {t_new:.3f} s ({t_old / t_new:.2f}x)")
    differ = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if key(a) != key(b)]
    print("outcomes", dict(Counter(None if e is None else e.result for e in new)), "differing:", len(differ))
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
