"""Nomad job files (HCL2: ``*.nomad``, ``*.nomad.hcl``, or ``*.hcl`` with a top-level ``job`` block), read into one
document per job whose value is the job in a normal form, with a span for every field cnverify reads.

python-hcl2 checks the syntax and gives the values (labels and strings keep their quotes; we strip them); a
line scan of the text gives where each block and attribute sits (python-hcl2's dict carries no positions).
An expression (``var.n``, ``${…}``) stays a string ``${…}``: the value is known only when Nomad evaluates it.
"""

from __future__ import annotations

import re
from typing import Any

from cnverify.errors import InputError, Span
from cnverify.source import Document, Path
from cnverify.systems.nomad import specs, validate
from cnverify.systems.nomad.variables import Scope, labelled, unquote

VARIABLES_KEY = "variables"  # the job's variables without a value that its values refer to
JOB_KEY = "nomad_job"  # the job's name in a document of this reader (how split_raw knows it)
NOT_NOMAD = "HCL that is not a Nomad job, quota or namespace specification (no top-level job block, limit or quota)"
_JOB = re.compile(r'^\s*job\s+"', re.M)
_SPEC = re.compile(r"^(?:limit\s*\{|quota\s*=)", re.M)  # a top-level quota limit or namespace quota
_HEADER = re.compile(r'^\s*([A-Za-z_][\w-]*)((?:\s+"[^"]*")*)\s*\{')
_ATTR = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=")
_HEREDOC = re.compile(r"<<-?([A-Za-z_]\w*)\s*$")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_LINE = re.compile(r"line (\d+), column (\d+)")
BLOCK_LISTS = {"group": "groups", "task": "tasks", "service": "services", "port": "ports", "check": "checks"}


def read(text: str, name: str) -> list[Document | InputError] | str:
    """The file's jobs as documents, a located syntax error, or why it is not Nomad's (a str)."""
    if not (name.endswith((".nomad", ".nomad.hcl")) or _JOB.search(text) or _SPEC.search(text)):
        return NOT_NOMAD
    import hcl2  # here, not at the top: python-hcl2 (and Lark) cost ~30 ms to import, paid only for HCL files

    try:
        raw = hcl2.loads(text)
    except Exception as exc:  # noqa: BLE001 - Lark raises many kinds; each is a syntax error of the file
        if not (name.endswith((".nomad", ".nomad.hcl")) or _JOB.search(text)):
            return NOT_NOMAD  # a spec-like line alone does not make a broken file Nomad's
        m = _LINE.search(str(exc))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        first = str(exc).split("\n", 1)[0]
        return [InputError(Span(name, line, col), f"Nomad job file does not parse (HCL2): {first}")]
    lines = _locate(text)
    kind = specs.kind_of(raw)
    if kind is not None:
        return specs.read(raw, kind, name, lines)
    if "job" not in raw:
        return NOT_NOMAD
    scope = Scope(raw)
    jobs = scope.blocks(raw.get("job"), ("job",))
    out: list[Document | InputError] = []
    for where, message in scope.problems + _client_checks(jobs):
        line, col = _nearest(lines, where)
        out.append(InputError(Span(name, line, col), f"Nomad rejects the job file: {message}"))
    if out:
        return out
    for index, (label, body) in enumerate(labelled(jobs)):
        data = {JOB_KEY: label, **_normal(body, ("job", label))}
        spans = _spans(name, data, ("job", label), lines)
        rejected = [
            InputError(
                Document(name, index, data, spans).span(where),
                f"Nomad rejects the job {label!r} (server validation): {message}",
            )
            for where, message in validate.server_checks(data)
        ]
        if rejected:
            out += rejected
            continue
        for owner in _owners(data):  # split_raw copies the job-level update into each group
            spans.update({owner + ("jobUpdate", *p[1:]): v for p, v in list(spans.items()) if p[:1] == ("update",)})
        unset = scope.unset(data)
        if unset:
            data[VARIABLES_KEY] = unset
            _variable_spans(name, data, unset, spans, lines)
        out.append(Document(name, index, data, spans))
    if not out:
        return NOT_NOMAD
    return out


def _owners(data: dict[str, Any]) -> list[Path]:
    """The paths of the job's groups (and of its job-level tasks, each a group of its own)."""
    return [(k, i) for k in ("groups", "tasks") for i in range(len(data.get(k) or []))]


