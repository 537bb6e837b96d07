"""Diff output: JSON (docs/DIFF.md), text (grouped by entry point and workload), Markdown (PR comment)."""

from __future__ import annotations

import json
from typing import Any

from cnverify.diff.invariants import fingerprint
from cnverify.diff.load import Names, SideName
from cnverify.diff.run import CapacityDelta, DiffResult
from cnverify.proof import VERSION, Finding
from cnverify.report.common import internal_markdown
from cnverify.report.escape import code, cut, json_text, log_text, md, no_commands

LABELS = {
    "new-violation": "new violation",
    "fixed": "fixed",
    "still-violated": "still violated",
    "new-unknown": "new unknown",
}


def _relocate(value: Any, names: Names, side: SideName) -> Any:
    """JSON with every ``{"file": internal}`` location shown as the side displays it."""
    if isinstance(value, dict):
        out = {k: _relocate(v, names, side) for k, v in value.items()}
        if isinstance(out.get("file"), str) and "line" in out:
            out["file"] = names.display(out["file"], side)
        return out
    if isinstance(value, list):
        return [_relocate(v, names, side) for v in value]
    return value


def _finding(f: Finding | None, names: Names, side: SideName) -> dict[str, Any] | None:
    if f is None:
        return None
    out = _relocate(f.to_json(), names, side)
    out["fingerprint"] = fingerprint(f, names)
    return out


def _route(r: Any, names: Names, side: SideName) -> dict[str, Any] | None:
    """A ``routing.Route`` (or None: no route) as JSON."""
    if r is None:
        return None
    return {"route": r.label, "location": names.span(r.location, side), "action": r.action.to_json()}


def summary(result: DiffResult) -> dict[str, int]:
    return {
        "new_violations": result.count("new-violation"),
        "fixed": result.count("fixed"),
        "still_violated": result.count("still-violated"),
        "new_unknowns": result.count("new-unknown"),
        "entry_points_changed": sum(r.status == "changed" for r in result.routing),
        "entry_points_equivalent": sum(r.status == "equivalent" for r in result.routing),
        "entry_points_unknown": sum(r.status == "unknown" for r in result.routing),
        "workloads_changed": len(result.workloads),
        "quotas_changed": len(result.quotas),
        "errors": len(result.errors.get("new", [])),
    }


def _cap(d: CapacityDelta, key: str) -> dict[str, Any]:
    obj = d.new if d.new is not None else d.old
    return {
        key: d.ref,
        "location": obj.location.to_json() if obj is not None else None,
        "old": d.old.to_json() if d.old is not None else None,
        "new": d.new.to_json() if d.new is not None else None,
    }


def to_json(result: DiffResult) -> dict[str, Any]:
    n = result.names
    cap = {
        "workloads": [_relocate(_cap(d, "workload"), n, "new" if d.new else "old") for d in result.workloads],
        "quotas": [_relocate(_cap(d, "quota"), n, "new" if d.new else "old") for d in result.quotas],
    }
    return {
        "version": 1,
        "tool": {"name": "cnverify", "version": VERSION},
        "kind": "diff",
        "old": {"label": result.old_label},
        "new": {"label": result.new_label},
        "changed_files": result.changed,
        "invariants": [
            {
                "change": d.change,
                "fingerprint": fingerprint(d.finding, n),
                "reason": d.reason(),
                "old": _finding(d.old, n, "old"),
                "new": _finding(d.new, n, "new"),
            }
            for d in result.invariants
        ],
        "routing": [
            {
                "entry_point": r.key,
                "status": r.status,
                "presence": r.presence,
                "how": r.how,
                "complete": r.complete,
                "reason": r.reason,
                "differences": [
                    {"witness": x.witness.to_json(), "old": _route(x.old, n, "old"), "new": _route(x.new, n, "new")}
                    for x in r.differences
                ],
            }
            for r in result.routing
        ],
        "capacity": cap,
        "notes": result.notes,
        "summary": summary(result),
        "errors": {
            side: [_relocate(e.to_json(), n, side) for e in errs]  # type: ignore[arg-type]
            for side, errs in result.errors.items()
        },
        "stats": result.stats,
        **({"internal_errors": [e.to_json() for e in result.internal]} if result.internal else {}),
    }


def render_json(result: DiffResult) -> str:
    return json_text(json.dumps(to_json(result), indent=2, ensure_ascii=False)) + "\n"


