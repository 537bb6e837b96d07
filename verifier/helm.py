"""Render a Helm chart with ``helm template``; its ``templates/`` are never parsed as YAML.

Helm prints ``# Source: CHART/templates/x.yaml`` before each rendered document (CHART is the chart's
name; subcharts read ``CHART/charts/SUB/templates/y.yaml``). That names the template file; a line
inside a template cannot be mapped back (the template language moves and repeats lines), so every
field of a rendered object points at its template file's first line, and the result says so.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Sequence

from cnverify.errors import InputError, Span
from cnverify.loader import RawObject
from cnverify.rendering import TIMEOUT_S, NotVerified, Rendered, run_tool
from cnverify.source import Document, compose

CHART_FILE = "Chart.yaml"
TEMPLATE_LINES_NOTE = "Helm template lines cannot be mapped: locations point at each template file's first line"
_SOURCE = re.compile(r"^# Source: (\S.*?)\s*$", re.M)
_SEPARATOR = re.compile(r"^---[ \t]*(?:#.*)?$", re.M)


def hint(chart: str) -> str:
    """How to verify a chart without helm here: render it yourself and pipe it in."""
    name = os.path.basename(os.path.normpath(os.path.abspath(chart))) or "chart"
    return f"helm is not on PATH; render it yourself: helm template {name} {chart} | cnverify prove -"


def chart_members(chart: str) -> set[str]:
    """Absolute paths of every file under the chart directory (templates, values, subcharts)."""
    out: set[str] = set()
    for root, dirs, files in os.walk(chart):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.update(os.path.abspath(os.path.join(root, f)) for f in files)
    return out


def render_chart(
    chart: str,
    values: Sequence[str] = (),
    release: str | None = None,
    namespace: str | None = None,
    timeout: float = TIMEOUT_S,
) -> Rendered | NotVerified:
    """``helm template`` the chart in ``chart`` with the given values files (in order, later wins)."""
    chart_file = Span(os.path.normpath(os.path.join(chart, CHART_FILE)), 1, 1)
    members = chart_members(chart) | {os.path.abspath(v) for v in values}
    helm = shutil.which("helm")
    if helm is None:
        return NotVerified(chart, chart_file, "helm is not installed", hint(chart), members)
    name = release or os.path.basename(os.path.normpath(os.path.abspath(chart))) or "release"
    argv = [helm, "template", name, chart]
    for v in values:
        argv += ["--values", v]
    if namespace:
        argv += ["--namespace", namespace]
    start = time.perf_counter()
    run = run_tool(argv, timeout=timeout)
    out = Rendered(
        chart,
        members=members,
        namespace=namespace,
        tool="helm template",
        seconds=time.perf_counter() - start,
        notes=[TEMPLATE_LINES_NOTE],
    )
    if run.failed:
        out.errors.append(InputError(chart_file, f"helm template failed: {run.failed}"))
        return out
    for text in _SEPARATOR.split(run.stdout):
        source = _SOURCE.search(text)
        file = _template_file(chart, source.group(1)) if source else chart_file.file
        for item in compose(text, file):
            if isinstance(item, InputError):
                out.errors.append(InputError(Span(file, 1, 1), f"helm rendered invalid YAML: {item.message}"))
            elif isinstance(item.data, dict) and isinstance(item.data.get("kind"), str):
                doc = Document(file, item.index, item.data, {(): Span(file, 1, 1)}, item.has_nulls)
                out.objects.append(
                    RawObject(doc, (), item.data, str(item.data.get("apiVersion", "")), item.data["kind"])
                )
    return out


def _template_file(chart: str, source: str) -> str:
    """``CHART/templates/x.yaml`` → the file under ``chart`` (Chart.yaml when it is not there)."""
    inside = source.split("/", 1)[1] if "/" in source else source
    path = os.path.normpath(os.path.join(chart, inside))
    return path if os.path.isfile(path) else os.path.normpath(os.path.join(chart, CHART_FILE))
