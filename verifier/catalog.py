"""The catalog tables: properties (code, name, severity, systems read) and systems (kinds, properties).

``cnverify properties list`` and ``cnverify systems`` print them; README.md holds their Markdown forms, which
tests/test_meta.py regenerates and compares.
"""

from __future__ import annotations

import json
from typing import Any

from cnverify import systems
from cnverify.registry import load_properties


def _json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2) + "\n"


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render_catalog(fmt: str) -> str:
    """The property catalog from the registry, as text, Markdown (the README table) or JSON."""
    props = load_properties()
    if fmt == "json":
        return _json(
            [
                {
                    "code": c,
                    "name": p.name,
                    "title": p.title,
                    "severity": p.severity,
                    "reads": sorted(k.KIND for k in p.reads),
                    "systems": systems.reading(p.reads),
                    "summary": p.summary(),
                    "remediation": p.remediation,
                }
                for c, p in props.items()
            ]
        )
    if fmt == "markdown":
        return _markdown(
            ["code", "name", "severity", "systems", "what it proves"],
            [[c, p.name, p.severity, ", ".join(systems.reading(p.reads)), p.summary()] for c, p in props.items()],
        )
    return "".join(
        f"{c}  {p.name:<28} {p.severity:<8} {p.title}  [{', '.join(systems.reading(p.reads))}]\n"
        for c, p in props.items()
    )


def render_systems(fmt: str) -> str:
    """Every system adapter with the kinds it models, the API groups it claims and the properties reading it."""
    props = load_properties()
    rows: list[dict[str, Any]] = []
    for s in systems.adapters():
        kinds = sorted({k.KIND for k in s.kinds})
        codes = [c for c, p in props.items() if s.name in systems.reading(p.reads)]
        rows.append(
            {"system": s.name, "title": s.title, "kinds": kinds, "groups": sorted(s.groups), "properties": codes}
        )
    if fmt == "json":
        return _json(rows)
    if fmt == "markdown":
        return _markdown(
            ["system", "what it covers", "kinds modelled", "properties"],
            [[r["system"], r["title"], ", ".join(r["kinds"]) or "—", ", ".join(r["properties"]) or "—"] for r in rows],
        )
    return "".join(
        f"{r['system']:<12} {r['title']}\n{'':<12} kinds: {', '.join(r['kinds']) or '-'}\n"
        f"{'':<12} properties: {', '.join(r['properties']) or '-'}\n"
        for r in rows
    )
