"""Record a run's ``exact.evaluate`` calls once, replay them on two versions side by side (CPU seconds).

``python benchmarks/exact_replay.py record CALLS.pkl PATH``      prove PATH (``--jobs 1``), keep every call
``python benchmarks/exact_replay.py replay CALLS.pkl [--root DIR] [--z3]``   decide them again

A call is kept as SMT-LIB2 text (its facts, goal and shown terms, names as given) with its outcome; a replay
parses each (one context), times ``exact.evaluate`` over all of them (``--z3``: and ``smt.check`` where it
declines, i.e. the whole deciding), and compares outcomes with the recorded ones: the same, newly decided
(by shape: facts, result, core size) or different.  ``--root DIR`` replays another checkout's code (a folder
with ``cnverify`` naming its ``verifier/``, e.g. a ``git archive``d tree and a symlink).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from collections import Counter
from typing import Any

Outcome = tuple[str, tuple[int, ...], tuple[str, ...]] | None


def outcome(got: Any) -> Outcome:
    return None if got is None else (got.result, got.core, tuple(v.sexpr() for v in got.values))


def record(out: str, path: str) -> None:
    import z3
    from cnverify import exact
    from cnverify.engine import Options, prove

    calls: list[tuple[str, int, int, Outcome]] = []
    evaluate = exact.evaluate

    def kept(facts: Any, goal: Any, shown: Any = ()) -> Any:
        s = z3.Solver(ctx=goal.ctx)
        for t in [*facts, goal, *(t == t for t in shown)]:  # a shown term kept as the equality's argument
            s.add(t)
        got = evaluate(facts, goal, shown)
        calls.append((s.sexpr(), len(facts), len(shown), outcome(got)))
        return got

    exact.evaluate = kept  # type: ignore[assignment]
    prove([path], Options(jobs=1))
    with open(out, "wb") as f:
        pickle.dump(calls, f)
    print(f"{len(calls)} calls recorded", file=sys.stderr)


def replay(path: str, root: str | None, with_z3: bool) -> None:
    if root:
        sys.path.insert(0, root)
    import z3
    from cnverify import exact, smt

    with open(path, "rb") as f:
        calls = pickle.load(f)
    parsed = []
    for text, n_facts, _n_shown, want in calls:
        v = z3.parse_smt2_string(text)
        terms = [v[i] for i in range(len(v))]
        parsed.append((terms[:n_facts], terms[n_facts], [t.arg(0) for t in terms[n_facts + 1 :]], want))
    start, to_z3, outs = time.process_time(), 0, []
    for facts, goal, shown, _ in parsed:
        got = exact.evaluate(facts, goal, shown)
        if got is None and with_z3:
            to_z3 += 1
            smt.check([], [*facts, goal])
        outs.append(got)
    cpu = time.process_time() - start
    moved: Counter[tuple[int, str, int]] = Counter()
    same = differ = 0
    for (facts, _, _, want), got in zip(parsed, outs, strict=True):
        if outcome(got) == want:
            same += 1
        elif want is None and got is not None:
            moved[(len(facts), got.result, len(got.core))] += 1
        else:
            differ += 1
    print(f"{exact.__file__}: {len(parsed)} calls, CPU {cpu:.3f} s" + (f", {to_z3} to Z3" if with_z3 else ""))
    print(f"  same outcome {same}, newly decided {sum(moved.values())} {dict(moved)}, different {differ}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("calls")
    rec.add_argument("path")
    rep = sub.add_parser("replay")
    rep.add_argument("calls")
    rep.add_argument("--root")
    rep.add_argument("--z3", action="store_true", help="decide declined calls with Z3 too (timed)")
    args = parser.parse_args()
    if args.command == "record":
        record(args.calls, args.path)
    else:
        replay(args.calls, args.root, args.z3)


if __name__ == "__main__":
    main()
