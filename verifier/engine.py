"""The run: load → model → properties → solver → report."""

from __future__ import annotations

import dataclasses
import os
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TextIO

from cnverify import context as ctx
from cnverify import (
    loader,
    merging,
    parallel,
    smt,
    snapshot,
    suppress,
    systems,
    unit_alternatives,
    unit_namespaces,
    unit_trees,
    units,
)
from cnverify.config import Assumed
from cnverify.errors import InputError, InternalError, Span
from cnverify.model.base import UNIT_NAMESPACE, Resource
from cnverify.proof import Finding, Notice, Report, Severity, Step, Suppressed
from cnverify.registry import Property, per_code, select
from cnverify.run_context import RunContext
from cnverify.solver import Limits, certifying, finding


@dataclass
class Options:
    """What to check and how: code selection, severity overrides, solver limits."""

    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    progress: Callable[[str, int, int], None] | None = None  # (stage or property code, done, total)
    suppressions: bool = True  # honour ``cnverify.io/ignore`` annotations (see cnverify.suppress)
    unit: str = "auto"  # how inputs split into deployment units: auto | cluster | file (cnverify.units)
    namespace: str | None = None  # the namespace of objects naming none (as ``kubectl apply -n``)
    exclude: Callable[[str], bool] | None = None  # files to leave out (the CLI's --exclude globs)
    context: Sequence[str] = ()  # files/folders of objects in the cluster but not under review (never subjects)
    assume: Sequence[Assumed] = ()  # objects known to exist without manifests (config ``assume:``)
    helm_values: Sequence[str] = ()  # values files for rendering Helm chart units (helm template --values)
    mesh_config: str | None = None  # Istio MeshConfig file (or istio ConfigMap): path normalisation before routing
    jobs: int = 1  # processes verifying units side by side (cnverify.parallel; the CLI's default: the cores)
    executor: str | None = None  # a Dask cluster instead: local-dask | dask://HOST:PORT (cnverify[dask])
    certify: bool = False  # re-decide every exactly evaluated obligation with Z3; disagreement: internal error
    compose_files: Sequence[Sequence[str]] = ()  # compose files merged as docker compose -f a -f b (each a set)
    # each finding's compact JSON made where its unit is verified (Finding.render): set by the CLI when a compact
    # JSON report will be written; off for the library and `diff`, whose findings the writer renders if asked
    render_json: bool = False
    json_only: bool = False  # every report is compact JSON: a finding keeps its rendered text, not its chain


def selected(options: Options) -> list[Property]:
    """Instances of the properties chosen by ``select`` / ``ignore`` (:func:`cnverify.registry.select`), with
    the ``severity`` overrides (keys are tokens by the same rule: :func:`cnverify.registry.per_code`)."""
    severity = per_code(options.severity)
    return [cls(severity.get(cls.code)) for cls in select(options.select, options.ignore)]


def check(snap: snapshot.Snapshot, options: Options) -> tuple[list[Finding], list[InternalError]]:
    """Run the selected properties over a snapshot."""
    pairs, errors = _run(snap, options, selected(options))
    return [f for f, _ in pairs], errors


def _run(
    snap: snapshot.Snapshot, options: Options, props: list[Property]
) -> tuple[list[tuple[Finding, Resource]], list[InternalError]]:
    """Each finding with the resource it is about, sorted by location; a crashed property is an
    internal-error record.  Queries run under the run's budget (one is installed if none is)."""
    snap.settings["mesh_config"] = options.mesh_config
    run = RunContext(snap, options.limits)  # one context per snapshot: its memo is shared by the properties
    results: list[tuple[Finding, Resource]] = []
    errors: list[InternalError] = []
    with smt.using(options.limits), certifying(options.certify):
        for i, prop in enumerate(props):
            if options.progress:
                options.progress(prop.code, i, len(props))
            try:
                for ob in prop.obligations(run):
                    f = closed_world(finding(ob), prop, snap)
                    f = ctx.mark_assumed(unit_namespace_note(f), snap.assumed, prop.existence)
                    results.append((f, ob.subject))
            except Exception as exc:  # a property bug must not hide the other results
                errors.append(InternalError.of(prop.code, exc))
    if snap.run_context is run:  # the snapshot and its context refer to each other: unlinked, refcounts free both
        snap.run_context = None
    results.sort(key=_by_location)
    return results, errors


