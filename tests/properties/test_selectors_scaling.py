"""CNV204 asks the solver only about candidate pairs: unrelated workloads cost no solver call."""

from __future__ import annotations

from pathlib import Path

from cnverify.engine import Options, prove


def deployment(name: str, ns: str, labels: dict[str, str]) -> str:
    flow = "{" + ", ".join(f"{k}: {v}" for k, v in labels.items()) + "}"
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\n"
        f"spec:\n  selector: {{matchLabels: {flow}}}\n  template:\n    metadata: {{labels: {flow}}}\n"
    )


def test_unrelated_workloads_need_no_solver_call(tmp_path: Path) -> None:
    docs = [deployment(f"w{i}", "big", {"app": f"w{i}", "team": "t"}) for i in range(300)]
    docs.append(deployment("w0-canary", "big", {"app": "w0", "team": "t", "track": "canary"}))
    docs += [deployment(f"w{i}", "other", {"app": "w0", "team": "t"}) for i in range(3)]  # same labels, other ns
    (tmp_path / "many.yaml").write_text("---\n".join(docs))
    findings = [f for f in prove([str(tmp_path)], Options(select=["CNV204"])).results if f.property == "CNV204"]
    solver = sorted(
        (f.subject["namespace"], f.subject["name"], f.status)
        for f in findings
        if "(solver:" in f.chain[-1].claim or "(exact evaluation)" in f.chain[-1].claim
    )
    # big: only w0 / w0-canary share app=w0; other: the three identical controllers are one group (one
    # finding about the canonical member, w0; it was one per pair before the grouping)
    assert solver == [("big", "w0", "violated"), ("other", "w0", "violated")]
    decided = [f for f in findings if f.status == "proved"]
    assert len(decided) == 299 and all("key index" in f.chain[-1].claim for f in decided)
