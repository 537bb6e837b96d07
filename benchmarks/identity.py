"""Check that two versions of cnverify give the same output: the whole JSON and every verdict.

``python benchmarks/identity.py --base /work/ref/corpus.json ../shared/corpus``        saved output vs this tree
``python benchmarks/identity.py --base commit:main --objects 2000``                    main vs this tree, generated
``python benchmarks/identity.py --base venv:/work/wt/ref/.venv --head venv:.venv PATH``  two installs

A side is ``current`` (this tree, the default head), ``current-no-exact`` (this tree with exact evaluation
off: every obligation decided by Z3), ``venv:DIR`` (``DIR/bin/cnverify``),
``commit:REV`` (REV's files, ``git archive``d, run by this interpreter, whose installed dependencies it uses) or
a saved ``cnverify prove --format json`` output (a ``.json`` file; one target only, run from
``--cwd`` as it was made).  Each target (a PATH, a generated cluster of ``--objects N``) is proved
by both sides from ``--cwd`` with the same arguments, then reported:

(a) whether the whole JSON is identical — the same bytes, or the same value in another layout
    (compact vs ``--pretty``), fingerprints included — else the first differing fields;
(b) verdict identity per result, keyed by (property, subject, location): every status that differs,
    and every result only one side has.

Exit code: 0 identical, 1 some verdict differs, 2 the verdicts agree but other content differs.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / ".data"
# Runs a checkout's code with this interpreter: its three package roots mapped as setuptools maps them.
BOOT = """import importlib.util, sys
root = sys.argv.pop(1)
for name, folder in (("cnverify", "verifier"), ("cnverify.encodings", "encodings"), ("cnverify.properties", "properties")):
    spec = importlib.util.spec_from_file_location(name, f"{root}/{folder}/__init__.py",
                                                  submodule_search_locations=[f"{root}/{folder}"])
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
from cnverify.cli import main
main()
"""
# This tree with exact evaluation switched off (every obligation to Z3): the A/B of exact evaluation.
NO_EXACT = """import sys
from cnverify import exact
exact.evaluate = lambda *args, **kwargs: None
from cnverify.cli import main
sys.argv[0] = "cnverify"
main()
"""
HOW = re.compile(
    r" \((?:solver: (?:un)?sat|exact evaluation|every total at its worst case is within its cap)\)$"
)  # the last: CNV302's refutation from its bound facts (``Obligation.refute``)
"""How a conclusion was decided, at the end of the last chain step's claim (``--ignore-how``)."""

Key = tuple[str, str, str]


def verdict_key(result: dict[str, Any]) -> Key:
    """(property, subject, location) of one result, as comparable text."""
    loc = result.get("location") or {}
    return (
        result["property"],
        json.dumps(result.get("subject"), sort_keys=True),
        f"{loc.get('file')}:{loc.get('line')}:{loc.get('column')}",
    )


def verdicts(report: dict[str, Any]) -> dict[Key, Counter[str]]:
    """Statuses per key (a key may hold several results, e.g. one per unit)."""
    out: dict[Key, Counter[str]] = {}
    for r in report.get("results", []):
        out.setdefault(verdict_key(r), Counter())[r["status"]] += 1
    return out