def _by_location(pair: tuple[Finding, Resource]) -> tuple[str, int, int, str]:
    f = pair[0]
    return f.location.file, f.location.line, f.location.column, f.property


def _run_spread(
    snap: snapshot.Snapshot, options: Options, props: list[Property]
) -> tuple[list[tuple[Finding, Resource]], list[InternalError]]:
    """``_run`` with the properties spread over ``options.jobs`` forked workers, each seeing the whole
    snapshot (a unit verified alone; docs/ARCHITECTURE.md): the same pairs, in the same order."""
    if options.jobs <= 1 or len(props) <= 1 or not parallel.may_fan_out():
        return _run(snap, options, props)
    position = {id(r): n for n, r in enumerate(snap.resources)}

    def one(k: int) -> tuple[list[Finding], list[int], list[InternalError]] | None:
        pairs, errors = _run(snap, options, [props[k]])
        where = [position.get(id(res), -1) for _, res in pairs]
        return None if -1 in where else ([f for f, _ in pairs], where, errors)

    results: list[tuple[Finding, Resource]] = []
    errors: list[InternalError] = []
    for k, got in parallel.fanned(one, list(range(len(props))), options.jobs):
        if got is None:  # a subject outside the snapshot's list cannot be named across processes: run here
            pairs, errs = _run(snap, options, [props[k]])
        elif isinstance(got, BaseException):
            pairs, errs = [], [parallel.crashed(props[k].code, got)]
        else:
            pairs, errs = [(f, snap.resources[n]) for f, n in zip(got[0], got[1], strict=True)], got[2]
        results += pairs
        errors += errs
    results.sort(key=_by_location)  # stable: per property as _run orders them, as one _run over all would
    return results, errors


CONTEXT_HINT = (
    "if what is missing exists outside these files, pass its manifests with --context PATH or "
    "declare it under 'assume:' in .cnverify.yaml (docs/UNITS.md)"
)


UNIT_NAMESPACE_STEP = (
    f"objects that name no namespace share one, shown as {UNIT_NAMESPACE}: the namespace "
    "'kubectl apply' of the unit puts them in (not assumed to be default; fix it with --namespace)"
)


def unit_namespace_note(f: Finding) -> Finding:
    """Say so in the chain when a verdict rests on the unnamed unit namespace (the inputs do not show it)."""
    if f.status == "unknown" or (
        f.subject.get("namespace") != UNIT_NAMESPACE and not any(UNIT_NAMESPACE in s.claim for s in f.chain)
    ):
        return f
    return dataclasses.replace(f, chain=[*f.chain[:-1], Step(UNIT_NAMESPACE_STEP), *f.chain[-1:]])


def closed_world(f: Finding, prop: Property, snap: snapshot.Snapshot) -> Finding:
    """Apply the closed-world rule to a finding of ``prop``: a verdict that rests on the unit being read
    whole (``prop.closed_world``) becomes unknown when documents of the unit could not be read; a
    violation that stands says how to declare objects that live outside the files."""
    if f.status not in prop.closed_world:
        return f
    gap = snap.closed_world_gap
    if gap is None:
        return (
            dataclasses.replace(f, help=f"{f.help.rstrip('.')}; {CONTEXT_HINT}" if f.help else CONTEXT_HINT)
            if f.status == "violated"
            else f
        )
    step = Step(f"{gap}: they may hold what this {f.status} verdict rests on", snap.first_unread)
    return dataclasses.replace(f, status="unknown", message=f"{f.message} (not decided: {gap})", chain=[*f.chain, step])