def _variable_spans(
    file: str,
    data: dict[str, Any],
    unset: list[dict[str, Any]],
    spans: dict[Path, Span],
    lines: dict[tuple[str, ...], tuple[int, int]],
) -> None:
    """Each group's copy of the variable declarations gets the declarations' lines (split_raw copies them)."""
    owners: list[Path] = [(VARIABLES_KEY,)] + [
        (k, i, VARIABLES_KEY) for k in ("groups", "tasks") for i in range(len(data.get(k) or []))
    ]
    for owner in owners:
        for k, var in enumerate(unset):
            where = ("variable", var["name"])
            spans[owner + (k,)] = Span(file, *_nearest(lines, where))
            for j in range(len(var["validation"])):
                spans[owner + (k, "validation", j)] = Span(file, *_nearest(lines, where + ("validation", f"#{j}")))


def _nearest(lines: dict[tuple[str, ...], tuple[int, int]], path: tuple[str, ...]) -> tuple[int, int]:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, (1, 1))


def _blocks(body: dict[str, Any], key: str) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """The ``key`` blocks of a body as (labels, body): ``scaling "cpu" {}`` → (("cpu",), {...})."""
    out = []
    for block in body.get(key) or []:
        labels: list[str] = []
        while isinstance(block, dict) and "__is_block__" not in block and len(block) == 1:
            [(label, block)] = block.items()
            labels.append(str(unquote(label)))
        if isinstance(block, dict):
            out.append((tuple(labels), block))
    return out


def _client_checks(jobs: Any) -> list[tuple[tuple[str, ...], str]]:
    """What the jobspec parser rejects before the job reaches a server (``jobspec/parse_group.go``
    ``parseGroupScalingPolicy``, ``parse_task.go`` ``parseTaskScalingPolicies``; jobspec2 the same rules)."""
    problems: list[tuple[tuple[str, ...], str]] = []
    for job, body in labelled(jobs):
        groups: list[tuple[tuple[str, ...], dict[str, Any]]] = [
            (("job", job, "group", g), b) for g, b in labelled(body.get("group"))
        ]
        tasks: list[tuple[tuple[str, ...], dict[str, Any]]] = [
            (("job", job, "task", t), b) for t, b in labelled(body.get("task"))
        ]
        for gpath, g in groups:
            tasks += [(gpath + ("task", t), b) for t, b in labelled(g.get("task"))]
            scaling = _blocks(g, "scaling")
            if len(scaling) > 1:
                problems.append((gpath + ("scaling",), "only one 'scaling' block allowed per task group"))
            for labels, sc in scaling[:1]:
                at = gpath + ("scaling", *labels)
                if labels:
                    problems.append((at, "task group scaling policy should not have a name"))
                elif "max" not in sc:
                    problems.append((at, "missing 'max'"))
                elif unquote(sc.get("type", '"horizontal"')) != "horizontal":
                    problems.append((at, f"task group scaling policy had invalid type: {unquote(sc['type'])!r}"))
                elif len(sc.get("policy") or []) > 1:
                    problems.append((at, "only one 'policy' block allowed per 'scaling' block"))
        for tpath, t in tasks:
            seen: set[str] = set()
            for labels, sc in _blocks(t, "scaling"):
                at = tpath + ("scaling", *labels)
                if len(labels) != 1:
                    problems.append((at, "task scaling policy should have exactly one name ('cpu' or 'mem')"))
                elif labels[0] not in ("cpu", "mem"):
                    problems.append((at, f"task scaling policy name {labels[0]!r} must be 'cpu' or 'mem'"))
                elif labels[0] in seen:
                    problems.append((at, f"duplicate scaling policy for {labels[0]!r}"))
                elif unquote(sc.get("type", f'"vertical_{labels[0]}"')) != f"vertical_{labels[0]}":
                    problems.append((at, f"task scaling policy had invalid type: {unquote(sc['type'])!r}"))
                seen.update(labels[:1])
    return problems


