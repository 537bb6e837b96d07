"""The run: load → model → properties → solver → report."""
from __future__ import annotations

import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from cnverify import loader, snapshot
from cnverify.errors import InputError, Span
from cnverify.proof import Finding, Report, Severity
from cnverify.registry import Property, load_properties
from cnverify.solver import Limits, finding


@dataclass
class Options:
    """What to check and how: code selection, severity overrides, solver limits."""

    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)


def selected(options: Options) -> list[Property]:
    """Instances of the properties chosen by ``select`` / ``ignore`` (code or prefix, e.g. CNV1)."""
    out = []
    for code, cls in load_properties().items():
        if options.select and not any(code.startswith(s) or cls.name == s for s in options.select):
            continue
        if any(code.startswith(s) or cls.name == s for s in options.ignore):
            continue
        out.append(cls(options.severity.get(code)))
    return out


def check(snap: snapshot.Snapshot, options: Options) -> tuple[list[Finding], list[InputError]]:
    """Run the selected properties over a snapshot."""
    results: list[Finding] = []
    errors: list[InputError] = []
    for prop in selected(options):
        try:
            for ob in prop.obligations(snap):
                results.append(finding(ob, options.limits))
        except Exception as exc:  # a property bug must not hide the other results
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            errors.append(InputError(Span("<cnverify>", 1, 1),
                                     f"internal error in {prop.code} ({type(exc).__name__}: {exc} "
                                     f"at {tb.filename.rsplit('/', 1)[-1]}:{tb.lineno}); its results are incomplete"))
    results.sort(key=lambda f: (f.location.file, f.location.line, f.location.column, f.property))
    return results, errors


def prove(paths: Iterable[str], options: Options | None = None, stdin: TextIO | None = None) -> Report:
    """Verify the manifests under ``paths`` and return the report (the library API)."""
    options = options or Options()
    t0 = time.perf_counter()
    loaded = loader.load(paths, stdin=stdin)
    t1 = time.perf_counter()
    snap, model_errors = snapshot.build(loaded)
    t2 = time.perf_counter()
    results, run_errors = check(snap, options)
    t3 = time.perf_counter()
    return Report(results=results, errors=loaded.errors + model_errors + run_errors, inputs=loaded.inputs,
                  unknown_kinds=snap.unknown_kinds, unrecognized_documents=loaded.unrecognized,
                  objects=len(loaded.objects),
                  timings={"parse": t1 - t0, "model": t2 - t1, "solve": t3 - t2})
