"""``--certify``: every exactly evaluated result re-decided by Z3; a disagreement is an internal
error (CNV000, exit 4).  Run on the peer corpus and on the generated 10,000-object cluster (issue 15: in CI time)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import z3
from cnverify import exact
from cnverify.engine import Options, prove
from cnverify.proof import Report

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
import generate  # noqa: E402
from cli_helpers import hpa, run, write  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


def exactly_decided(report: Report) -> int:
    return sum(1 for f in report.results if f.chain and f.chain[-1].claim.endswith(f"({exact.STEP})"))


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the peer corpus (../shared/corpus) is not here")
def test_certify_passes_on_the_corpus() -> None:
    report = prove([str(CORPUS)], Options(certify=True))
    assert report.internal == []
    assert exactly_decided(report) > 1000  # not vacuous: over a thousand results were re-decided


def test_certify_passes_on_a_generated_cluster(tmp_path: Path) -> None:
    folder = generate.write(10_000, tmp_path / "c10k")
    report = prove([str(folder)], Options(certify=True))
    assert report.internal == []
    assert len(report.results) == 36_204
    assert exactly_decided(report) > 3000
    assert {f.property for f in report.results if f.status == "violated"} >= {
        "CNV103",
        "CNV401",
    }  # planted defects, decided exactly


def test_certify_flag_on_the_cli(tmp_path: Path) -> None:
    f = write(tmp_path / "hpa.yaml", hpa("ok", 2, 5), hpa("bad", 5, 3))
    code, out, _ = run("prove", str(f), "--certify", "--format", "json")
    doc = json.loads(out)
    assert code == 1 and "internal_errors" not in doc
    assert {r["subject"]["name"]: r["status"] for r in doc["results"] if r["property"] == "CNV401"} == {
        "ok": "proved",
        "bad": "violated",
    }
    assert all(
        r["chain"][-1]["claim"].endswith("(exact evaluation)") for r in doc["results"] if r["property"] == "CNV401"
    )


def test_certify_fails_on_a_disagreement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An exact decider that is wrong (here: every query 'sat') is caught: CNV000, exit 4."""
    f = write(tmp_path / "hpa.yaml", hpa("ok", 2, 5))
    monkeypatch.setattr(
        exact, "evaluate", lambda facts, goal, shown=(): exact.Exact("sat", values=tuple(z3.IntVal(0) for _ in shown))
    )
    code, out, _ = run("prove", str(f), "--format", "json")
    assert code == 1  # without --certify the wrong verdict stands: certification is what catches it
    code, out, _ = run("prove", str(f), "--certify", "--format", "json")
    doc = json.loads(out)
    assert code == 4
    errors = {e["property"]: e for e in doc["internal_errors"]}
    assert "CNV401" in errors and {e["code"] for e in errors.values()} == {"CNV000"}
    assert "exact evaluation and Z3 disagree on the verdict" in errors["CNV401"]["message"]


def test_certify_fails_on_a_refutation_its_facts_do_not_make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A property's refutation (``Obligation.refute``) whose chain facts do not refute the query (here CNV302's
    without its last total) is caught under --certify: CNV000, exit 4.  Without --certify the refutation builds no
    term at all: the same result, byte for byte."""
    from cnverify.obligation import Obligation
    from cnverify.properties._shared.resources.quota_model import WITHIN_CAPS

    docs = [
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: ns}\nspec: {hard: {pods: '4', requests.cpu: '1'}}\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, namespace: ns}\nspec:\n  replicas: 2\n"
        "  selector: {matchLabels: {app: w}}\n  template:\n    metadata: {labels: {app: w}}\n    spec:\n"
        "      containers: [{name: c, resources: {requests: {cpu: 100m}}}]\n",
    ]
    f = write(tmp_path / "q.yaml", *docs)
    code, out, _ = run("prove", str(f), "--select", "CNV302", "--certify", "--format", "json")
    [r] = json.loads(out)["results"]
    assert code == 0 and r["status"] == "proved"
    assert r["chain"][-1]["claim"].endswith(f"({WITHIN_CAPS})")
    code, out, _ = run("prove", str(f), "--select", "CNV302", "--format", "json")
    assert code == 0 and json.loads(out)["results"] == [r]
    refute = Obligation.refute
    monkeypatch.setattr(Obligation, "refute", lambda ob, core, how: refute(ob, list(core)[:-1], how))
    code, out, _ = run("prove", str(f), "--select", "CNV302", "--certify", "--format", "json")
    doc = json.loads(out)
    assert code == 4
    [err] = doc["internal_errors"]
    assert err["property"] == "CNV302" and "the facts of the chain do not refute the query" in err["message"]