def _normal(body: dict[str, Any], where: Path) -> dict[str, Any]:
    """A block body with quotes stripped, nested blocks as dicts (labelled ones as lists under their plural)."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key.startswith("__"):
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) and "__is_block__" in str(v) for v in value):
            items = [{"name": label, **_normal(b, where + (key, label))} for label, b in labelled(value)]
            if key in BLOCK_LISTS:
                out[BLOCK_LISTS[key]] = items
            else:
                out[key] = {k: v for k, v in items[0].items() if k != "name" or v} if len(items) == 1 else items
        else:
            out[key] = _scalar(value)
    return out


def _scalar(value: Any) -> Any:
    if isinstance(value, list):
        return [_scalar(v) for v in value]
    if isinstance(value, dict):
        return {str(unquote(k)): _scalar(v) for k, v in value.items() if not str(k).startswith("__")}
    return unquote(value)


def _locate(text: str) -> dict[tuple[str, ...], tuple[int, int]]:
    """Block and attribute paths (``("job", "web", "group", "api", "count")``) → (line, column), by a line scan
    that skips heredocs and string contents. The k-th unlabelled block of a name is also ``(…, name, "#k")``."""
    found: dict[tuple[str, ...], tuple[int, int]] = {}
    seen: dict[tuple[str, ...], int] = {}
    stack: list[tuple[tuple[str, ...], ...]] = [((),)]  # each open block's paths (aliases)
    heredoc = None
    for n, line in enumerate(text.splitlines(), 1):
        if heredoc is not None:
            heredoc = None if line.strip() == heredoc else heredoc
            continue
        code = _STRING.sub('""', line.split("#", 1)[0].split("//", 1)[0])
        header, attr = _HEADER.match(line), _ATTR.match(code)
        col = len(line) - len(line.lstrip()) + 1
        opened: tuple[tuple[str, ...], ...] = tuple(p + ("{",) for p in stack[-1])
        if header:
            labels = tuple(re.findall(r'"([^"]*)"', header.group(2)))
            paths = [p + (header.group(1), *labels) for p in stack[-1]]
            k = seen[paths[0]] = seen.get(paths[0], -1) + 1
            if not labels:
                paths = [p + (f"#{k}",) for p in paths] + (paths if k == 0 else [])
            elif k:  # a label repeated in one body (Nomad rejects it): the k-th is "<label>@k"
                paths = [p[:-1] + (f"{p[-1]}@{k}",) for p in paths]
            for p in stack[-1]:  # the first block of a type also answers for its type (a dynamic "group")
                found.setdefault(p + (header.group(1),), (n, col))
            for p in paths:
                found.setdefault(p, (n, col))
            opened = tuple(paths)
        elif attr:
            for p in stack[-1]:
                found.setdefault(p + (attr.group(1),), (n, col))
        for ch in code:
            if ch == "{":
                stack.append(opened)
                opened = tuple(p + ("{",) for p in opened)
            elif ch == "}" and len(stack) > 1:
                stack.pop()
        doc = _HEREDOC.search(code)
        if doc:
            heredoc = doc.group(1)
    return found


def _spans(
    file: str, data: Any, hcl_path: tuple[str, ...], lines: dict[tuple[str, ...], tuple[int, int]]
) -> dict[Path, Span]:
    """Spans for the normal form's paths, from the HCL paths of the line scan (nearest located ancestor)."""
    spans: dict[Path, Span] = {}

    def at(path: tuple[str, ...]) -> Span:
        while path and path not in lines:
            path = path[:-1]
        line, col = lines.get(path, (1, 1))
        return Span(file, line, col)

    def walk(value: Any, path: Path, hcl: tuple[str, ...]) -> None:
        spans[path] = at(hcl)
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "name" and path:
                    continue
                plural = {p: s for s, p in BLOCK_LISTS.items()}
                if k in plural and isinstance(v, list):
                    spans[path + (k,)] = at(hcl)
                    for i, item in enumerate(v):
                        label = item.get("name", "") if isinstance(item, dict) else ""
                        again = sum(1 for x in v[:i] if isinstance(x, dict) and x.get("name") == label)
                        labelled = hcl + (plural[k], f"{label}@{again}" if again else label)
                        walk(
                            item, path + (k, i), labelled if label and labelled in lines else hcl + (plural[k], f"#{i}")
                        )
                else:
                    walk(v, path + (k,), hcl + (k,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, path + (i,), hcl)

    walk(data, (), hcl_path)
    spans[(JOB_KEY,)] = at(hcl_path)
    return spans
