"""A fixed report exercising every writer path: violated (multi-step chain, witness, end spans),
unknown, proved, a suppressed finding, a baselined one, a warning and an input error."""

from __future__ import annotations

from pathlib import Path

from cnverify.errors import InputError, Span
from cnverify.proof import Finding, Notice, Report, Step, Suppressed
from cnverify.report import RenderOptions

ROOT = Path("/repo")
HPA = str(ROOT / "deploy" / "hpa.yaml")
VS = str(ROOT / "deploy" / "vs, odd: name%.yaml")  # a file name that needs escaping in annotations


def hpa(name: str, status: str, line: int, message: str, **kw: object) -> Finding:
    return Finding(
        property="CNV401",
        name="hpa-bounds",
        status=status,
        severity="error",  # type: ignore[arg-type]
        subject={"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "namespace": "shop", "name": name},
        location=Span(HPA, line, 3, line, 14),
        message=message,
        help="Set 1 ≤ minReplicas ≤ maxReplicas (omit minReplicas for the default 1).",
        **kw,
    )


def build() -> Report:
    bad = hpa(
        "web",
        "violated",
        8,
        "minReplicas 5 > maxReplicas 3",
        chain=[
            Step("minReplicas is 5", Span(HPA, 8, 3, 8, 14)),
            Step("maxReplicas is 3", Span(HPA, 9, 3, 9, 14), [Span(VS, 4, 1)]),
            Step("minReplicas < 1 or minReplicas > maxReplicas (solver: sat)"),
        ],
        witness={"minReplicas": 5, "maxReplicas": 3},
    )
    unknown = hpa(
        "open",
        "unknown",
        18,
        "cannot decide: maxReplicas is not set",
        chain=[
            Step("minReplicas is 1", Span(HPA, 18, 3, 18, 14)),
            Step("maxReplicas is not set (the API server requires it)"),
        ],
    )
    proved = hpa(
        "api",
        "proved",
        28,
        "1 ≤ minReplicas ≤ maxReplicas holds",
        chain=[
            Step("minReplicas is 1", Span(HPA, 28, 3)),
            Step("maxReplicas is 3", Span(HPA, 29, 3)),
            Step("no counterexample (solver: unsat)"),
        ],
    )
    old = hpa(
        "legacy",
        "violated",
        38,
        "minReplicas 0 < 1",
        chain=[Step("minReplicas is 0", Span(HPA, 38, 3, 38, 14)), Step("(solver: sat)")],
        witness={"minReplicas": 0, "maxReplicas": 3},
        baseline="unchanged",
    )
    bad.baseline = "new"
    hidden = hpa(
        "quiet",
        "violated",
        48,
        "minReplicas 9 > maxReplicas 2",
        chain=[Step("minReplicas is 9", Span(HPA, 48, 3, 48, 14)), Step("(solver: sat)")],
    )
    return Report(
        results=[bad, unknown, proved, old],
        inputs=[{"file": HPA, "documents": 5}, {"file": VS, "documents": 1}],
        errors=[InputError(Span(VS, 2, 7), "YAML syntax error: flow sequence not closed")],
        suppressed=[Suppressed(hidden, "tracked in OPS-12", Span(HPA, 45, 5, 45, 23))],
        warnings=[
            Notice(
                "unused-suppression",
                "cnverify.io/ignore on HorizontalPodAutoscaler/shop/api: CNV401 "
                "has no violated or unknown result on this resource to suppress",
                Span(HPA, 25, 5, 25, 23),
            )
        ],
        baseline={"file": ".cnverify-baseline.json", "new": 1, "unchanged": 1, "gone": []},
        objects=6,
        timings={"parse": 0.5, "model": 0.25, "solve": 1.0},
    )


def options(**extra: object) -> RenderOptions:
    show_proved = bool(extra.pop("show_proved", False))
    return RenderOptions(show_proved=show_proved, extra={"root": str(ROOT), **extra})
