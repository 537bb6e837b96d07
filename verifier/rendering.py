"""What rendering a unit (kustomization, Helm chart) yields, and running the rendering tool.

A unit is rendered by its own tool (``kustomize build``, ``helm template``) or not at all: without
the tool the unit is reported as not verified (:class:`NotVerified`, with an install hint), never
half-read from its sources.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field

from cnverify.errors import InputError, Span
from cnverify.loader import RawObject

TIMEOUT_S = 120.0  # one build; kubeflow's largest overlay takes ~3 s
# Defence in depth: remote bases are refused before a build (kustomize.walk); a URL that slips
# through cannot be fetched either (proxies point at a closed port, git speaks only file://).
OFFLINE_ENV = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
    "no_proxy": "",
    "GIT_ALLOW_PROTOCOL": "file",
    "GIT_TERMINAL_PROMPT": "0",
}


@dataclass
class Rendered:
    """A rendered unit: objects whose spans point at the source files they came from."""

    root: str  # the kustomization directory or chart directory as given
    objects: list[RawObject] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    members: set[str] = field(default_factory=set)  # absolute, normalised paths of every file the unit reads
    namespace: str | None = None  # the kustomization's ``namespace:`` (or Helm's ``--namespace``)
    tool: str = ""  # e.g. "kubectl kustomize (kustomize v5.8.1)"
    seconds: float = 0.0  # wall-clock time of the build
    unmapped: int = 0  # rendered fields located only at their nearest located ancestor
    notes: list[str] = field(default_factory=list)  # caveats: Helm template lines, kustomize warnings


@dataclass
class NotVerified:
    """A unit that cannot be rendered here (its tool is missing): report it, do not half-read it."""

    root: str
    location: Span  # the kustomization file or Chart.yaml
    reason: str
    hint: str  # how to make it verifiable
    members: set[str] = field(default_factory=set)  # absolute paths of the files the unit owns

    def __str__(self) -> str:
        return f"{self.location}: not verified: {self.reason}; {self.hint}"


@dataclass
class ToolRun:
    stdout: str
    stderr: str
    failed: str | None  # why the run failed (exit status, timeout), or None


def run_tool(argv: list[str], cwd: str | None = None, timeout: float = TIMEOUT_S) -> ToolRun:
    """Run a rendering tool offline with a timeout; never raises for the tool's own failures."""
    env = {**os.environ, **OFFLINE_ENV}
    try:
        proc = subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
        )
    except subprocess.TimeoutExpired:
        return ToolRun("", "", f"{os.path.basename(argv[0])} did not finish within {timeout:g} s")
    except OSError as exc:
        return ToolRun("", "", f"cannot run {argv[0]}: {exc.strerror}")
    out, err = (b.decode("utf-8", "replace") for b in (proc.stdout, proc.stderr))
    if proc.returncode != 0:
        return ToolRun(out, err, tool_message(err) or f"exit status {proc.returncode}")
    return ToolRun(out, err, None)


_KLOG_FAILED = re.compile(r'^E\d{4} [^\]]*\] "command failed" err="(.*)"$')
_KLOG_ESCAPE = re.compile(r"\\(.)")  # klog quotes the message Go-style: \" \\ \n


def tool_message(stderr: str) -> str:
    """The tool's error message: its ``Error:``/``error:`` lines (or kubectl's klog ``command failed``
    line), else its last non-empty line."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors: list[str] = []
    for ln in lines:
        klog = _KLOG_FAILED.match(ln)
        if klog:
            errors.append(_KLOG_ESCAPE.sub(lambda m: " " if m.group(1) in "nt" else m.group(1), klog.group(1)))
        elif ln.lower().startswith("error: "):
            errors.append(ln[7:])
        elif errors and errors[-1].count("`") % 2:  # inside a quoted block (kustomize prints configs so)
            errors[-1] += " " + ln
    return "; ".join(dict.fromkeys(errors)) if errors else (lines[-1] if lines else "")


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    """A private temporary directory (never inside the user's tree)."""
    return tempfile.TemporaryDirectory(prefix="cnverify-render-")
