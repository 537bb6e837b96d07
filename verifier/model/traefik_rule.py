"""Traefik's router rule language: a Go expression of matcher calls, ``&&``, ``||``, ``!`` and parentheses.

traefik/traefik fd5a576d: ``pkg/rules/parser.go`` hands the rule to ``vulcand/predicate``, which parses it with
Go's ``go/parser.ParseExpr`` and accepts only calls of known matchers (spelt as declared, lower case, UPPER case or
Title case) whose arguments are string literals (back-quoted raw strings or double-quoted Go strings), joined
by ``&&`` (binds tighter) and ``||``, negated by ``!`` (``invert`` pushes it to the leaves by De Morgan), in
parentheses. ``rules.CheckRule``: every matcher needs at least one argument and no argument may be empty.
A rule that fails any of this is rejected: Traefik does not build the router (``router.go`` ``AddRoute``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

V3_MATCHERS = {  # pkg/muxer/http/matcher.go httpFuncs: name → accepted argument counts
    "ClientIP": (1,),
    "Method": (1,),
    "Host": (1,),
    "HostRegexp": (1,),
    "Path": (1,),
    "PathRegexp": (1,),
    "PathPrefix": (1,),
    "Header": (2,),
    "HeaderRegexp": (2,),
    "Query": (1, 2),
    "QueryRegexp": (1, 2),
}
V2_NAMES = ("Host", "HostHeader", "HostRegexp", "ClientIP", "Path", "PathPrefix", "Method", "Headers", "HeadersRegexp")
# matcher_v2.go httpFuncsV2: every matcher takes a list (gorilla/mux checks the counts)
V2_MATCHERS: dict[str, tuple[int, ...]] = {n: () for n in (*V2_NAMES, "Query")}


class RuleError(ValueError):
    """A rule Traefik rejects; ``column`` is the 1-based character offset in the rule."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.column = column


@dataclass(frozen=True)
class Call:
    """One matcher call: its canonical name, its arguments and its column in the rule."""

    name: str
    args: tuple[str, ...]
    column: int


@dataclass(frozen=True)
class Op:
    op: str  # "and" | "or"
    left: Tree
    right: Tree


@dataclass(frozen=True)
class Not:
    inner: Tree


Tree = Call | Op | Not
TOKEN = re.compile(
    r"\s*(?:(?P<raw>`[^`]*`)|(?P<str>\"(?:[^\"\\\n]|\\.)*\")|(?P<id>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>&&|\|\||[!(),])|(?P<bad>\S))"
)
ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}


def unquote(lit: str, column: int) -> str:
    """Go's ``strconv.Unquote`` of a double-quoted literal."""
    out, i, body = [], 0, lit[1:-1]
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in ESCAPES:
            out.append(ESCAPES[e])
            i += 2
        elif e in "xuU01234567":
            width = {"x": 2, "u": 4, "U": 8}.get(e, 3)
            digits = body[i + 2 : i + 2 + width] if e in "xuU" else body[i + 1 : i + 4]
            base = 8 if e not in "xuU" else 16
            try:
                code = int(digits, base)
            except ValueError:
                raise RuleError(f"invalid escape in string literal {lit}", column) from None
            if len(digits) != width or code > 0x10FFFF:
                raise RuleError(f"invalid escape in string literal {lit}", column)
            out.append(chr(code) if e in "uU" else bytes([code & 0xFF]).decode("latin-1"))
            i += 2 + width if e in "xuU" else 4
        else:
            raise RuleError(f"unknown escape sequence \\{e} in string literal", column)
    return "".join(out)


