"""Benchmark cnverify on synthetic clusters and print the figures side by side.

``python benchmarks/run.py --objects 1000 10000``            whole-cluster runs
``python benchmarks/run.py --objects 10000 --namespace NS``   also: prove one namespace's files alone

Each size runs in a fresh worker process (so peak RSS is that size's own), which measures, in
order: the floor (composing every file with ``yaml.compose_all(CSafeLoader)``, GC paused, as
docs/PERFORMANCE.md#yaml-composition measured it), then ``cnverify.engine.prove`` (parse / model / solve from
``Report.timings``) and the JSON render, then (with ``--per-property``) each property's solve time
over one snapshot. Figures are noisy (docs/PERFORMANCE.md): read the ratio.
"""
from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write  # noqa: E402

DATA = Path(__file__).resolve().parent / ".data"


def compose_floor(files: list[str]) -> float:
    """Seconds to compose every file with the C loader alone, GC paused."""
    gc.collect()
    gc.disable()
    t0 = time.perf_counter()
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for _ in yaml.compose_all(fh.read(), Loader=yaml.CSafeLoader):
                pass
    elapsed = time.perf_counter() - t0
    gc.enable()
    return elapsed


def per_property(paths: list[str]) -> dict[str, float]:
    """Solve seconds of each registered property, run alone over a fresh snapshot (properties may
    cache derived tables on a snapshot, which would credit one property's work to another)."""
    from cnverify import engine, loader, snapshot
    from cnverify.registry import load_properties

    loaded = loader.load(paths)
    out = {}
    for code in load_properties():
        snap, _ = snapshot.build(loaded)
        t0 = time.perf_counter()
        engine.check(snap, engine.Options(select=[code]))
        out[code] = time.perf_counter() - t0
    return out


def measure(folder: Path, with_properties: bool) -> dict[str, Any]:
    """Every figure for one folder (run inside the worker process)."""
    from cnverify.engine import prove
    from cnverify.loader import iter_files
    from cnverify.report import RenderOptions, writers

    files = list(iter_files([str(folder)]))
    floor = compose_floor(files)
    t0 = time.perf_counter()
    report = prove([str(folder)])
    t1 = time.perf_counter()
    writers()["json"](report, RenderOptions())
    render = time.perf_counter() - t1
    whole = t1 - t0 + render
    summary = report.summary()
    out: dict[str, Any] = {
        "files": len(files), "objects": report.objects, **{k: report.timings[k] for k in ("parse", "model", "solve")},
        "report": render, "total": whole, "objects_per_s": report.objects / whole if whole else 0.0,
        "floor": floor, "ratio": whole / floor if floor else 0.0, "results": len(report.results),
        "violated": summary["violated"], "unknown": summary["unknown"], "errors": summary["errors"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if with_properties:
        out["per_property"] = per_property([str(folder)])
    return out


def worker(args: argparse.Namespace) -> None:
    print(json.dumps(measure(Path(args.worker), args.per_property)))


def run_worker(folder: Path, per_prop: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", str(folder)] + (["--per-property"] if per_prop else [])
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


ROWS = [("files", "{:,}"), ("objects", "{:,}"), ("parse", "{:.3f} s"), ("model", "{:.3f} s"),
        ("solve", "{:.3f} s"), ("report", "{:.3f} s"), ("total", "{:.3f} s"), ("objects_per_s", "{:,.0f}"),
        ("floor", "{:.3f} s"), ("ratio", "{:.1f}x"), ("peak_rss_mb", "{:.0f} MB"), ("results", "{:,}"),
        ("violated", "{:,}"), ("unknown", "{:,}"), ("errors", "{:,}")]
LABELS = {"objects_per_s": "objects/s", "floor": "compose floor", "ratio": "total / floor",
          "peak_rss_mb": "peak RSS", "total": "total (whole run)", "report": "report (JSON)"}


def table(columns: dict[str, dict[str, Any]]) -> str:
    """The figures of every run side by side, one row per figure."""
    names = list(columns)
    rows = [["", *names]]
    for key, fmt in ROWS:
        rows.append([LABELS.get(key, key), *(fmt.format(columns[n][key]) for n in names)])
    codes = sorted({c for col in columns.values() for c in col.get("per_property", {})})
    for code in codes:
        rows.append([f"  solve {code}", *(f"{columns[n]['per_property'].get(code, 0):.3f} s"
                                          if "per_property" in columns[n] else "-" for n in names)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--namespace", help="also time proving this namespace's files alone (e.g. the first one)")
    ap.add_argument("--data", type=Path, default=DATA, help="where generated clusters are kept and reused")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--per-property", action=argparse.BooleanOptionalAction, default=True,
                    help="time each property alone over one snapshot (default: on)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    columns: dict[str, dict[str, Any]] = {}
    for n in args.objects:
        folder = write(n, args.data / f"cluster-{n}", args.seed)
        columns[f"{n:,} objects"] = run_worker(folder, args.per_property)
        if args.namespace:
            ns = folder / args.namespace if args.namespace != "first" else sorted(
                p for p in folder.iterdir() if p.is_dir())[0]
            if not ns.is_dir():
                sys.exit(f"no namespace folder {ns}")
            columns[f"{n:,}: ns {ns.name}"] = run_worker(ns, False)
    print(json.dumps(columns, indent=2) if args.json else table(columns))


if __name__ == "__main__":
    main()
