"""The command line: ``cnverify prove``, ``cnverify properties list|explain``."""
from __future__ import annotations

import importlib
import importlib.util
import json
import sys

import click

from cnverify.engine import Options, prove
from cnverify.errors import UsageError
from cnverify.proof import VERSION
from cnverify.registry import load_properties
from cnverify.report import RenderOptions, writers
from cnverify.solver import Limits

EXTRA_COMMAND_MODULES = ("cnverify.diff.command",)


def _codes(values: tuple[str, ...]) -> list[str]:
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="cnverify")
def main() -> None:
    """Prove invariants of cloud-native configuration, or show counterexamples with proof chains."""


@main.command("prove")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", default="text", show_default=True,
              type=click.Choice(sorted(writers())), help="Output format.")
@click.option("--show-proved", is_flag=True, help="Also list proved results (text format).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default="error",
              show_default=True, help="Lowest severity of a violation that makes the exit code 1.")
@click.option("--fail-on-unknown", is_flag=True, help="Exit 3 when unknown results blocked a verdict.")
@click.option("--select", multiple=True, help="Only these codes (comma-separated; a prefix like CNV1 works).")
@click.option("--ignore", multiple=True, help="Skip these codes (comma-separated; prefixes work).")
@click.option("--timeout", "timeout_ms", type=click.IntRange(1), default=10_000, show_default=True,
              help="Solver wall-clock timeout per query, in milliseconds.")
@click.option("--color/--no-color", default=None, help="Colours (default: when stdout is a terminal).")
def prove_cmd(paths: tuple[str, ...], fmt: str, show_proved: bool, fail_on: str, fail_on_unknown: bool,
              select: tuple[str, ...], ignore: tuple[str, ...], timeout_ms: int, color: bool | None) -> None:
    """Verify the manifests in PATHS (files, directories, or - for stdin)."""
    known = load_properties()
    for code in _codes(select) + _codes(ignore):
        if not any(c.startswith(code) or cls.name == code for c, cls in known.items()):
            raise click.UsageError(f"unknown property code or name: {code}")
    options = Options(select=_codes(select), ignore=_codes(ignore), limits=Limits(timeout_ms=timeout_ms))
    try:
        report = prove(paths, options)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from exc
    use_color = sys.stdout.isatty() if color is None else color
    click.echo(writers()[fmt](report, RenderOptions(show_proved=show_proved, color=use_color)), nl=False)
    sys.exit(report.exit_code(fail_on, fail_on_unknown))


@main.group("properties")
def properties_group() -> None:
    """The property catalog."""


@properties_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
def properties_list(fmt: str) -> None:
    """List every property with its code, name and severity."""
    click.echo(render_catalog(fmt), nl=False)


def render_catalog(fmt: str) -> str:
    """The catalog from the registry, as text, Markdown (the README table) or JSON."""
    props = load_properties()
    if fmt == "json":
        return json.dumps([{"code": c, "name": p.name, "title": p.title, "severity": p.severity,
                            "reads": sorted(k.KIND for k in p.reads), "summary": p.summary(),
                            "remediation": p.remediation} for c, p in props.items()], indent=2) + "\n"
    if fmt == "markdown":
        rows = ["| code | name | severity | what it proves |", "|---|---|---|---|"]
        rows += [f"| {c} | {p.name} | {p.severity} | {p.summary()} |" for c, p in props.items()]
        return "\n".join(rows) + "\n"
    return "".join(f"{c}  {p.name:<28} {p.severity:<8} {p.title}\n" for c, p in props.items())


@properties_group.command("explain")
@click.argument("code")
def properties_explain(code: str) -> None:
    """Print one property's page (its documentation from the registry)."""
    props = load_properties()
    match = [p for c, p in props.items() if c == code.upper() or p.name == code]
    if not match:
        raise click.UsageError(f"unknown property: {code} (see 'cnverify properties list')")
    p = match[0]
    reads = ", ".join(sorted(k.KIND for k in p.reads))
    click.echo(f"# {p.code} {p.name}: {p.title}\n\nseverity: {p.severity}    reads: {reads}\n\n{p.doc()}\n\n"
               f"Remediation: {p.remediation}\n")


for _mod in EXTRA_COMMAND_MODULES:
    if importlib.util.find_spec(_mod.rsplit(".", 1)[0]) is not None and importlib.util.find_spec(_mod):
        main.add_command(importlib.import_module(_mod).command)