def _request(w: dict[str, Any]) -> str:
    q = "&".join(f"{k}={v}" for k, v in w.get("query", {}).items())
    hs = "".join(f" {k}: {v};" for k, v in w.get("headers", {}).items())
    return f"{w['method']} {w['host']}{w['path']}{'?' + q if q else ''}{' [' + hs.strip() + ']' if hs else ''}"


def _route_text(r: dict[str, Any] | None, action: bool = True) -> str:
    if r is None:
        return "no route (404)"
    loc = f" ({r['location']['file']}:{r['location']['line']})" if r.get("location") else ""
    a = r["action"]
    if a["kind"] == "route":
        shares = a["shares"]
        what = (
            ("→ " + next(iter(shares)))
            if len(shares) == 1
            else "→ " + ", ".join(f"{d} {s}%" for d, s in shares.items())
        )
    else:
        what = f"{a['kind']} {a.get('detail', '')}".strip()
    return f"{r['route']}{loc} {what}"


def _finding_line(f: dict[str, Any]) -> str:
    s = f["subject"]
    ns = f"{s['namespace']}/" if s.get("namespace") else ""
    loc = f["location"]
    return f"{loc['file']}:{loc['line']}: {f['property']} {s['kind']} {ns}{s['name']}: {f['message']}"


def _cap_text(d: dict[str, Any]) -> list[str]:
    def replicas(x: dict[str, Any] | None) -> str:
        if x is None:
            return "absent"
        r = x["replicas"]
        hi = "∞" if r["max"] is None else r["max"]
        return f"{r['min']}" if r["min"] == hi else f"{r['min']}..{hi}"

    o, n = d["old"], d["new"]
    out = [f"  {d['workload']}: replicas {replicas(o)} → {replicas(n)}"]
    for kind in ("requests", "limits"):
        before, after = (o or {}).get(kind, {}), (n or {}).get(kind, {})
        for res in sorted(set(before) | set(after)):
            if before.get(res) != after.get(res):
                out.append(f"    {kind}.{res} per pod: {before.get(res, '-')} → {after.get(res, '-')}")
    return out


def _headroom(x: dict[str, Any] | None) -> str:
    """One side of a quota key: headroom, hard limit and worst case (``-``: absent on that side)."""
    return (
        "-"
        if x is None
        else (
            f"{x['headroom'] if x['headroom'] is not None else 'unknown'} (hard {x['hard']}, "
            f"worst case {x['worst'] if x['worst'] is not None else 'unbounded'})"
        )
    )


def _quota_text(d: dict[str, Any]) -> list[str]:
    out = [f"  {d['quota']}:"]
    before, after = (d["old"] or {}).get("resources", {}), (d["new"] or {}).get("resources", {})
    for res in sorted(set(before) | set(after)):
        b, a = before.get(res), after.get(res)
        if b == a:
            continue
        out.append(f"    {res} headroom: {_headroom(b)} → {_headroom(a)}")
    for side in ("old", "new"):
        if d[side] and d[side].get("unknown"):
            out.append(f"    ({side}: {d[side]['unknown']})")
    return out