def prove(paths: Iterable[str], options: Options | None = None, stdin: TextIO | None = None) -> Report:
    """Verify the manifests under ``paths`` and return the report (the library API).

    The inputs are split into deployment units (:mod:`cnverify.units`), each verified as its own
    cluster view; a finding that several units share is reported once, listing them.
    """
    options = options or Options()
    with parallel.gc_paused():  # the run's collector policy: docs/PERFORMANCE.md#the-collector
        return _prove(paths, options, stdin)


def _prove(paths: Iterable[str], options: Options, stdin: TextIO | None) -> Report:
    note = options.progress or (lambda stage, done, total: None)
    t0 = time.perf_counter()
    note("parse", 0, 0)
    context = ctx.read_context(options.context, options.exclude)
    assumed, cites = ctx.placeholders(options.assume)
    context.objects[:0] = assumed
    context_files = {os.path.realpath(i["file"]) for i in context.inputs}
    excluded = options.exclude
    skip = (
        (lambda f: os.path.realpath(f) in context_files or bool(excluded and excluded(f)))
        if context_files
        else excluded
    )
    reading = lambda: systems.run_options(options)  # noqa: E731 - adapters read run options while inputs are read
    with reading():
        tree = unit_trees.split(paths, skip, options.compose_files, options.jobs) if _splits(options) else None
    props = selected(options)
    job = UnitJob(options, props, context, cites)
    if tree is not None:  # each worker discovers and verifies whole subfolders (cnverify.unit_trees)
        walked = time.perf_counter() - t0  # the parent's share of the parse: the walk and the split
        with reading(), smt.budget(options.limits), parallel.frozen():
            rest, pairs, parsed = unit_trees.verified(
                tree,
                list(options.helm_values),
                lambda unit: verify_unit(unit, job),
                lambda found: parallel.verify_all(
                    found, job, verify_unit, options.jobs, None, _crashed_part, fork=True
                ),
                reading,
                options.jobs,
            )
        out = merging.merged(rest, context.errors, {"parse": walked + parsed, "model": 0.0, "solve": 0.0})
        for n, (unit, part) in enumerate(pairs):
            note("units", n, len(pairs))
            out.add(unit, part)
        return out.finish()
    with reading():
        found = units.discover(paths, options.unit, skip, stdin, list(options.helm_values))
    out = merging.merged(found.rest, context.errors, {"parse": time.perf_counter() - t0, "model": 0.0, "solve": 0.0})
    with smt.budget(options.limits), parallel.frozen():  # one deadline for every unit; parsed inputs frozen
        for n, (unit, part) in enumerate(
            parallel.verify_all(found.units, job, verify_unit, options.jobs, options.executor, _crashed_part)
        ):
            if options.jobs > 1 or options.executor:  # workers report nothing: count the units merged
                note("units", n, len(found.units))
            out.add(unit, part)
            unit.loaded.objects = []  # merged: its parsed objects are not read again (alternatives hold their own)
    return out.finish()


def _splits(options: Options) -> bool:
    """Whether discovery may be split over forked local workers (``--unit auto``, ``--jobs`` > 1, no Dask)."""
    return options.unit == "auto" and options.jobs > 1 and not options.executor and parallel.may_fan_out()


@dataclass
class UnitPart:
    """What verifying one unit adds to the report, before merging (picklable: parallel workers return it).

    ``keys`` are the findings' merge keys (:func:`cnverify.merging.merge_key`), made where the unit was verified, as the
    findings' JSON is (``Finding.rendered``)."""

    results: list[Finding] = field(default_factory=list)
    keys: list[Hashable] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)  # unused / unknown suppressions
    notices: list[Notice] = field(default_factory=list)  # the snapshot's (duplicate objects, ...)
    errors: list[InputError] = field(default_factory=list)
    internal: list[InternalError] = field(default_factory=list)
    unknown_kinds: Counter[str] = field(default_factory=Counter)
    model_s: float = 0.0
    solve_s: float = 0.0


