"""No code path turns what was not decided into ``proved``.

Static: an AST scan of ``properties/`` and ``encodings/``: no ``except`` handler, and no branch taken
because something is unknown, unsupported, skipped or not counted, decides ``proved`` (``ob.decide("proved",
…)``, or a ``"proved"`` verdict literal). Behavioural: a solver ``unknown``, an ``only_refute`` caveat on
a pre-decided proof, and a quota key cnverify does not count all end as ``unknown``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import z3
from cnverify.engine import Options, prove
from cnverify.model import Service
from cnverify.registry import Property
from cnverify.solver import Limits, finding

ROOT = Path(__file__).resolve().parent.parent
SCANNED = sorted(p for d in ("properties", "encodings") for p in (ROOT / d).rglob("*.py"))
UNDECIDED = ("unknown", "unsupported", "skip", "uncounted", "unchecked", "missing_reason", "timeout", "error")


def _decides_proved(node: ast.AST) -> list[int]:
    """Lines in ``node`` that decide ``proved``: ``x.decide("proved", …)`` or a ``"proved"`` verdict literal
    returned or assigned (docstrings and messages are not verdicts)."""
    out = []
    for n in ast.walk(node):
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "decide"
            and n.args
            and isinstance(n.args[0], ast.Constant)
            and n.args[0].value == "proved"
        ):
            out.append(n.lineno)
        if isinstance(n, (ast.Return, ast.Assign)) and isinstance(n.value, ast.Constant) and n.value.value == "proved":
            out.append(n.lineno)
    return out


def _mentions_undecided(test: ast.expr) -> bool:
    names = [n.id for n in ast.walk(test) if isinstance(n, ast.Name)]
    names += [n.attr for n in ast.walk(test) if isinstance(n, ast.Attribute)]
    names += [str(n.value) for n in ast.walk(test) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return any(word in name.lower() for name in names for word in UNDECIDED)


@pytest.mark.parametrize("path", SCANNED, ids=[str(p.relative_to(ROOT)) for p in SCANNED])
def test_no_handler_or_undecided_branch_decides_proved(path: Path) -> None:
    tree = ast.parse(path.read_text())
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler):
            bad += [(line, "except handler") for line in _decides_proved(node)]
        if isinstance(node, (ast.If, ast.IfExp)) and _mentions_undecided(node.test):
            body = node.body if isinstance(node.body, list) else [node.body]
            bad += [(line, "branch on an undecided value") for stmt in body for line in _decides_proved(stmt)]
    assert not bad, f"{path.relative_to(ROOT)}: {bad}"


def test_the_scan_catches_a_handler_that_proves() -> None:
    code = "try:\n    f()\nexcept ValueError:\n    ob.decide('proved', 'fine')\n"
    handler = next(n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.ExceptHandler))
    assert _decides_proved(handler) == [4]
    branch = next(n for n in ast.walk(ast.parse("if rng.unknown:\n    return 'proved'\n")) if isinstance(n, ast.If))
    assert _mentions_undecided(branch.test) and _decides_proved(branch.body[0]) == [2]


class _Probe(Property):
    code, name, title, reads = "CNV999", "probe", "probe", (Service,)


def _obligation():  # type: ignore[no-untyped-def]
    svc = Service.model_validate({"metadata": {"name": "s"}})
    return _Probe().obligation(svc, at=None)


def test_a_solver_unknown_is_unknown() -> None:
    ob = _obligation()
    x = z3.Int("x")
    # non-linear integer arithmetic with a tiny resource limit: the solver gives up
    ob.fact(x * x * x + 7 * x * x == 123456789 * x + 987654321, at=None, says="a hard equation")
    ob.counterexample(x > 0, says="x is positive")
    f = finding(ob, Limits(timeout_ms=1, rlimit=1))
    assert f.status == "unknown"


def test_only_refute_turns_a_pre_decided_proof_into_unknown() -> None:
    ob = _obligation()
    ob.decide("proved", "nothing to check")
    ob.only_refute("something the manifests do not show")
    f = finding(ob, Limits())
    assert f.status == "unknown" and f.chain[-1].claim.startswith("not proved: something")


def test_a_quota_key_cnverify_does_not_count_is_never_proved(tmp_path: Path) -> None:
    manifest = tmp_path / "quota.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: shop}\n"
        "spec:\n  hard: {count/widgets.example.com: '1', limits.nvidia.com/gpu: '1'}\n"
    )
    report = prove([str(manifest)], Options(select=["CNV302"]))
    [f] = report.results
    assert f.status == "unknown" and "count/widgets.example.com" in f.message
