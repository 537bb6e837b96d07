"""Benchmark cnverify on synthetic clusters and print the figures side by side.

``python benchmarks/run.py --objects 1k 10k``                  whole-cluster runs, serial
``python benchmarks/run.py --objects 10k --jobs 1 2``          serial and ``--jobs 2`` (when this cnverify has it)
``python benchmarks/run.py --objects 1k --routing 8``          also a routing-heavy cluster (8 VS + 8 HTTPRoutes a host)
``python benchmarks/run.py --objects 10k --namespace NS``      also: prove one namespace's files alone

Each run is a fresh worker process (so peak RSS is that run's own), which measures, in order: the
floor (composing every file with ``yaml.compose_all(CSafeLoader)``, GC paused, as
docs/PERFORMANCE.md#yaml-composition measured it), then ``cnverify.engine.prove`` (parse / model / solve from ``Report.timings``) and the
JSON render, then (with ``--per-property``, serial runs only) each property's solve time over one
snapshot. Checkov, a peer, runs on the same files when it is on PATH (``--checkov``). Figures are
noisy (docs/PERFORMANCE.md: up to 2x between runs): read the ratio.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write  # noqa: E402

DATA = Path(__file__).resolve().parent / ".data"


def compose_floor(files: list[str]) -> tuple[float, float]:
    """Seconds (wall, CPU) to compose every file with the C loader alone, GC paused."""
    gc.collect()
    gc.disable()
    t0, c0 = time.perf_counter(), time.process_time()
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for _ in yaml.compose_all(fh.read(), Loader=yaml.CSafeLoader):
                pass
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    gc.enable()
    return elapsed, cpu


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (``--jobs`` workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def per_property(paths: list[str]) -> dict[str, float]:
    """Solve seconds of each registered property, run alone over a fresh snapshot (properties may
    cache derived tables on a snapshot, which would credit one property's work to another) under a run
    budget of its own, as ``prove`` installs one (without it no query is remembered: ``smt.budget``)."""
    from cnverify import engine, loader, smt, snapshot
    from cnverify.registry import load_properties

    loaded = loader.load(paths)
    out = {}
    for code in load_properties():
        snap, _ = snapshot.build(loaded)
        options = engine.Options(select=[code])
        t0 = time.perf_counter()
        with smt.budget(options.limits):
            engine.check(snap, options)
        out[code] = time.perf_counter() - t0
    return out


def pieces(report: Any, options: Any) -> Any:
    """The compact JSON report in pieces (``report.json.chunks``), or whole where this cnverify has no chunks."""
    from cnverify.report import json as json_writer

    chunks = getattr(json_writer, "chunks", None)
    return chunks(report, options) if chunks else [json_writer.render(report, options)]


def has_jobs() -> bool:
    """Whether this cnverify shards a run over processes (``Options.jobs``, the CLI's ``--jobs``)."""
    from cnverify.engine import Options

    return "jobs" in {f.name for f in dataclasses.fields(Options)}


def peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def measure(folder: Path, with_properties: bool, jobs: int) -> dict[str, Any]:
    """Every figure for one folder (run inside the worker process); ``jobs`` > 1 passed as ``Options.jobs``."""
    from cnverify.engine import Options, prove
    from cnverify.loader import iter_files
    from cnverify.report import RenderOptions

    files = list(iter_files([str(folder)]))
    floor, floor_cpu = compose_floor(files)
    options = Options(jobs=jobs) if has_jobs() else Options()  # type: ignore[call-arg]  # serial said so
    if hasattr(options, "render_json"):  # as the CLI sets it for a JSON report: findings rendered where verified
        options.render_json = True
    if hasattr(options, "json_only"):  # ... and, the JSON report being the only one, kept as their text alone
        options.json_only = True
    c0, t0 = cpu_seconds(), time.perf_counter()
    report = prove([str(folder)], options)
    t1 = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as sink:  # as the CLI writes it: piece by piece when it can
        sink.writelines(pieces(report, RenderOptions()))
    render = time.perf_counter() - t1
    whole, cpu = t1 - t0 + render, cpu_seconds() - c0
    peak = peak_rss_mb(resource.RUSAGE_SELF)
    summary = report.summary()
    out: dict[str, Any] = {
        "files": len(files),
        "objects": report.objects,
        **{k: report.timings[k] for k in ("parse", "model", "solve")},
        "report": render,
        "total": whole,
        "objects_per_s": report.objects / whole if whole else 0.0,
        "floor": floor,
        "ratio": whole / floor if floor else 0.0,
        "cpu": cpu,
        "floor_cpu": floor_cpu,
        "ratio_cpu": cpu / floor_cpu if floor_cpu else 0.0,
        "results": len(report.results),
        "violated": summary["violated"],
        "unknown": summary["unknown"],
        "errors": summary["errors"],
        "peak_rss_mb": peak,
    }
    if jobs > 1:
        out["peak_rss_workers_mb"] = peak_rss_mb(resource.RUSAGE_CHILDREN)
    if with_properties:
        out["per_property"] = per_property([str(folder)])
    return out


def checkov(folder: Path, exe: str, objects: int) -> dict[str, Any]:
    """Checkov's time, checks and peak RSS on the same files (run inside a worker process).  The folder
    is reached through a symlink: Checkov skips directories under a hidden one such as ``.data``."""
    with tempfile.TemporaryDirectory(prefix="cnverify-bench-") as tmp:
        link = Path(tmp) / folder.name
        link.symlink_to(folder.resolve(), target_is_directory=True)
        t0 = time.perf_counter()
        done = subprocess.run(
            [exe, "-d", str(link), "--framework", "kubernetes", "-o", "json", "--quiet", "--skip-download"],
            capture_output=True,
            text=True,
            cwd=tmp,
        )
        whole = time.perf_counter() - t0
    try:
        found = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        found = {}
    summary = found.get("summary", {}) if isinstance(found, dict) else {}
    if not summary.get("resource_count"):
        raise SystemExit(f"checkov read no resource (exit {done.returncode}): {done.stderr[-1000:]}")
    return {
        "objects": objects,
        "total": whole,
        "objects_per_s": objects / whole,
        "cpu": cpu_seconds(),
        "results": summary.get("passed", 0) + summary.get("failed", 0),
        "violated": summary.get("failed", 0),
        "peak_rss_mb": peak_rss_mb(resource.RUSAGE_CHILDREN),
    }


def worker(args: argparse.Namespace) -> None:
    folder = Path(args.worker)
    print(
        json.dumps(
            checkov(folder, args.checkov_run, args.checkov_objects)
            if args.checkov_run
            else measure(folder, args.per_property, args.jobs[0])
        )
    )


def run_worker(
    folder: Path, per_prop: bool, jobs: int = 1, checkov_exe: str | None = None, objects: int = 0
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        str(folder),
        "--jobs",
        str(jobs),
        "--per-property" if per_prop else "--no-per-property",
        *(["--checkov-run", checkov_exe, "--checkov-objects", str(objects)] if checkov_exe else []),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def size(text: str) -> int:
    """``1000``, ``10k``, ``1.5k``, ``100K`` → objects."""
    scale = 1000 if text[-1:].lower() == "k" else 1
    return int(float(text[:-1] if scale > 1 else text) * scale)


ROWS = [
    ("files", "{:,}"),
    ("objects", "{:,}"),
    ("parse", "{:.3f} s"),
    ("model", "{:.3f} s"),
    ("solve", "{:.3f} s"),
    ("report", "{:.3f} s"),
    ("total", "{:.3f} s"),
    ("objects_per_s", "{:,.0f}"),
    ("floor", "{:.3f} s"),
    ("ratio", "{:.1f}x"),
    ("cpu", "{:.3f} s"),
    ("floor_cpu", "{:.3f} s"),
    ("ratio_cpu", "{:.1f}x"),
    ("peak_rss_mb", "{:.0f} MB"),
    ("peak_rss_workers_mb", "{:.0f} MB"),
    ("results", "{:,}"),
    ("violated", "{:,}"),
    ("unknown", "{:,}"),
    ("errors", "{:,}"),
]
LABELS = {
    "objects_per_s": "objects/s",
    "floor": "compose floor",
    "ratio": "total / floor",
    "peak_rss_mb": "peak RSS",
    "peak_rss_workers_mb": "peak RSS (largest worker)",
    "total": "total (whole run)",
    "report": "report (JSON)",
    "cpu": "total CPU (workers too)",
    "floor_cpu": "compose floor CPU",
    "ratio_cpu": "CPU / floor CPU",
    "results": "results (Checkov: checks)",
    "violated": "violated (Checkov: failed)",
}


def table(columns: dict[str, dict[str, Any]]) -> str:
    """The figures of every run side by side, one row per figure."""
    names = list(columns)
    rows = [["", *names]]
    for key, fmt in ROWS:
        if any(key in columns[n] for n in names):
            rows.append(
                [LABELS.get(key, key), *(fmt.format(columns[n][key]) if key in columns[n] else "-" for n in names)]
            )
    codes = sorted({c for col in columns.values() for c in col.get("per_property", {})})
    for code in codes:
        rows.append(
            [
                f"  solve {code}",
                *(
                    f"{columns[n]['per_property'].get(code, 0):.3f} s" if "per_property" in columns[n] else "-"
                    for n in names
                ),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=False)))
        for r in rows
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=size, nargs="+", default=[1000, 10000], help="sizes: 1000, 10k, 30k, 100k")
    ap.add_argument(
        "--jobs",
        type=int,
        nargs="+",
        default=[1],
        help="run with each of these --jobs values (default: 1, serial; e.g. --jobs 1 2)",
    )
    ap.add_argument(
        "--routing",
        type=int,
        default=0,
        metavar="K",
        help="also a routing-heavy cluster: K VirtualServices and K HTTPRoutes per host",
    )
    ap.add_argument("--routing-objects", type=size, default=1000, metavar="N", help="its size (default 1k)")
    ap.add_argument(
        "--checkov",
        nargs="?",
        const="checkov",
        default="checkov",
        metavar="EXE",
        help="time Checkov on the --checkov-objects cluster when EXE is found (default: checkov on PATH)",
    )
    ap.add_argument("--no-checkov", dest="checkov", action="store_const", const=None)
    ap.add_argument("--checkov-objects", type=size, default=10000, metavar="N")
    ap.add_argument("--namespace", help="also time proving this namespace's files alone (e.g. the first one)")
    ap.add_argument("--data", type=Path, default=DATA, help="where generated clusters are kept and reused")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--per-property",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time each property alone over one snapshot, serial runs (default: on)",
    )
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument(
        "--show",
        nargs="+",
        type=Path,
        metavar="JSON",
        help="only print the table of saved --json outputs, their columns side by side",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--checkov-run", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    if args.show:
        return print(table({name: col for f in args.show for name, col in json.loads(f.read_text()).items()}))
    jobs = sorted(set(args.jobs))
    if jobs != [1] and not has_jobs():
        print(
            f"--jobs {' '.join(map(str, jobs))}: this cnverify has no Options.jobs; serial runs only", file=sys.stderr
        )
        jobs = [1]
    columns: dict[str, dict[str, Any]] = {}
    clusters = [(f"{n // 1000}k" if n % 1000 == 0 else f"{n:,}", n, 0) for n in args.objects]
    if args.routing:
        clusters.append((f"routing {args.routing_objects:,} (K={args.routing})", args.routing_objects, args.routing))
    for name, n, routing in clusters:
        folder = write(n, args.data / (f"routing{routing}-{n}" if routing else f"cluster-{n}"), args.seed, routing)
        for j in jobs:
            columns[f"{name}{f' --jobs {j}' if j > 1 else ''}"] = run_worker(folder, args.per_property and j == 1, j)
        if args.namespace and not routing:
            ns = (
                folder / args.namespace
                if args.namespace != "first"
                else sorted(p for p in folder.iterdir() if p.is_dir())[0]
            )
            if not ns.is_dir():
                sys.exit(f"no namespace folder {ns}")
            columns[f"{name}: ns {ns.name}"] = run_worker(ns, False)
    exe = shutil.which(args.checkov) if args.checkov else None
    if exe:
        folder = write(args.checkov_objects, args.data / f"cluster-{args.checkov_objects}", args.seed)
        columns[f"Checkov {args.checkov_objects:,}"] = run_worker(
            folder, False, checkov_exe=exe, objects=args.checkov_objects
        )
    print(json.dumps(columns, indent=2) if args.json else table(columns))
    if not exe:
        print(
            f"Checkov: {'not installed (not on PATH)' if args.checkov else 'not asked (--no-checkov)'}; skipped",
            file=sys.stderr if args.json else sys.stdout,
        )  # --json: stdout stays one JSON value


if __name__ == "__main__":
    main()
