"""HCL2 expressions as Nomad's jobspec2 evaluates them, for the values python-hcl2 leaves as text (``${…}``).

The subset: numbers, strings and templates (``"a-${var.x}"``), ``true``/``false``/``null``, references
(``var.x``, ``local.y``, ``a.b[0]``), lists, unary ``-``/``!``, ``* / % + - < <= > >= == != && ||``, ``c ? a : b``
and calls of the functions below. A reference whose root is neither ``var`` nor ``local`` (``attr.kernel.name``,
``NOMAD_ALLOC_ID``) is not an HCL variable: jobspec2 keeps it as the text ``${…}`` for the client to interpolate
(``jobspec2/types.config.go`` ``EvalContext.UndefinedVariable``).

Evaluation gives a value, or a :class:`Sym` when the value depends on a variable without a value (the residual
expression over ``var.*``), or raises :class:`Unsupported` (cnverify does not evaluate it: the value stays unknown)
or :class:`HclError` (Nomad rejects the file: an undeclared variable, a function Nomad does not have).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Ast = tuple[Any, ...]
# jobspec2/functions.go at a4cc76bd: every function a job file may call (others are "Call to unknown function")
NOMAD_FUNCTIONS = frozenset(
    "abs base64decode base64encode bcrypt can ceil chomp chunklist cidrhost cidrnetmask cidrsubnet cidrsubnets "
    "coalesce coalescelist compact concat contains convert csvdecode distinct element flatten floor format formatdate "
    "formatlist indent index join jsondecode jsonencode keys length log lookup lower max md5 merge min parseint pow "
    "range reverse replace regex_replace rsadecrypt setintersection setproduct setunion sha1 sha256 sha512 signum "
    "slice sort split strlen strrev substr timeadd title trim trimprefix trimspace trimsuffix try upper urlencode "
    "uuidv4 uuidv5 values yamldecode yamlencode zipmap abspath basename dirname file filebase64 fileexists fileset "
    "pathexpand".split()
)
SYMBOLIC_FUNCTIONS = ("min", "max", "abs")  # kept in a residual expression (the solver reads them)


class HclError(Exception):
    """Nomad rejects the expression (the message is Nomad's diagnostic)."""


class Unsupported(Exception):
    """cnverify does not evaluate this expression (its value stays unknown)."""


@dataclass(frozen=True)
class Sym:
    """A value that depends on variables without a value: the residual expression (only ``var.*`` references)."""

    ast: Ast

    @property
    def text(self) -> str:
        return bare(show(self.ast))


def bare(text: str) -> str:
    """``text`` without one pair of parentheses around all of it."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and i < len(text) - 1:
            return text
    return text[1:-1]


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][\w-]*)|(?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:()\[\],.{}=])|(?P<str>\"))"
)
_BINARY = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}


def parse(text: str) -> Ast:
    """Parse one expression (the text inside ``${…}``)."""
    p = _Parser(text)
    node = p.expr()
    if p.peek() is not None:
        raise Unsupported(f"cannot read {text!r} at {text[p.pos :]!r}")
    return node


def parse_template(text: str) -> Ast:
    """A string template's inside (without its quotes): ``("tmpl", parts)``, a part a str or ``(ast, source)``."""
    parts: list[Any] = []
    i, lit = 0, ""
    while i < len(text):
        if text.startswith("$${", i) or text.startswith("%%{", i):
            lit, i = lit + text[i + 1 : i + 3], i + 3
        elif text.startswith("%{", i):
            raise Unsupported("a template directive (%{…})")
        elif text.startswith("${", i):
            end = _closing(text, i + 2)
            if lit:
                parts.append(lit)
            source = text[i + 2 : end].strip().lstrip("~").rstrip("~").strip()
            parts.append((parse(source), text[i : end + 1]))
            lit, i = "", end + 1
        elif text[i] == "\\" and i + 1 < len(text):
            lit += {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(text[i + 1], "\\" + text[i + 1])
            i += 2
        else:
            lit, i = lit + text[i], i + 1
    if lit:
        parts.append(lit)
    return ("tmpl", parts)


def _closing(text: str, i: int) -> int:
    """Index of the ``}`` closing an interpolation opened before ``i`` (strings and nested braces skipped)."""
    depth, quoted = 0, False
    while i < len(text):
        ch = text[i]
        if quoted:
            quoted = ch != '"' or text[i - 1] == "\\"
        elif ch == '"':
            quoted = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise Unsupported("an unterminated interpolation")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def peek(self) -> tuple[str, str] | None:
        m = _TOKEN.match(self.text, self.pos)
        if m is None or m.end() == self.pos and self.text[self.pos :].strip() == "":
            if self.text[self.pos :].strip():
                raise Unsupported(f"cannot read {self.text[self.pos :]!r}")
            return None
        kind = m.lastgroup or ""
        return kind, m.group(kind)

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise Unsupported("the expression ends early")
        m = _TOKEN.match(self.text, self.pos)
        assert m is not None
        self.pos = m.end()
        return tok

    def expect(self, op: str) -> None:
        if self.take() != ("op", op):
            raise Unsupported(f"expected {op!r}")

    def expr(self) -> Ast:
        cond = self.binary(1)
        if self.peek() == ("op", "?"):
            self.take()
            yes = self.expr()
            self.expect(":")
            return ("cond", cond, yes, self.expr())
        return cond

    def binary(self, level: int) -> Ast:
        left = self.unary()
        while (tok := self.peek()) and tok[0] == "op" and _BINARY.get(tok[1], 0) >= level:
            op = self.take()[1]
            left = ("bin", op, left, self.binary(_BINARY[op] + 1))
        return left

    def unary(self) -> Ast:
        if self.peek() in (("op", "-"), ("op", "!")):
            return ("un", self.take()[1], self.unary())
        return self.postfix(self.primary())

    def postfix(self, node: Ast) -> Ast:
        while (tok := self.peek()) in (("op", "."), ("op", "[")):
            self.take()
            if tok == ("op", "."):
                kind, name = self.take()
                if kind not in ("name", "num"):
                    raise Unsupported("a splat or an unusual attribute")
                node = ("get", node, int(name) if kind == "num" else name)
            else:
                node = ("get", node, self.expr())
                self.expect("]")
        return node

    def items(self, close: str) -> list[Ast]:
        """Comma-separated expressions up to ``close`` (call arguments, list items)."""
        out: list[Ast] = []
        while self.peek() != ("op", close):
            out.append(self.expr())
            if self.peek() == ("op", ","):
                self.take()
        self.take()
        return out

    def primary(self) -> Ast:
        kind, text = self.take()
        if kind == "num":
            return ("lit", float(text) if "." in text or "e" in text.lower() else int(text))
        if kind == "str":
            start = self.pos
            i = start
            while i < len(self.text) and self.text[i] != '"':
                i = _closing(self.text, i + 2) + 1 if self.text.startswith("${", i) else i + 1 + (self.text[i] == "\\")
            self.pos = i + 1
            return parse_template(self.text[start:i])
        if kind == "name":
            if text in ("true", "false", "null"):
                return ("lit", {"true": True, "false": False, "null": None}[text])
            if text == "for":
                raise Unsupported("a for expression")
            if self.peek() == ("op", "("):
                self.take()
                return ("call", text, self.items(")"))
            return ("ref", text)
        if (kind, text) == ("op", "("):
            inner = self.expr()
            self.expect(")")
            return inner
        if (kind, text) == ("op", "["):
            return ("list", self.items("]"))
        raise Unsupported(f"{text!r} (objects, splats and for expressions are not evaluated)")


def show(node: Ast) -> str:
    """HCL text of an expression."""
    tag = node[0]
    if tag == "lit":
        v = node[1]
        return (
            "null"
            if v is None
            else str(v).lower()
            if isinstance(v, bool)
            else repr(v)
            if isinstance(v, str)
            else str(v)
        )
    if tag == "ref":
        return node[1]
    if tag == "get":
        return f"{show(node[1])}.{node[2]}" if isinstance(node[2], str) else f"{show(node[1])}[{_key(node[2])}]"
    if tag == "un":
        return f"{node[1]}{show(node[2])}"
    if tag == "bin":
        return f"({show(node[2])} {node[1]} {show(node[3])})"
    if tag == "cond":
        return f"({show(node[1])} ? {show(node[2])} : {show(node[3])})"
    if tag == "call":
        return f"{node[1]}({', '.join(show(a) for a in node[2])})"
    if tag == "list":
        return f"[{', '.join(show(a) for a in node[1])}]"
    return '"' + "".join(p if isinstance(p, str) else p[1] for p in node[1]) + '"'


def _key(k: Any) -> str:
    return show(k) if isinstance(k, tuple) else str(k)


def references(node: Ast) -> set[str]:
    """The names of the ``var.*`` references in a (residual) expression."""
    if node[0] == "get" and node[1] == ("ref", "var") and isinstance(node[2], str):
        return {node[2]}
    out: set[str] = set()
    for child in node[1:]:
        for c in child if isinstance(child, list) else [child]:
            if isinstance(c, tuple) and c and isinstance(c[0], str):
                out |= references(c)
            elif isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], tuple):
                out |= references(c[0])  # a template part (ast, source)
    return out