@dataclass
class UnitJob:
    """What every unit of a run is verified with (shared by the units; workers inherit or receive it)."""

    options: Options
    props: list[Property]
    context: loader.LoadResult
    cites: dict[Span, ctx.Citation]

    def portable(self) -> UnitJob:
        """This job for another machine: no callbacks, and the run deadline as the time left now."""
        left = smt.current().deadline
        limits = self.options.limits
        if left is not None:
            limits = dataclasses.replace(limits, run_timeout_ms=max(1, int((left - time.monotonic()) * 1000)))
        return dataclasses.replace(
            self, options=dataclasses.replace(self.options, progress=None, exclude=None, limits=limits, jobs=1)
        )


def verify_unit(unit: units.Unit, job: UnitJob) -> UnitPart:
    """Verify one (verified) unit as its own cluster view: findings after the unit-namespace readings
    and suppressions, with everything else the unit adds to the report."""
    options, props, context, cites = job.options, job.props, job.context, job.cites
    loaded = unit.loaded
    if options.progress:
        options.progress("model", 0, 0)
    t1 = time.perf_counter()
    enforce: Literal["", "override", "require"] = (
        "override" if unit.namespace else "require" if options.namespace else ""
    )
    namespace = unit.namespace or options.namespace
    if unit.namespace and options.namespace and unit.namespace != options.namespace:
        # kubectl apply -k DIR -n NS rejects what the kustomization put in another namespace
        enforce, namespace = "require", options.namespace
    unread_context = [e.location for e in context.errors]
    snap, model_errors = snapshot.build(loaded, namespace, context.objects, enforce, unread_context)
    snap.assumed = cites
    t2 = time.perf_counter()
    if len(loaded.objects) < parallel.SPREAD_MIN_OBJECTS:  # starting workers would cost more than they save
        options = dataclasses.replace(options, jobs=1)
    pairs, run_errors = _run_spread(snap, options, props)
    pairs = [(f, res) for f, res in pairs if id(res) not in snap.context_ids]  # context: never a subject

    def placed_in(ns: str) -> list[tuple[Finding, Resource]]:  # namespace-less objects in ``ns`` instead
        other, _ = snapshot.build(loaded, ns, context.objects, context_unread=unread_context)
        other.assumed = cites
        found, _ = _run_spread(other, dataclasses.replace(options, progress=None), props)
        same = {r.metadata.at("name"): r for r in snap.resources}  # the subject as this unit's snapshot holds it
        return [(f, same.get(res.metadata.at("name"), res)) for f, res in found if id(res) not in other.context_ids]

    if not (unit.namespace or options.namespace):
        pairs = unit_namespaces.decide(pairs, placed_in, unit_namespaces.named_namespaces(loaded))
    if unit.alternatives:
        by_code = {p.code: p for p in props}

        def with_alternatives(codes: set[str], files: Sequence[str]) -> list[tuple[Finding, Resource]]:
            extra = [o for f in files for o in unit.alternatives[f]]  # these files of the folder applied too
            other, _ = snapshot.build(loaded, namespace, context.objects + extra, enforce, unread_context)
            other.assumed = cites
            props_of = [by_code[c] for c in sorted(codes)]
            found, _ = _run_spread(other, dataclasses.replace(options, progress=None), props_of)
            return [(f, res) for f, res in found if id(res) not in other.context_ids]

        pairs = unit_alternatives.decide(
            pairs,
            with_alternatives,
            lambda f: f.status in by_code[f.property].closed_world,
            units.alternative_sets(unit),
            sorted(unit.alternatives, key=loader.path_key),
        )
    part = UnitPart(
        errors=loaded.errors + model_errors,
        internal=run_errors,
        notices=list(snap.notices),
        unknown_kinds=Counter(snap.unknown_kinds),
        model_s=t2 - t1,
        solve_s=time.perf_counter() - t2,
    )
    if options.suppressions:
        part.results, part.suppressed, part.warnings = suppress.apply(pairs, snap, {p.code for p in props})
    else:
        part.results = [f for f, _ in pairs]
    part.keys = [merging.merge_key(f, options.render_json) for f in part.results]
    if options.json_only:
        for f in part.results:
            f.slim()
    return part


def _crashed_part(unit: units.Unit, error: InternalError) -> UnitPart:
    """The part of a unit whose worker crashed: the internal-error record alone."""
    return UnitPart(internal=[error])