def render_text(result: DiffResult) -> str:
    j = to_json(result)
    out = [
        f"cnverify diff {result.old_label} → {result.new_label}: {len(result.changed)} file"
        f"{'s' * (len(result.changed) != 1)} changed",
        "",
    ]
    errs = j["errors"]
    for side in ("old", "new"):
        for e in errs.get(side, []):
            out.append(f"{e['location']['file']}:{e['location']['line']}: error ({side}): {e['message']}")
    out += [f"cnverify: internal error: {x}" for x in result.internal]
    out.append("Invariants")
    for d in j["invariants"]:
        f = d["new"] if d["change"] != "fixed" else d["old"]
        extra = f" ({d['reason']})" if d["reason"] else ""
        out.append(f"  {LABELS[d['change']]:<15} {_finding_line(f)}{extra}")
    if not j["invariants"]:
        out.append("  no change")
    out += ["", "Routing"]
    for r in j["routing"]:
        head = f"  {r['entry_point']}: {r['status']}"
        head += f" ({r['presence']} entry point)" if r["presence"] != "both" else ""
        out.append(f"{head} — {r['how']}" + (f"; {r['reason']}" if r["reason"] else ""))
        for x in r["differences"]:
            out.append(f"    request {_request(x['witness'])}")
            out.append(f"      old: {_route_text(x['old'])}")
            out.append(f"      new: {_route_text(x['new'])}")
    if not j["routing"]:
        out.append("  no entry points")
    out += [f"  note: {n}" for n in j["notes"]]
    out += ["", "Capacity"]
    for d in j["capacity"]["workloads"]:
        out += _cap_text(d)
    for d in j["capacity"]["quotas"]:
        out += _quota_text(d)
    if not j["capacity"]["workloads"] and not j["capacity"]["quotas"]:
        out.append("  no change")
    s = j["summary"]
    out += [
        "",
        f"{s['new_violations']} new violation{'s' * (s['new_violations'] != 1)}, {s['fixed']} fixed, "
        f"{s['still_violated']} still violated, {s['new_unknowns']} new unknown; "
        f"{s['entry_points_changed']} entry point{'s' * (s['entry_points_changed'] != 1)} changed, "
        f"{s['entry_points_equivalent']} equivalent, {s['entry_points_unknown']} unknown; "
        f"{s['workloads_changed']} workload{'s' * (s['workloads_changed'] != 1)} and "
        f"{s['quotas_changed']} quota{'s' * (s['quotas_changed'] != 1)} with capacity changes",
    ]
    return no_commands("\n".join(log_text(line) for line in out) + "\n")


def render_markdown(result: DiffResult) -> str:
    j = to_json(result)
    s = j["summary"]
    errs = j.get("errors") or {}
    n_err = sum(len(errs.get(side, [])) for side in ("old", "new"))
    icon = (
        "❌"
        if s["new_violations"] or n_err or result.internal
        else "⚠️"
        if s["entry_points_changed"] or s["new_unknowns"]
        else "✅"
    )
    out = [
        f"### {icon} cnverify diff {code(result.old_label)} → {code(result.new_label)}",
        "",
        f"**{s['new_violations']}** new violations · **{s['fixed']}** fixed · {s['still_violated']} still "
        f"violated · {s['new_unknowns']} new unknown · **{s['entry_points_changed']}** entry points with routing "
        f"changes ({s['entry_points_equivalent']} proved equivalent) · {s['workloads_changed']} workloads and "
        f"{s['quotas_changed']} quotas with capacity changes"
        + (f" · **{n_err}** input error{'s' * (n_err != 1)}" if n_err else ""),
        "",
    ]
    if result.internal:
        out += internal_markdown(result.internal, "####")
    if n_err:
        out += ["#### Input errors", ""]
        out += [
            f"- {side}: {code(str(e['location']['file']) + ':' + str(e['location']['line']))}: {md(e['message'])}"
            for side in ("old", "new")
            for e in errs.get(side, [])
        ]
        out.append("")
    if j["invariants"]:
        out += ["#### Invariants", "", "| change | where | property | subject | message |", "|---|---|---|---|---|"]
        for d in j["invariants"]:
            f = d["new"] if d["change"] != "fixed" else d["old"]
            sub = f["subject"]
            ns = f"{sub['namespace']}/" if sub.get("namespace") else ""
            at = code(str(f["location"]["file"]) + ":" + str(f["location"]["line"]), cell=True)
            out.append(
                f"| {LABELS[d['change']]} | {at}"
                f" | {md(f['property'])} | {md(sub['kind'] + ' ' + ns + sub['name'])} | {md(f['message'])} |"
            )
        out.append("")
    if j["routing"]:
        out += ["#### Routing", ""]
        for r in j["routing"]:
            out.append(
                f"- **{md(r['entry_point'])}**: {r['status']} — {md(r['how'])}"
                + (f"; {md(r['reason'])}" if r["reason"] else "")
            )
            for x in r["differences"]:
                out.append(
                    f"  - {code(_request(x['witness']))}: old {md(_route_text(x['old']))}; "
                    f"new {md(_route_text(x['new']))}"
                )
        out.append("")
    if j["capacity"]["workloads"] or j["capacity"]["quotas"]:
        out += ["#### Capacity", "", "```"]
        for d in j["capacity"]["workloads"]:
            out += [log_text(line).replace("```", "`‌``") for line in _cap_text(d)]
        for d in j["capacity"]["quotas"]:
            out += [log_text(line).replace("```", "`‌``") for line in _quota_text(d)]
        out += ["```", ""]
    return no_commands(cut("\n".join(out) + "\n"))


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