Lookup = Callable[[str, str], Any]  # (root "var"/"local", name) → value, Sym, or raises


def evaluate(node: Ast, lookup: Lookup) -> Any:
    """The value of ``node``; a :class:`Sym` when it depends on a variable without a value."""
    tag = node[0]
    if tag == "lit":
        return node[1]
    if tag == "ref":
        return "${" + node[1] + "}"  # not var/local: kept for the client (UndefinedVariable)
    if tag == "get":
        path: list[Any] = []
        root = node
        while root[0] == "get":
            path.insert(0, root[2])
            root = root[1]
        if root[0] == "ref" and root[1] not in ("var", "local"):
            return "${" + show(node) + "}"
        if root[0] == "ref" and isinstance(path[0], str):
            value = lookup(root[1], path[0])
            for key in path[1:]:
                value = _index(value, key if not isinstance(key, tuple) else evaluate(key, lookup))
            return value
        return _index(
            evaluate(node[1], lookup), node[2] if not isinstance(node[2], tuple) else evaluate(node[2], lookup)
        )
    if tag == "list":
        items = [evaluate(a, lookup) for a in node[1]]
        if any(isinstance(i, Sym) for i in items):
            raise Unsupported("a list built from variables without a value")
        return items
    if tag == "tmpl":
        out: list[Any] = []
        for part in node[1]:
            out.append(part if isinstance(part, str) else evaluate(part[0], lookup))
        if any(isinstance(p, Sym) for p in out):
            return Sym(("tmpl", [p if isinstance(p, str) else (p.ast, "${" + p.text + "}") for p in out]))
        return "".join(_text(p) for p in out)
    if tag == "un":
        x = evaluate(node[2], lookup)
        if isinstance(x, Sym):
            return Sym(("un", node[1], x.ast))
        return -_num(x) if node[1] == "-" else not _bool(x)
    if tag == "bin":
        a, b = evaluate(node[2], lookup), evaluate(node[3], lookup)
        if isinstance(a, Sym) or isinstance(b, Sym):
            if node[1] in ("&&", "||") and not isinstance(a, Sym) and _bool(a) == (node[1] == "||"):
                return _bool(a)  # short-circuit: the residual side does not matter
            return Sym(("bin", node[1], _lift(a), _lift(b)))
        return _binary(node[1], a, b)
    if tag == "cond":
        c = evaluate(node[1], lookup)
        if isinstance(c, Sym):
            yes, no = evaluate(node[2], lookup), evaluate(node[3], lookup)
            return Sym(("cond", c.ast, _lift(yes), _lift(no)))
        return evaluate(node[2] if _bool(c) else node[3], lookup)
    if tag == "call":
        name = node[1]
        if name not in NOMAD_FUNCTIONS:
            raise HclError(f'Call to unknown function: There is no function named "{name}".')
        args = [evaluate(a, lookup) for a in node[2]]
        if any(isinstance(a, Sym) for a in args):
            if name in SYMBOLIC_FUNCTIONS:
                return Sym(("call", name, [_lift(a) for a in args]))
            raise Unsupported(f"{name}() of a variable without a value")
        if name not in FUNCTIONS:
            raise Unsupported(f"cnverify does not evaluate the function {name}()")
        try:
            return FUNCTIONS[name](*args)
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise HclError(f"Error in function call: {name}(): {exc}") from None
    raise Unsupported(f"expression {tag}")


