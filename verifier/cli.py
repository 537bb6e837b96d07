"""The command line: ``cnverify prove``, ``cnverify properties list|explain``."""

from __future__ import annotations

import codecs
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import click
from cnverify import baseline, config, registry, safefile, systems
from cnverify.catalog import render_catalog, render_systems
from cnverify.config import Excluder
from cnverify.engine import Options, prove, selected
from cnverify.errors import INTERNAL_EXIT, UsageError
from cnverify.loader import iter_files
from cnverify.parallel import available_cores, executor_arg, gc_paused
from cnverify.progress import Progress
from cnverify.proof import VERSION, Report
from cnverify.report import RenderOptions, writers
from cnverify.report import json as json_writer
from cnverify.report.common import repo_root
from cnverify.report.notes import text_notes
from cnverify.solver import Limits
from cnverify.source import printable, run_budget

EXTRA_COMMAND_MODULES = ("cnverify.diff.command",)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="cnverify")
def main() -> None:
    """Prove invariants of cloud-native configuration, or show counterexamples with proof chains."""


@main.command("prove")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    type=click.Choice(sorted(writers())),
    help="Output format (on stdout).",
)
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT=FILE",
    help="Also write the report in FORMAT to FILE (repeatable), e.g. sarif=cnverify.sarif.",
)
@click.option("--show-proved", is_flag=True, help="Also list proved results (text, sarif).")
@click.option("--pretty", is_flag=True, help="JSON indented by two spaces (default: compact; the same value).")
@click.option("--show-suppressed", is_flag=True, help="List the findings suppressed by cnverify.io/ignore.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default=None,
    help="Lowest severity of a violation that makes the exit code 1.  [default: error]",
)
@click.option(
    "--fail-on-unknown/--no-fail-on-unknown", default=None, help="Exit 3 when unknown results blocked a verdict."
)
@click.option(
    "--select",
    multiple=True,
    help="Only these properties: codes, prefixes (CNV1) or names, comma-separated (docs/CI.md).",
)
@click.option("--ignore", multiple=True, help="Skip these properties (codes, prefixes or names).")
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Skip files matching GLOB (relative to the current directory; repeatable).",
)
@click.option(
    "--timeout",
    "timeout_ms",
    type=click.IntRange(1, config.MAX_TIMEOUT_MS),
    default=None,
    help="Wall-clock timeout per routing (regex) query, in milliseconds; other queries are bounded by the deterministic rlimit (and --run-timeout).  [default: 10000]",
)
@click.option(
    "--run-timeout",
    "run_timeout_s",
    type=click.FloatRange(0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Budget for all solver queries of the run; queries after it answer unknown.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Read settings from this file instead of the discovered .cnverify.yaml / pyproject.toml.",
)
@click.option("--no-config", is_flag=True, help="Ignore configuration files.")
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Fail only on findings that are not in this baseline; report the ones that are gone.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record the current violated and unknown findings in this file (exit 0 unless input errors).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress on stderr for long runs (default: when stderr is a terminal).",
)
@click.option("--color/--no-color", default=None, help="Colours (default: when stdout is a terminal).")
@click.option(
    "--unit",
    "unit_mode",
    type=click.Choice(["auto", "cluster", "file"]),
    default=None,
    help="How inputs split into deployment units, each verified as its own cluster (docs/UNITS.md): "
    "auto (kustomizations, charts, manifest folders), cluster (all one), file.  [default: auto]",
)
@click.option(
    "--namespace",
    "-n",
    "namespace",
    default=None,
    metavar="NS",
    help="Namespace of objects that name none, as 'kubectl apply -n NS' (default: an unnamed "
    "namespace of their unit, never assumed to be 'default').",
)
@click.option(
    "--context",
    "context",
    multiple=True,
    metavar="PATH",
    help="Objects that exist in the cluster but are not under review: visible to every property, "
    "never reported on (repeatable).",
)
@click.option(
    "--helm-values",
    "helm_values",
    multiple=True,
    metavar="FILE",
    help="Values file for rendering Helm chart units with 'helm template' (repeatable, later wins).",
)
@click.option(
    "--mesh-config",
    type=click.Path(dir_okay=False),
    default=None,
    help="Istio MeshConfig YAML (or the istio ConfigMap) for path normalisation; default: Istio's DEFAULT.",
)
@click.option(
    "--compose-files",
    "compose_files",
    multiple=True,
    metavar="A,B,...",
    help="Compose files merged as 'docker compose -f A -f B' (comma-separated, in order; repeatable: one merge set each).",
)
@click.option(
    "--explain",
    metavar="CODE",
    default=None,
    help="Only CODE, every result with its whole proof chain, proved ones included "
    "(e.g. --explain CNV302: each quota's worst-case headroom over the reachable replica counts).",
)
@click.option(
    "--jobs",
    "-j",
    "jobs",
    type=click.IntRange(1),
    default=None,
    metavar="N",
    help="Verify deployment units in N processes side by side (same report as 1).  [default: the cores available]",
)
@click.option(
    "--executor",
    default=None,
    metavar="local-dask|dask://HOST:PORT",
    help="Verify the units on a Dask cluster (pip install 'cnverify[dask]'): a local one of --jobs "
    "workers, or the scheduler at HOST:PORT.",
)
@click.option(
    "--certify",
    is_flag=True,
    help="Re-decide every exactly evaluated result with Z3; any disagreement is an internal error (exit 4).",
)
def prove_cmd(
    paths: tuple[str, ...],
    fmt: str,
    reports: tuple[str, ...],
    show_proved: bool,
    pretty: bool,
    show_suppressed: bool,
    fail_on: str | None,
    fail_on_unknown: bool | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    timeout_ms: int | None,
    run_timeout_s: float | None,
    config_file: str | None,
    no_config: bool,
    baseline_file: str | None,
    write_baseline: str | None,
    progress: bool | None,
    color: bool | None,
    explain: str | None,
    unit_mode: str | None,
    namespace: str | None,
    context: tuple[str, ...],
    helm_values: tuple[str, ...],
    mesh_config: str | None,
    compose_files: tuple[str, ...],
    jobs: int | None,
    executor: str | None,
    certify: bool,
) -> None:
    """Verify the manifests in PATHS (files, directories, or - for stdin)."""
    if explain:
        select, show_proved = (explain,), True
    try:
        settings = _settings(
            config_file,
            no_config,
            select,
            ignore,
            exclude,
            fail_on,
            fail_on_unknown,
            timeout_ms,
            baseline_file,
            reports,
        )
        if run_timeout_s is not None:
            settings.options.limits = replace(settings.options.limits, run_timeout_ms=int(run_timeout_s * 1000))
        settings.options.mesh_config = mesh_config or settings.options.mesh_config
        if compose_files:
            settings.options.compose_files = [[f for f in group.split(",") if f] for group in compose_files]
        settings.options.certify = certify or settings.options.certify
        if settings.config_file and fmt == "text":
            click.echo(f"cnverify: using configuration {settings.config_file}", err=True)
        with Progress(enabled=progress) as sink, run_budget():  # alias expansion budgeted over the whole run
            settings.options.progress = sink
            settings.options.unit = unit_mode or settings.unit
            settings.options.namespace = namespace or settings.namespace
            settings.options.context = [*settings.context, *context]
            settings.options.assume = settings.assume
            settings.options.helm_values = helm_values
            settings.options.jobs = jobs or available_cores()
            settings.options.executor = executor_arg(executor)
            formats = {fmt, *(f for f, _ in settings.reports)}
            settings.options.render_json = not pretty and "json" in formats
            settings.options.json_only = settings.options.render_json and formats == {"json"}
            report = prove(paths, settings.options)
        report.config = settings.config_file
        root = repo_root()
        if write_baseline:
            n = baseline.write(report, write_baseline, root)
            click.echo(f"cnverify: recorded {n} finding{'s' * (n != 1)} in {write_baseline}", err=True)
        elif settings.baseline:
            codes = {p.code for p in selected(settings.options)}
            baseline.compare(report, baseline.read(settings.baseline), settings.baseline, root, codes)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from exc
    use_color = sys.stdout.isatty() if color is None else color
    extra = {
        "root": str(root),
        "show_suppressed": show_suppressed,
        "fail_on": settings.fail_on,
        "fail_on_unknown": settings.fail_on_unknown,
    }
    for extra_fmt, file in settings.reports:
        _write(file, _render(extra_fmt, report, RenderOptions(show_proved=show_proved, pretty=pretty, extra=extra)))
    shown = RenderOptions(show_proved=show_proved, color=use_color, pretty=pretty, extra=extra)
    binary = _utf8_stdout() if fmt == json_writer.FORMAT else None
    if binary is not None:  # the same bytes as click.echo's, encoded once (issue 15)
        sys.stdout.flush()
        for data in json_writer.utf8_chunks(report, shown):
            binary.write(data)
            binary.flush()
    else:
        for piece in _pieces(fmt, report, shown):
            click.echo(piece, nl=False)
    if write_baseline:
        sys.exit(INTERNAL_EXIT if report.internal else 2 if report.errors else 0)
    sys.exit(report.exit_code(settings.fail_on, settings.fail_on_unknown))