class _Parser:
    def __init__(self, rule: str, matchers: dict[str, tuple[int, ...]]) -> None:
        self.rule = rule
        self.names = {}
        for n in matchers:
            for spelt in (n, n.lower(), n.upper(), n.lower().capitalize()):
                self.names[spelt] = n
        self.counts = matchers
        self.toks: list[tuple[str, str, int]] = []
        for m in TOKEN.finditer(rule):
            kind = m.lastgroup or "bad"
            if kind == "bad":
                raise RuleError(f"unexpected character {m.group(kind)!r}", m.start(kind) + 1)
            self.toks.append((kind, m.group(kind), m.start(kind) + 1))
        self.pos = 0

    def peek(self) -> tuple[str, str, int]:
        return self.toks[self.pos] if self.pos < len(self.toks) else ("end", "", len(self.rule) + 1)

    def take(self, value: str) -> int:
        kind, text, col = self.peek()
        if text != value or kind != "op":
            raise RuleError(f"expected {value!r}, found {text or 'the end of the rule'!r}", col)
        self.pos += 1
        return col

    def parse(self) -> Tree:
        if not self.toks:
            raise RuleError("empty rule", 1)
        tree = self.expr_or()
        kind, text, col = self.peek()
        if kind != "end":
            raise RuleError(f"unexpected {text!r}", col)
        return tree

    def expr_or(self) -> Tree:
        left = self.expr_and()
        while self.peek()[1] == "||":
            self.pos += 1
            left = Op("or", left, self.expr_and())
        return left

    def expr_and(self) -> Tree:
        left = self.unary()
        while self.peek()[1] == "&&":
            self.pos += 1
            left = Op("and", left, self.unary())
        return left

    def unary(self) -> Tree:
        kind, text, col = self.peek()
        if kind == "op" and text == "!":
            self.pos += 1
            return Not(self.unary())
        if kind == "op" and text == "(":
            self.pos += 1
            inner = self.expr_or()
            self.take(")")
            return inner
        if kind == "id":
            return self.call()
        raise RuleError(f"expected a matcher, found {text or 'the end of the rule'!r}", col)

    def call(self) -> Call:
        _, name, col = self.toks[self.pos]
        self.pos += 1
        if name not in self.names:
            raise RuleError(f"unsupported function: {name}", col)
        self.take("(")
        args: list[str] = []
        while self.peek()[1] != ")" or self.peek()[0] != "op":
            kind, text, acol = self.peek()
            if kind not in ("raw", "str"):
                raise RuleError(f"expected a string literal argument of {name}, found {text!r}", acol)
            args.append(text[1:-1] if kind == "raw" else unquote(text, acol))
            self.pos += 1
            if self.peek()[1] == ",":
                self.pos += 1
            elif self.peek()[1] != ")":
                raise RuleError(f"expected ',' or ')', found {self.peek()[1]!r}", self.peek()[2])
        self.take(")")
        canonical = self.names[name]
        if not args:
            raise RuleError(f"no args for matcher {canonical}", col)
        if any(a == "" for a in args):
            raise RuleError(f"empty args for matcher {canonical}", col)
        counts = self.counts[canonical]
        if counts and len(args) not in counts:
            raise RuleError(
                f"{canonical}: unexpected number of parameters; got {len(args)}, expected one of {list(counts)}", col
            )
        return Call(canonical, tuple(args), col)


def parse(rule: str, syntax: str = "v3") -> Tree:
    """The rule's tree (``!`` kept as `Not`); raises `RuleError` where Traefik rejects the rule."""
    return _Parser(rule, V2_MATCHERS if syntax == "v2" else V3_MATCHERS).parse()


def dnf(tree: Tree, negated: bool = False, limit: int = 64) -> list[list[tuple[Call, bool]]]:
    """The rule as an OR of ANDs of (matcher, negated) — Traefik's ``invert`` then distribution; raises
    ValueError beyond ``limit`` conjunctions."""
    if isinstance(tree, Call):
        return [[(tree, negated)]]
    if isinstance(tree, Not):
        return dnf(tree.inner, not negated, limit)
    left, right = dnf(tree.left, negated, limit), dnf(tree.right, negated, limit)
    if (tree.op == "or") != negated:
        out = left + right
    else:
        out = [a + b for a in left for b in right]
    if len(out) > limit:
        raise ValueError(f"the rule has more than {limit} alternatives once expanded")
    return out


def calls(tree: Tree) -> list[Call]:
    """Every matcher call of the rule, left to right."""
    if isinstance(tree, Call):
        return [tree]
    if isinstance(tree, Not):
        return calls(tree.inner)
    return calls(tree.left) + calls(tree.right)


def check_arguments(tree: Tree) -> None:
    """The v3 matchers' own argument checks (``matcher.go``), raising `RuleError` where Traefik does: a Host or
    HostRegexp with non-ASCII characters, a Path/PathPrefix not starting with ``/``, a regex Go's ``regexp``
    rejects, a ClientIP that is neither an IP nor a CIDR (``ip.NewChecker``)."""
    import ipaddress

    from cnverify.encodings.regex import InvalidRegex, UnsupportedRegex
    from cnverify.encodings.regex import parse as parse_regex

    for c in calls(tree):
        a = c.args
        if c.name in ("Host", "HostRegexp") and not a[0].isascii():
            raise RuleError(
                f"invalid value {a[0]!r} for {c.name} matcher, non-ASCII characters are not allowed", c.column
            )
        if c.name in ("Path", "PathPrefix") and not a[0].startswith("/"):
            raise RuleError(f"path {a[0]!r} does not start with a '/'", c.column)
        regex = {"HostRegexp": 0, "PathRegexp": 0, "HeaderRegexp": 1, "QueryRegexp": 1}.get(c.name)
        if regex is not None and regex < len(a):
            try:
                parse_regex(a[regex])
            except InvalidRegex as exc:
                raise RuleError(f"compiling {c.name} matcher: {exc.reason}", c.column) from None
            except UnsupportedRegex:
                pass  # valid, only not translatable: the route is analysed as unknown
        if c.name == "ClientIP":
            try:
                ipaddress.ip_network(a[0], strict=False) if "/" in a[0] else ipaddress.ip_address(a[0])
            except ValueError:
                raise RuleError(f"initializing IP checker for ClientIP matcher: invalid {a[0]!r}", c.column) from None
