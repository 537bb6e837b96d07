"""``cnverify diff``: what a configuration change does to invariants, routing and capacity."""

from __future__ import annotations

import os
import sys
import tempfile

import click
from cnverify.diff.gitsource import Git, path_side, rev_side, worktree_side
from cnverify.diff.render import RENDERERS
from cnverify.diff.run import FAIL_ON, DiffResult, diff
from cnverify.diff.slicing import plan
from cnverify.engine import Options
from cnverify.errors import UsageError
from cnverify.registry import checked
from cnverify.solver import Limits


class _SplitDashDash(click.Command):
    """Keeps what follows ``--`` apart (the PATHS of ``--git``), instead of merging it into REVS."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            i = args.index("--")
            ctx.meta["diff_paths"] = args[i + 1 :]
            args = args[:i]
        return super().parse_args(ctx, args)


@click.command("diff", cls=_SplitDashDash)
@click.argument("sides", nargs=-1)
@click.option(
    "--git",
    "use_git",
    is_flag=True,
    help="SIDES are REV1 [REV2] of the current git repository (REV2: the working tree); "
    "limit to paths with '-- PATHS'.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option(
    "--fail-on",
    multiple=True,
    type=click.Choice(FAIL_ON),
    default=("new-violation",),
    show_default=True,
    help="Exit 1 when such a change is found (repeatable).",
)
@click.option(
    "--select",
    multiple=True,
    help="Only these properties: codes, prefixes (CNV1) or names, comma-separated (docs/CI.md).",
)
@click.option("--ignore", multiple=True, help="Skip these properties (codes, prefixes or names).")
@click.option(
    "--timeout",
    "timeout_ms",
    type=click.IntRange(1),
    default=10_000,
    show_default=True,
    help="Wall-clock timeout per routing (regex) query, in milliseconds; other queries are bounded by the deterministic rlimit (and --run-timeout).",
)
@click.option("--full", is_flag=True, help="Re-check every file, not only the slice the change can affect.")
@click.pass_context
def command(
    ctx: click.Context,
    sides: tuple[str, ...],
    use_git: bool,
    fmt: str,
    fail_on: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    timeout_ms: int,
    full: bool,
) -> None:
    """Compare two configurations: OLD NEW (files or directories), or --git REV1 [REV2] [-- PATHS].

    Reports new, fixed and still-violated invariants and new unknowns (findings matched by
    fingerprint), per routing entry point a witness request for every routing difference or a
    proof that none exists, and capacity before/after. Exit 0 ok, 1 a change --fail-on gates,
    2 usage or input error (on the new side), 4 an internal error (a property crashed).
    """
    paths: list[str] = ctx.meta.get("diff_paths", [])
    try:
        options = Options(select=checked(select), ignore=checked(ignore), limits=Limits(timeout_ms=timeout_ms))
        with tempfile.TemporaryDirectory(prefix="cnverify-diff-") as scratch:
            result = _run(sides, paths, use_git, scratch, options, full)
            click.echo(RENDERERS[fmt](result), nl=False)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from exc
    sys.exit(result.exit_code(fail_on))


def _run(
    sides: tuple[str, ...], paths: list[str], use_git: bool, scratch: str, options: Options, full: bool
) -> DiffResult:
    if use_git:
        if not 1 <= len(sides) <= 2:
            raise UsageError("--git takes REV1 [REV2] (paths go after '--')")
        git = Git()
        old = rev_side(git, sides[0], paths, scratch)
        new = rev_side(git, sides[1], paths, scratch) if len(sides) == 2 else worktree_side(git, paths)
    else:
        if len(sides) != 2 or paths:
            raise UsageError("give OLD and NEW (files or directories), or --git REV1 [REV2] [-- PATHS]")
        key = os.path.basename(sides[1]) if os.path.isfile(sides[0]) and os.path.isfile(sides[1]) else None
        old, new = path_side(sides[0], "old", key), path_side(sides[1], "new", key)
        old.label, new.label = sides[0], sides[1]
    return diff(old, new, options, None if full else plan(old, new), git=use_git)