def _lift(value: Any) -> Ast:
    return value.ast if isinstance(value, Sym) else ("lit", value)


def _index(value: Any, key: Any) -> Any:
    if isinstance(value, Sym) or isinstance(key, Sym):
        raise Unsupported("an index into a value that depends on a variable without a value")
    try:
        return value[int(key)] if isinstance(value, list) else value[key]
    except (KeyError, IndexError, TypeError, ValueError):
        raise HclError(f"Invalid index: the value has no element {key!r}") from None


def _num(x: Any) -> int | float:
    if isinstance(x, bool) or x is None:
        raise HclError(f"Invalid operand: a number is required, not {show(('lit', x))}")
    if isinstance(x, str):
        try:
            return float(x) if "." in x or "e" in x.lower() else int(x)
        except ValueError:
            raise HclError(f"Invalid operand: a number is required, not {x!r}") from None
    return x


def _bool(x: Any) -> bool:
    if isinstance(x, bool):
        return x
    if x in ("true", "false"):
        return x == "true"
    raise HclError(f"Invalid operand: a bool is required, not {show(('lit', x))}")


def _text(x: Any) -> str:
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    if x is None or isinstance(x, (list, dict)):
        raise HclError("Invalid template interpolation value: a string is required")
    return str(x)


def _binary(op: str, a: Any, b: Any) -> Any:
    if op in ("&&", "||"):
        return _bool(a) and _bool(b) if op == "&&" else _bool(a) or _bool(b)
    if op in ("==", "!="):
        return (a == b) == (op == "==")
    x, y = _num(a), _num(b)
    if op in ("/", "%") and y == 0:
        raise HclError("Error in function call: division by zero")
    result = {
        "+": lambda: x + y,
        "-": lambda: x - y,
        "*": lambda: x * y,
        "/": lambda: x / y,
        "%": lambda: math.fmod(x, y),
        "<": lambda: x < y,
        "<=": lambda: x <= y,
        ">": lambda: x > y,
        ">=": lambda: x >= y,
    }[op]()
    if isinstance(result, float) and not isinstance(result, bool) and result.is_integer():
        return int(result)  # cty numbers are arbitrary precision: 6 / 2 is the whole number 3
    return result


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": lambda *xs: min(_num(x) for x in xs),
    "max": lambda *xs: max(_num(x) for x in xs),
    "abs": lambda x: abs(_num(x)),
    "ceil": lambda x: math.ceil(_num(x)),
    "floor": lambda x: math.floor(_num(x)),
    "signum": lambda x: (_num(x) > 0) - (_num(x) < 0),
    "pow": lambda x, y: _num(x) ** _num(y),
    "parseint": lambda s, base: int(str(s), int(_num(base))),
    "lower": lambda s: str(s).lower(),
    "upper": lambda s: str(s).upper(),
    "trimspace": lambda s: str(s).strip(),
    "length": lambda x: len(x),
    "join": lambda sep, *lists: str(sep).join(_text(i) for items in lists for i in items),
    "concat": lambda *lists: [i for items in lists for i in items],
    "contains": lambda items, x: x in items,
    "coalesce": lambda *xs: next(x for x in xs if x not in (None, "")),
    "lookup": lambda m, k, *d: m[k] if k in m or not d else d[0],
    "element": lambda items, i: items[int(_num(i)) % len(items)],
}
