"""The run: load → model → properties → solver → report."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from cnverify import loader, smt, snapshot, suppress
from cnverify.errors import InternalError
from cnverify.model.base import Resource
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
    progress: Callable[[str, int, int], None] | None = None  # (stage or property code, done, total)
    suppressions: bool = True  # honour ``cnverify.io/ignore`` annotations (see cnverify.suppress)


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


def check(snap: snapshot.Snapshot, options: Options) -> tuple[list[Finding], list[InternalError]]:
    """Run the selected properties over a snapshot."""
    pairs, errors = _run(snap, options, selected(options))
    return [f for f, _ in pairs], errors


def _run(snap: snapshot.Snapshot, options: Options,
         props: list[Property]) -> tuple[list[tuple[Finding, Resource]], list[InternalError]]:
    """Each finding with the resource it is about, sorted by location."""
    results: list[tuple[Finding, Resource]] = []
    errors: list[InternalError] = []
    with smt.budget(options.limits):
        for i, prop in enumerate(props):
            _run_one(snap, options, prop, i, len(props), results, errors)
    results.sort(key=lambda p: (p[0].location.file, p[0].location.line, p[0].location.column, p[0].property))
    return results, errors


def _run_one(snap: snapshot.Snapshot, options: Options, prop: Property, i: int, n: int,
             results: list[tuple[Finding, Resource]], errors: list[InternalError]) -> None:
    """One property's findings appended to ``results``; a crash becomes an internal-error record."""
    if options.progress:
        options.progress(prop.code, i, n)
    try:
        for ob in prop.obligations(snap):
            results.append((finding(ob, options.limits), ob.subject))
    except Exception as exc:  # a property bug must not hide the other results
        errors.append(InternalError.of(prop.code, exc))


def prove(paths: Iterable[str], options: Options | None = None, stdin: TextIO | None = None) -> Report:
    """Verify the manifests under ``paths`` and return the report (the library API)."""
    options = options or Options()
    note = options.progress or (lambda stage, done, total: None)
    t0 = time.perf_counter()
    note("parse", 0, 0)
    loaded = loader.load(paths, stdin=stdin)
    t1 = time.perf_counter()
    note("model", 0, 0)
    snap, model_errors = snapshot.build(loaded)
    t2 = time.perf_counter()
    props = selected(options)
    pairs, internal = _run(snap, options, props)
    t3 = time.perf_counter()
    if options.suppressions:
        results, suppressed, warnings = suppress.apply(pairs, snap, {p.code for p in props})
    else:
        results, suppressed, warnings = [f for f, _ in pairs], [], []
    return Report(results=results, errors=loaded.errors + model_errors, internal=internal, inputs=loaded.inputs,
                  unknown_kinds=snap.unknown_kinds, unrecognized_documents=loaded.unrecognized,
                  objects=len(loaded.objects),
                  timings={"parse": t1 - t0, "model": t2 - t1, "solve": t3 - t2},
                  suppressed=suppressed, warnings=warnings)