@dataclass
class Settings:
    """The effective settings of one run: the config file's, overridden by the flags given."""

    options: Options
    fail_on: str
    fail_on_unknown: bool
    excluder: Excluder
    baseline: str | None
    reports: list[tuple[str, str]]
    unit: str = "auto"
    namespace: str | None = None
    context: list[str] = field(default_factory=list)
    assume: list[config.Assumed] = field(default_factory=list)
    config_file: str | None = None  # the configuration file read, if any

    def files(self, paths: tuple[str, ...]) -> list[str]:
        """The inputs, directories expanded, excluded files left out."""
        return [p for p in iter_files(paths) if not self.excluder.excluded(p)]


def _settings(
    config_file: str | None,
    no_config: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    fail_on: str | None,
    fail_on_unknown: bool | None,
    timeout_ms: int | None,
    baseline_file: str | None,
    reports: tuple[str, ...],
) -> Settings:
    if config_file and no_config:
        raise UsageError("--config and --no-config exclude each other")
    found = None if no_config else (Path(config_file) if config_file else config.discover())
    cfg = config.load(found) if found else config.Config()
    selects, ignores = registry.checked(select), registry.checked(ignore)
    excluder = config.Excluder()
    excluder.add(cfg.exclude, cfg.root)
    if found:  # the configuration file is no manifest
        excluder.add(["/" + Path(found).resolve().relative_to(cfg.root).as_posix()], cfg.root)
    excluder.add(exclude, Path.cwd())
    options = Options(
        select=selects or cfg.select or [],
        ignore=ignores or cfg.ignore or [],
        severity=dict(cfg.severity),  # type: ignore[arg-type]
        limits=Limits(timeout_ms=timeout_ms or cfg.timeout or Limits().timeout_ms),
        exclude=excluder.excluded,
        mesh_config=cfg.mesh_config,
        compose_files=cfg.compose_files,
    )
    return Settings(
        options,
        fail_on or cfg.fail_on or "error",
        fail_on_unknown if fail_on_unknown is not None else bool(cfg.fail_on_unknown),
        excluder,
        baseline_file or cfg.baseline,
        [_report_arg(r) for r in reports],
        cfg.unit or "auto",
        cfg.namespace,
        cfg.context,
        cfg.assume,
        cfg.file,
    )


