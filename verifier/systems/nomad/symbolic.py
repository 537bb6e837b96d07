"""A Nomad value as a Z3 term: a number, or an expression over input variables without a value.

A variable without a default gets its value when the job is run (``nomad job run -var``, ``-var-file``,
``NOMAD_VAR_<name>``); each of its ``validation`` conditions bounds it (Nomad rejects other values:
``jobspec2/types.variables.go`` ``validateValue``), so a property holds for every value they allow or the witness
gives a value that breaks it. An expression the solver cannot read (a string, ``%``, a condition cnverify cannot
translate) leaves the value unknown, naming it.
"""

from __future__ import annotations

from typing import Any

import z3
from cnverify.model.nomad import NomadVariable, TaskGroup
from cnverify.obligation import Obligation
from cnverify.systems.nomad.hclexpr import Unsupported, bare, parse, references, show
from cnverify.systems.nomad.variables import to_ast


def is_residual(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("${") and value.endswith("}")


def shown(value: Any, unit: str = "") -> str:
    """A value as a chain step shows it: the number (with its unit), or the expression over input variables."""
    if is_residual(value):
        return f"{bare(value[2:-1])} (an expression over input variables)"
    return f"{value}{unit}"


class Terms:
    """Terms of one obligation's Nomad values; ``reason`` says why one could not be read."""

    def __init__(self, ob: Obligation, group: TaskGroup) -> None:
        self.ob, self.group = ob, group
        self.reason: str | None = None
        self._seen: set[str] = set()

    def of(self, value: Any, label: str) -> z3.ArithRef | None:
        """``value`` (a number or a residual ``${…}``) as a term; None, with :attr:`reason`, when it is not one."""
        if isinstance(value, bool) or value is None:
            self.reason = self.reason or f"{label} is {value!r}, not a number"
            return None
        if isinstance(value, float) and not value.is_integer():
            self.reason = self.reason or f"{label} is {value}, not a whole number (Nomad's decoder rejects it)"
            return None
        if isinstance(value, int | float):
            return z3.RealVal(value)
        try:
            ast = parse(value[2:-1]) if is_residual(value) else None
            if ast is None or not references(ast):
                raise Unsupported(
                    "an expression cnverify does not evaluate"
                    if "var." in value or "local." in value
                    else "a value the Nomad client interpolates, not an input variable"
                )
            names = sorted(references(ast))
            for name in names:
                self._variable(name)
            term = self._term(ast)
            if not isinstance(term, z3.ArithRef):
                raise Unsupported("not a number")
        except Unsupported as exc:
            self.reason = self.reason or f"{label} is {value}: {exc}"
            return None
        except z3.Z3Exception:  # e.g. a condition where a number belongs
            self.reason = self.reason or f"{label} is {value}: it mixes numbers and conditions"
            return None
        return term

    def _variable(self, name: str) -> None:
        if name in self._seen:
            return
        self._seen.add(name)
        declared = self._declared(name)
        if declared is None:
            raise Unsupported(f"var.{name} is not declared")
        if declared.type not in (None, "number", "any", "string"):
            raise Unsupported(f"var.{name} is of type {declared.type}")
        if not declared.validation:
            raise Unsupported(
                f"it depends on var.{name}, which has no default and no validation bounding it (its value is given "
                f"when the job is run: -var, -var-file or NOMAD_VAR_{name})"
            )
        self.ob.note(
            f"var.{name} has no default: its value is given when the job is run (-var, -var-file or "
            f"NOMAD_VAR_{name}) and must pass its validation",
            declared.at(),
        )
        for rule in declared.validation or []:
            cond = self._term(_expression(rule.condition))
            if not isinstance(cond, z3.BoolRef):
                raise Unsupported(f"the validation of var.{name} is not a condition cnverify reads")
            self.ob.fact(
                cond,
                at=rule.at(),
                says=f"var.{name} passes its validation {bare(show(_expression(rule.condition)))} (Nomad rejects other "
                f"values: {rule.error_message!r})",
            )
        self.ob.show(f"var.{name}", _var(name))

    def _declared(self, name: str) -> NomadVariable | None:
        return next((v for v in self.group.variables or [] if v.name == name), None)

    def _term(self, node: Any) -> z3.ExprRef:
        tag = node[0]
        if tag == "lit" and isinstance(node[1], bool):
            return z3.BoolVal(node[1])
        if tag == "lit" and isinstance(node[1], int | float):
            return z3.RealVal(node[1])
        if tag == "get" and node[1] == ("ref", "var") and isinstance(node[2], str):
            return _var(node[2])
        if tag == "un":
            x = self._term(node[2])
            return -x if node[1] == "-" else z3.Not(x)
        if tag == "cond":
            return z3.If(self._term(node[1]), self._term(node[2]), self._term(node[3]))
        if tag == "call" and node[1] in ("min", "max") and node[2]:
            out = self._term(node[2][0])
            for arg in node[2][1:]:
                x = self._term(arg)
                out = z3.If(x < out if node[1] == "min" else x > out, x, out)
            return out
        if tag == "call" and node[1] == "abs":
            x = self._term(node[2][0])
            return z3.If(x < 0, -x, x)
        if tag == "bin" and node[1] != "%":
            a, b = self._term(node[2]), self._term(node[3])
            op = node[1]
            if op == "/":
                self.ob.fact(b != 0, at=None, says=f"{show(node[3])} is not 0 (Nomad rejects a division by zero)")
            ops = {
                "+": lambda: a + b,
                "-": lambda: a - b,
                "*": lambda: a * b,
                "/": lambda: a / b,
                "<": lambda: a < b,
                "<=": lambda: a <= b,
                ">": lambda: a > b,
                ">=": lambda: a >= b,
                "==": lambda: a == b,
                "!=": lambda: a != b,
                "&&": lambda: z3.And(a, b),
                "||": lambda: z3.Or(a, b),
            }
            try:
                return ops[op]()
            except z3.Z3Exception:
                raise Unsupported(f"{show(node)} mixes numbers and conditions") from None
        raise Unsupported(f"{show(node)} is not read by the solver (strings, %, lists, other functions)")


def _expression(text: str) -> Any:
    return to_ast(text)


def _var(name: str) -> z3.ArithRef:
    return z3.Real(f"var.{name}")
