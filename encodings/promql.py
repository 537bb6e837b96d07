"""PromQL and Prometheus rule files: parsing (the ``promql-parser`` binding of the Rust parser), the rule-file
checks of ``promtool check rules``, and a selector's label matchers as Z3 constraints on one label's value.

Rule checks: prometheus/prometheus d15adb9a ``model/rulefmt/rulefmt.go`` (``RuleGroups.Validate``,
``Rule.Validate``) under the default (UTF-8) name-validation scheme. Matchers: ``model/labels/matcher.go``
(``l!="x"`` matches a series without ``l``: the absent value is ``""``), ``model/labels/regexp.go`` (a regex
matcher is anchored, ``^(?s:re)$``, RE2).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import promql_parser
import z3

from .regex import RegexError, sval, to_z3

GROUP_KEYS = frozenset({"name", "interval", "query_offset", "limit", "rules", "labels"})
RULE_KEYS = frozenset({"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"})
RuleError = tuple[tuple[str | int, ...], str]
"""A rule-file error: the path of the offending node under the list of groups, and promtool's message."""


@lru_cache(maxsize=4096)
def parse(expr: str) -> Any:
    """The expression's AST; ``ValueError("could not parse expression: ...")`` as promtool reports it."""
    try:
        return promql_parser.parse(expr)
    except ValueError as exc:
        raise ValueError(f"could not parse expression: parse error: {exc}") from None


def group_errors(groups: list[Any], *, strict_fields: bool) -> list[RuleError]:
    """promtool's checks of the groups themselves (names, labels; with ``strict_fields`` unknown keys: a rule
    file as promtool reads it, where a PrometheusRule's schema prunes them instead). Paths under the list."""
    out: list[RuleError] = []
    seen: set[str] = set()
    for i, g in enumerate(groups):
        if not isinstance(g, dict):
            continue  # a wrong shape is the model's error
        out += _unknown(g, GROUP_KEYS, (i,)) if strict_fields else []
        name = str(g.get("name") or "")
        if not name:
            out.append(((i,), "Groupname must not be empty"))
        if name in seen:
            out.append(((i, "name"), f'groupname: "{name}" is repeated in the same file'))
        seen.add(name)
        out += _labels(g.get("labels"), (i, "labels"))
    return out


def _unknown(node: dict[str, Any], known: frozenset[str], path: tuple[str | int, ...]) -> list[RuleError]:
    return [(path + (k,), f"field {k} not found") for k in node if k not in known]


def _labels(labels: Any, path: tuple[str | int, ...]) -> list[RuleError]:
    if not isinstance(labels, dict):
        return []
    return [(path + (k,), f"invalid label name: {k}") for k in labels if not str(k) or k == "__name__"]


def rule_errors(r: dict[str, Any], *, strict_fields: bool) -> list[RuleError]:
    """promtool's checks of one rule (``Rule.Validate``), paths under the rule. Label and annotation names:
    the default UTF-8 scheme (any non-empty name); alert templates are not parsed (Go text/template)."""
    out = _unknown(r, RULE_KEYS, ()) if strict_fields else []
    record, alert, expr = r.get("record") or "", r.get("alert") or "", r.get("expr")
    if record and alert:
        out.append(((), "only one of 'record' and 'alert' must be set"))
    if not record and not alert:
        out.append(((), "one of 'record' or 'alert' must be set"))
    if expr is None or expr == "":
        out.append(((), "field 'expr' must be set in rule"))
    else:
        try:
            parse(str(expr))
        except ValueError as exc:
            out.append((("expr",), str(exc)))
    if record:
        for key in ("annotations", "for", "keep_firing_for"):
            if r.get(key) and (key == "annotations" or set(re.sub(r"[^0-9]", "", str(r[key]))) - {"0"}):
                out.append(((key,), f"invalid field '{key}' in recording rule"))
        if "{" in str(record) or "}" in str(record):
            out.append((("record",), f"braces present in the recording rule name; should it be in expr?: {record}"))
    out += _labels(r.get("labels"), ("labels",))
    return out + [(("annotations",), f"invalid annotation name: {k}") for k in r.get("annotations") or {} if not k]


@dataclass(frozen=True)
class Selector:
    """One vector selector of an expression: its text and its alternatives (``{a="x" or b="y"}``), each a list
    of ``(label, op, value)``; ``op`` is ``=``, ``!=``, ``=~`` or ``!~``."""

    text: str
    alternatives: tuple[tuple[tuple[str, str, str], ...], ...]
    in_absent: bool  # inside absent()/absent_over_time(): the alert fires when nothing matches


_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}


def selectors(expr: str) -> list[Selector]:
    """The vector selectors of ``expr`` in written order (raises ``ValueError`` if it does not parse)."""
    return list(_selectors(parse(expr), False))


def _selectors(node: Any, in_absent: bool) -> Iterator[Selector]:
    if isinstance(node, promql_parser.VectorSelector):
        yield _selector(node, in_absent)
        return
    if isinstance(node, promql_parser.MatrixSelector):
        yield _selector(node.vector_selector, in_absent)
        return
    if isinstance(node, promql_parser.Call):
        absent = in_absent or node.func.name in ("absent", "absent_over_time")
        for arg in node.args:
            yield from _selectors(arg, absent)
        return
    for child in _children(node):
        yield from _selectors(child, in_absent)


def _children(node: Any) -> list[Any]:
    if isinstance(node, promql_parser.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, promql_parser.AggregateExpr):
        return [node.expr] + ([node.param] if node.param is not None else [])
    if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
        return [node.expr]
    return []  # literals


def _selector(vs: Any, in_absent: bool) -> Selector:
    def alt(ms: list[Any]) -> tuple[tuple[str, str, str], ...]:
        return tuple((m.name, _OPS[str(m.op).rsplit(".", 1)[-1]], m.value) for m in ms)

    base = alt(vs.matchers.matchers)
    if vs.name and not any(m[0] == "__name__" for m in base):
        base = (("__name__", "=", vs.name), *base)
    ors = [alt(o) for o in vs.matchers.or_matchers or []]
    return Selector(str(vs), tuple(ors) if ors else (base,), in_absent)


def matcher_z3(value: z3.SeqRef, op: str, pattern: str) -> z3.BoolRef:
    """``value`` satisfies the matcher (regexes anchored with ``(?s:…)`` as Prometheus compiles them).

    Raises ``RegexError`` for a regex the RE2 encoding cannot translate."""
    if op in ("=", "!="):
        eq = value == sval(pattern)
        return eq if op == "=" else z3.Not(eq)
    inside = z3.InRe(value, to_z3(f"(?s:{pattern})"))
    return inside if op == "=~" else z3.Not(inside)


__all__ = ["RegexError", "RuleError", "Selector", "group_errors", "matcher_z3", "parse", "rule_errors", "selectors"]