def _pieces(fmt: str, report: Report, options: RenderOptions) -> Iterator[str]:
    """``_render``'s text in pieces (the JSON writer's results a batch at a time: never the whole report
    as one string), for writing as they come."""
    if fmt != json_writer.FORMAT:
        yield _render(fmt, report, options)
        return
    for piece in json_writer.chunks(report, options):
        yield printable(piece)


def _utf8_stdout() -> BinaryIO | None:
    """stdout's byte stream when ``click.echo`` would write text to it as UTF-8 bytes unchanged (a UTF-8
    stream click keeps as it is, no newline translation, not a Windows console), else None."""
    stream = sys.stdout
    encoding, binary = getattr(stream, "encoding", None), getattr(stream, "buffer", None)
    if os.name == "nt" or os.linesep != "\n" or not encoding or binary is None:
        return None
    try:
        return binary if codecs.lookup(encoding).name == "utf-8" else None
    except LookupError:
        return None


def _render(fmt: str, report: Report, options: RenderOptions) -> str:
    with gc_paused():
        out = writers()[fmt](report, options)
    if fmt == "text":  # warnings, suppressions and the baseline comparison, which the text writer leaves out
        out += text_notes(report, bool(options.extra.get("show_suppressed")))
    return printable(out)  # file names with undecodable bytes, as \xff


def _write(file: str, text: str) -> None:
    """Write a report file (its folder created, never through a symlink); failure is a usage error (exit 2)."""
    try:
        safefile.write_text(file, text)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None


def _report_arg(value: str) -> tuple[str, str]:
    fmt, sep, file = value.partition("=")
    if not sep or not file or fmt not in writers():
        raise UsageError(f"--report takes FORMAT=FILE with FORMAT one of {', '.join(writers())}, not {value!r}")
    return fmt, file


@main.group("properties")
def properties_group() -> None:
    """The property catalog."""


@properties_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
def properties_list(fmt: str) -> None:
    """List every property with its code, name and severity."""
    click.echo(render_catalog(fmt), nl=False)


@main.command("systems")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
def systems_list(fmt: str) -> None:
    """List the input systems cnverify reads: the kinds each models and the properties that read them."""
    click.echo(render_systems(fmt), nl=False)


@properties_group.command("explain")
@click.argument("code")
def properties_explain(code: str) -> None:
    """Print one property's page (its documentation from the registry)."""
    try:
        match = registry.select([code])
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    if len(match) != 1:
        raise click.UsageError(
            f"{code} names {len(match)} properties ({', '.join(p.code for p in match)}); explain takes one"
        )
    p = match[0]
    reads = ", ".join(sorted(k.KIND for k in p.reads))
    click.echo(
        f"# {p.code} {p.name}: {p.title}\n\nseverity: {p.severity}    systems: {', '.join(systems.reading(p.reads))}"
        f"    reads: {reads}\n\n{p.doc()}\n\n"
        f"Remediation: {p.remediation}\n"
    )


def _broken(name: str, module: str, exc: Exception) -> click.Command:
    """A stand-in for an extra command whose module fails to import: the other commands keep working."""

    @click.command(
        name,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        help=f"(unavailable: {module} failed to import)",
    )
    def broken() -> None:
        raise click.ClickException(f"'{name}' is unavailable: importing {module} failed: {type(exc).__name__}: {exc}")

    return broken


for _mod in EXTRA_COMMAND_MODULES:
    if importlib.util.find_spec(_mod.rsplit(".", 1)[0]) is not None and importlib.util.find_spec(_mod):
        try:
            main.add_command(importlib.import_module(_mod).command)
        except Exception as _exc:  # noqa: BLE001 - reported when the command is used
            main.add_command(_broken(_mod.split(".")[-2], _mod, _exc))