def value_diffs(a: Any, b: Any, path: str = "$") -> Iterator[str]:
    """JSON paths where ``a`` and ``b`` differ, depth first."""
    if type(a) is not type(b):
        yield f"{path}: {type(a).__name__} vs {type(b).__name__}"
    elif isinstance(a, dict):
        for k in sorted(a.keys() | b.keys()):
            if k not in a or k not in b:
                yield f"{path}.{k}: only in {'head' if k in b else 'base'}"
            else:
                yield from value_diffs(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        if len(a) != len(b):
            yield f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            yield from value_diffs(x, y, f"{path}[{i}]")
    elif a != b:
        yield f"{path}: {a!r} vs {b!r}"


@dataclass
class Comparison:
    """What differs between the base and head output of one target."""

    same_bytes: bool
    same_value: bool
    content: list[str] = field(default_factory=list)  # JSON paths that differ (the first ones)
    verdicts: list[str] = field(default_factory=list)  # every verdict difference
    results: int = 0
    ignored_how: bool = False  # compared without the decider's name at the end of chain steps

    @property
    def exit_code(self) -> int:
        return 1 if self.verdicts else 2 if not self.same_value else 0


def without_how(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` with the "(solver: sat)", "(solver: unsat)", "(exact evaluation)" ending of every chain step
    removed (which decider answered: the only difference exact evaluation makes, issue 15)."""
    for r in report.get("results", []):
        for step in r.get("chain") or []:
            if isinstance(step.get("claim"), str):
                step["claim"] = HOW.sub("", step["claim"])
    return report


def compare(base_text: str, head_text: str, max_content: int = 20, ignore_how: bool = False) -> Comparison:
    """Compare two JSON outputs: whole text, whole value, then verdict by verdict (``ignore_how``: values
    compared without the decider's name at the end of chain steps)."""
    a, b = json.loads(base_text), json.loads(head_text)
    if ignore_how:
        a, b = without_how(a), without_how(b)
    out = Comparison(base_text == head_text, a == b, results=len(b.get("results", [])), ignored_how=ignore_how)
    for i, diff in enumerate(value_diffs(a, b)):
        if i == max_content:
            out.content.append("...")
            break
        out.content.append(diff)
    va, vb = verdicts(a), verdicts(b)
    for key in sorted(va.keys() | vb.keys()):
        sa, sb = va.get(key, Counter()), vb.get(key, Counter())
        if sa != sb:
            show = lambda c: "+".join(sorted(c.elements())) or "absent"  # noqa: E731
            prop, subject, loc = key
            out.verdicts.append(f"{prop} {subject} @ {loc}: {show(sa)} -> {show(sb)}")
    return out


def command(side: str, checkout: dict[str, Path]) -> list[str]:
    """The command line that runs ``cnverify`` for one side (not a saved JSON)."""
    if side == "current":
        return [sys.executable, "-m", "cnverify"]
    if side == "current-no-exact":
        return [sys.executable, "-c", NO_EXACT]
    if side.startswith("venv:"):
        return [str(Path(side[5:]) / "bin" / "cnverify")]
    if side.startswith("commit:"):
        return [sys.executable, "-c", BOOT, str(checkout[side])]
    raise SystemExit(
        f"identity: a side is current, current-no-exact, venv:DIR, commit:REV or a .json file, not {side!r}"
    )


def run(side: str, target: str, cwd: Path, extra: list[str], checkout: dict[str, Path]) -> str:
    """The JSON output of one side on one target (cnverify's exit code is its verdict, not a failure)."""
    if side.endswith(".json") and Path(side).is_file():
        return Path(side).read_text(encoding="utf-8")
    done = subprocess.run(
        [*command(side, checkout), "prove", target, "--format", "json", *extra], cwd=cwd, capture_output=True, text=True
    )
    if done.returncode not in (0, 1, 2, 3, 4) or not done.stdout.strip():
        raise SystemExit(f"identity: {side} on {target} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return done.stdout


def report(name: str, result: Comparison, out: list[str]) -> None:
    """Lines for one target."""
    whole = (
        "identical bytes"
        if result.same_bytes
        else "identical value (decider names ignored)"
        if result.same_value and result.ignored_how
        else "identical value (layout differs)"
        if result.same_value
        else "DIFFERS"
    )
    out.append(
        f"{name}: whole JSON {whole}; verdicts: "
        f"{'identical' if not result.verdicts else f'{len(result.verdicts)} differ'} ({result.results} results)"
    )
    out += [f"  content {d}" for d in ([] if result.same_value else result.content)]
    out += [f"  verdict {d}" for d in result.verdicts]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", help="inputs to prove (relative to --cwd), e.g. ../shared/corpus")
    ap.add_argument("--base", required=True, help="current, venv:DIR, commit:REV or a saved JSON output")
    ap.add_argument("--head", default="current", help="the same choices (default: current)")
    ap.add_argument("--objects", type=int, nargs="*", default=[], help="also generated clusters of N objects")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cwd", type=Path, default=REPO, help="where both sides run (paths in the JSON are relative)")
    ap.add_argument("--args", default="", help="more cnverify prove arguments for both sides, e.g. '--jobs 2'")
    ap.add_argument(
        "--ignore-how",
        action="store_true",
        help="compare chain steps without their '(solver: sat|unsat)' / '(exact evaluation)' ending",
    )
    ap.add_argument("--max-content", type=int, default=20, help="differing JSON paths shown per target")
    args = ap.parse_args(argv)
    targets = list(args.paths) + [str(write(n, DATA / f"cluster-{n}", args.seed)) for n in args.objects]
    saved = [s for s in (args.base, args.head) if s.endswith(".json")]
    if not targets or (saved and len(targets) != 1):
        ap.error("give one target with a saved JSON side, at least one otherwise")
    lines: list[str] = []
    codes = [0]
    with tempfile.TemporaryDirectory(prefix="cnverify-identity-") as tmp:
        checkout = {
            s: _checkout(s[7:], Path(tmp) / str(i))
            for i, s in enumerate((args.base, args.head))
            if s.startswith("commit:")
        }
        for target in targets:
            base, head = (run(s, target, args.cwd, shlex.split(args.args), checkout) for s in (args.base, args.head))
            result = compare(base, head, args.max_content, args.ignore_how)
            report(target, result, lines)
            codes.append(result.exit_code)
    print("\n".join(lines))
    return 1 if 1 in codes else max(codes)


def _checkout(rev: str, into: Path) -> Path:
    """The files of ``rev`` (``git archive``: no worktree or ref is created), removed when the run ends."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


if __name__ == "__main__":
    sys.exit(main())
