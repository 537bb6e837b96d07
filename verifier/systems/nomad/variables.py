"""jobspec2's input variables and locals, applied to a job file's values before cnverify reads them.

``variable "x" { type default validation { condition error_message } }`` and ``variables { x = … }`` declare
input variables; ``locals { y = … }`` names expressions (evaluated in any order they allow). A variable with a
value (its default) is substituted; one without stays a symbol: a value that depends on it becomes a residual
expression ``${…}`` over ``var.*`` that the properties read with :mod:`cnverify.systems.nomad.symbolic` (its
validation conditions bound it). A default that fails its validation, a reference to an undeclared variable or
local, and a call of a function Nomad does not have are Nomad's own errors (``jobspec2/types.variables.go``,
``types.config.go``, ``functions.go`` at a4cc76bd); an expression cnverify does not evaluate keeps its text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnverify.systems.nomad.hclexpr import HclError, Sym, Unsupported, evaluate, parse, parse_template, references

HclPath = tuple[str, ...]
Problem = tuple[HclPath, str]


@dataclass
class Declared:
    name: str
    type: str | None = None
    value: Any = None
    has_value: bool = False
    validations: list[tuple[str, str, HclPath]] = field(default_factory=list)  # (condition, message, where)


def unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def to_ast(raw: Any) -> Any:
    """A python-hcl2 value as an expression (None: a map, evaluated key by key)."""
    if isinstance(raw, str) and raw.startswith("${") and raw.endswith("}"):
        return parse(raw[2:-1])
    if isinstance(raw, str) and len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return parse_template(raw[1:-1])
    if isinstance(raw, list):
        return ("list", [to_ast(v) for v in raw])
    return ("lit", raw)


def labelled(blocks: Any) -> list[tuple[str, dict[str, Any]]]:
    """``[{'"label"': body}, …]`` → ``[(label, body)]`` (unlabelled blocks: label "")."""
    out = []
    for block in blocks or []:
        if isinstance(block, dict) and len(block) == 1 and "__is_block__" not in block:
            [(label, body)] = block.items()
            out.append((str(unquote(label)), body))
        elif isinstance(block, dict):
            out.append(("", block))
    return out


class Scope:
    """The variables and locals of one file, and how a reference to each evaluates."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.declared: dict[str, Declared] = {}
        self.locals: dict[str, Any] = {}
        self.problems: list[Problem] = []
        self._declare(raw)
        self._evaluate_locals(raw)

    def lookup(self, root: str, name: str) -> Any:
        if root == "var":
            d = self.declared.get(name)
            if d is None:
                raise HclError(f'Unsupported attribute: there is no variable named "{name}" (var.{name})')
            return d.value if d.has_value else Sym(("get", ("ref", "var"), name))
        if name not in self.locals:
            raise HclError(f'Unsupported attribute: there is no local value named "{name}" (local.{name})')
        value = self.locals[name]
        if isinstance(value, Exception):
            raise value
        return value

    def _declare(self, raw: dict[str, Any]) -> None:
        for name, body in labelled(raw.get("variable")):
            where = ("variable", name)
            if name in self.declared:
                self.problems.append((where, f"Duplicate variable: Duplicate {name} variable definition found."))
                continue
            d = Declared(name, str(unquote(body.get("type"))) if "type" in body else None)
            for k, (_, v) in enumerate(labelled(body.get("validation"))):
                d.validations.append(
                    (
                        str(v.get("condition", "")),
                        str(unquote(v.get("error_message", ""))),
                        where + ("validation", f"#{k}"),
                    )
                )
            if "default" in body:
                self._assign(d, body["default"], where + ("default",), "default")
            self.declared[name] = d
        for _, body in labelled(raw.get("variables")):
            for name, value in body.items():
                if not name.startswith("__"):
                    d = self.declared.setdefault(name, Declared(name))
                    self._assign(d, value, ("variables", name), "default")

    def _assign(self, d: Declared, raw: Any, where: HclPath, source: str) -> None:
        try:
            value = evaluate(to_ast(raw), lambda root, name: _no_references(root, name))
        except (HclError, Unsupported) as exc:
            self.problems.append((where, f"Invalid {source} value for variable {d.name!r}: {exc}"))
            return
        if d.type == "number" and isinstance(value, str):
            try:
                value = float(value) if "." in value else int(value)
            except ValueError:
                self.problems.append((where, f"Invalid {source} value for variable: a number is required"))
                return
        d.value, d.has_value = value, True
        for condition, message, _ in d.validations:
            try:
                ok = evaluate(
                    to_ast(condition),
                    lambda root, name: value if (root, name) == ("var", d.name) else _no_references(root, name),
                )
            except (HclError, Unsupported):
                continue  # cnverify cannot evaluate it; Nomad will
            if ok is False:
                self.problems.append((where, f"Invalid value for {source} variable: {message}"))

    def _evaluate_locals(self, raw: dict[str, Any]) -> None:
        pending: list[tuple[str, Any]] = []
        for _, body in labelled(raw.get("locals")):
            for name, value in body.items():
                if name.startswith("__"):
                    continue
                if name in self.locals or name in dict(pending):
                    self.problems.append(
                        (("locals", name), f"Duplicate value in locals: Duplicate {name} definition found.")
                    )
                pending.append((name, value))
        last = HclError("")
        while pending:  # types.config.go evaluateLocalVariables: retry until no local makes progress
            progress, left = False, []
            for name, value in pending:
                try:
                    self.locals[name] = evaluate(to_ast(value), self.lookup)
                    progress = True
                except HclError as exc:
                    left.append((name, value))
                    last = exc
                except Unsupported as exc:
                    self.locals[name] = exc
                    progress = True
            pending = left
            if not progress:
                for name, _ in pending:
                    self.problems.append((("locals", name), str(last)))
                return

    def apply(self, body: Any, where: HclPath) -> Any:
        """``body`` (a python-hcl2 job tree) with every expression evaluated: a value, a residual ``${…}`` over
        variables without a value, or the text as written when cnverify does not evaluate it."""
        if isinstance(body, dict):
            out = {}
            for key, value in body.items():
                if key.startswith("__"):
                    out[key] = value
                elif _is_blocks(value):
                    out[key] = self.blocks(value, where + (key,))
                else:
                    out[key] = self._value(value, where + (str(unquote(key)),))
            return out
        return body

    def blocks(self, blocks: Any, where: HclPath) -> Any:
        """A list of (labelled) blocks with their expressions evaluated (see :meth:`apply`)."""
        return [self._block(b, where) for b in blocks] if _is_blocks(blocks) else blocks

    def _block(self, block: dict[str, Any], where: HclPath) -> dict[str, Any]:
        if "__is_block__" not in block and len(block) == 1:
            [(label, inner)] = block.items()
            return {label: self._block(inner, where + (str(unquote(label)),))}
        return self.apply(block, where)

    def _value(self, raw: Any, where: HclPath) -> Any:
        if isinstance(raw, dict):
            return {k: self._value(v, where + (str(unquote(k)),)) for k, v in raw.items()}
        if isinstance(raw, list):
            return [self._value(v, where) for v in raw]
        if not isinstance(raw, str) or ("${" not in raw and "%{" not in raw):
            return raw
        try:
            value = evaluate(to_ast(raw), self.lookup)
        except Unsupported:
            return raw
        except HclError as exc:
            self.problems.append((where, str(exc)))
            return raw
        if isinstance(value, Sym):
            return "${" + value.text + "}"
        return f'"{value}"' if isinstance(value, str) else value

    def unset(self, used: Any) -> list[dict[str, Any]]:
        """The declarations of the variables without a value that the evaluated job refers to."""
        names: set[str] = set()
        _collect(used, names)
        return [
            {
                "name": d.name,
                "type": d.type,
                "validation": [{"condition": c, "error_message": m} for c, m, _ in d.validations],
            }
            for n, d in sorted(self.declared.items())
            if n in names and not d.has_value
        ]


def _is_blocks(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) for v in value)
        and "__is_block__" in str(value)
    )


def _no_references(root: str, name: str) -> Any:
    raise HclError(f"Variables not allowed: {root}.{name} (a default is a literal value)")


def _collect(value: Any, names: set[str]) -> None:
    if isinstance(value, str) and value.startswith("${") and "var." in value:
        try:
            names |= references(parse(value[2:-1]))
        except Unsupported:
            pass
    elif isinstance(value, dict):
        for v in value.values():
            _collect(v, names)
    elif isinstance(value, list):
        for v in value:
            _collect(v, names)
