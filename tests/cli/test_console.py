"""The console script (``cnverify.console.entry``): click's exit statuses and whole output, then ``os._exit``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cnverify import console
from cnverify.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cnverify", *args], capture_output=True, text=True, cwd=cwd)


def test_the_report_and_status_are_clicks() -> None:
    """The same bytes and exit status as the click command run in-process (violations: 1)."""
    done = run("prove", str(EXAMPLES), "--format", "json", "--jobs", "1")
    inproc = CliRunner().invoke(main, ["prove", str(EXAMPLES), "--format", "json", "--jobs", "1"])
    assert done.returncode == inproc.exit_code == 1
    assert done.stdout == inproc.stdout
    assert json.loads(done.stdout)["summary"]["violated"] > 0


@pytest.mark.parametrize(
    "args, code",
    [(["--version"], 0), (["prove", "--no-such-flag"], 2), (["no-such-command"], 2)],
)
def test_exit_statuses(args: list[str], code: int) -> None:
    done = run(*args)
    assert done.returncode == code
    assert (done.stdout if code == 0 else done.stderr).strip()


class _Broken:
    def flush(self) -> None:
        raise BrokenPipeError


@pytest.mark.parametrize("stdout, code, expected", [(_Broken(), 0, 120), (_Broken(), 1, 1), (None, 0, 0)])
def test_flushing_a_broken_or_closed_stream(
    stdout: object, code: int, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed flush fails only a run that succeeded (as CPython's exit: 120); a closed stream (None) is skipped."""
    monkeypatch.setattr(sys, "stdout", stdout)
    assert console.flushed(code) == expected


def test_closed_stdout_exits_cleanly(tmp_path: Path) -> None:
    done = subprocess.run(f"{sys.executable} -m cnverify --version >&-", shell=True, capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""


@pytest.mark.parametrize("code, expected", [(None, 0), (0, 0), (3, 3), ("boom", 1)])
def test_status_is_sys_exits(code: object, expected: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert console.status(code) == expected
    assert capsys.readouterr().err == ("boom\n" if code == "boom" else "")
