"""Progress on stderr (terminal only), stdin input, and the CLI's robustness to a broken extra command."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

from cli_helpers import hpa, run, write
from click.testing import CliRunner
from cnverify.cli import _broken
from cnverify.engine import Options, prove
from cnverify.progress import Progress


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_stderr_is_not_a_terminal(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    proc = subprocess.run(
        [sys.executable, "-m", "cnverify", "prove", "a.yaml", "--select", "CNV401"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert proc.returncode == 1 and proc.stderr == ""
    assert Progress(io.StringIO()).enabled is False


def test_progress_draws_after_the_delay_and_clears(repo: Path) -> None:
    stream = FakeTty()
    sink = Progress(stream, delay=0.0, interval=0.01)
    assert sink.enabled
    write(repo / "a.yaml", hpa("bad", 5, 3))
    with sink:
        report = prove(["a.yaml"], Options(select=["CNV401"], progress=sink))
        sink("CNV401", 0, 2)
        time.sleep(0.1)
    assert len(report.results) == 1
    text = stream.getvalue()
    assert "cnverify: proving CNV401 (1/2)" in text
    assert text.endswith("\r\x1b[K")  # the line is cleared when the run ends


def test_no_output_before_the_delay_even_on_a_terminal() -> None:
    stream = FakeTty()
    with Progress(stream, delay=5.0) as sink:
        sink("parse", 0, 0)
    assert stream.getvalue() == ""
    with Progress(FakeTty(), enabled=False, delay=0.0) as off:
        time.sleep(0.02)
    assert off.stream.getvalue() == ""


def test_stages_are_reported_in_order(repo: Path) -> None:
    write(repo / "a.yaml", hpa("bad", 5, 3))
    seen: list[tuple[str, int, int]] = []
    prove(["a.yaml"], Options(select=["CNV40"], progress=lambda *a: seen.append(a)))
    assert seen[:2] == [("parse", 0, 0), ("model", 0, 0)]
    codes = seen[2:]
    assert [c[1] for c in codes] == list(range(len(codes))) and all(c[2] == len(codes) for c in codes)
    assert ("CNV401", 0, len(codes)) in codes


def test_stdin_locations(repo: Path) -> None:
    code, out, _ = run("prove", "-", "--select", "CNV401", "--format", "github", input=hpa("bad", 5, 3))
    assert code == 1 and out.startswith("::error title=CNV401 hpa-bounds::HorizontalPodAutoscaler shop/bad")
    code, out, _ = run("prove", "-", "--select", "CNV401", input=hpa("bad", 5, 3))
    assert out.startswith("<stdin>:8:3: CNV401 [violated, error]")


def test_a_broken_extra_command_does_not_break_the_cli() -> None:
    cmd = _broken("diff", "cnverify.diff.command", ImportError("no module x"))
    res = CliRunner().invoke(cmd, ["a", "--b"])
    assert res.exit_code == 1
    assert "'diff' is unavailable: importing cnverify.diff.command failed: ImportError: no module x" in res.output
