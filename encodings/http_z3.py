"""Symbolic HTTP request and the Z3 encoding of the match IR (`http_ir`).

`SymbolicRequest(header_names, query_keys, tag, header_slots)` holds Z3 terms: `path`,
`host` (Host header, case kept, optional `:port`) — path and host as the routes see them, `method`, `port` (Int, listener port);
for each query key the table mentions `query[key] = Field(present: Bool, value: String)`;
for each header name `headers[name]` = a tuple of `Field` slots, one per value the header
may be sent with (slot k present implies slot k-1 present; slot 0 present = the header is
present). `from_table` gives a header as many slots as the table has string matchers on
it (at least 1): each matcher needs at most one witness value, so no request with more
values reaches anything fewer values cannot. `domain()` restricts every term to the request
model documented in `http_ir` (an absent field has value ""), the path and host in the
image of the table's `Rewrite`. `witness(model)` turns a Z3
model into a concrete `Request`. `match_formula(match, req)` / `entry_formula(entry, req)`
are exact for every IR kind; case-insensitive comparisons are per-character class regexes
(Z3 has no lower-case function).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import z3

from .http_ir import (
    MANAGED_HEADERS,
    PSEUDO,
    Entry,
    HeaderMatch,
    HostPattern,
    Match,
    MatchTable,
    PathMatch,
    Request,
    StrMatch,
    UnsupportedMatch,
    conditions,
    range_bounds,
    segment_value,
    str_matches,
    wire,
)
from .http_rewrite import Rewrite
from .regex import Z3_MAX_CHAR, RegexError, charset_z3, string_value, sval, to_z3

NO_REWRITE = Rewrite()  # frozen: one shared default
_RS = z3.ReSort(z3.StringSort())
ANY = z3.Full(_RS)
ANY_CHAR = charset_z3(((0, Z3_MAX_CHAR),))
PATH_CHAR = charset_z3(((0x21, 0x22), (0x24, 0x3E), (0x40, 0x7E), (0x80, 0xFF)))
QKEY_CHAR = charset_z3(((0x21, 0x22), (0x24, 0x25), (0x27, 0x3C), (0x3E, 0x7E)))
QVAL_CHAR = charset_z3(((0x21, 0x22), (0x24, 0x25), (0x27, 0x7E)))
HV_EDGE = charset_z3(((0x21, 0x7E), (0x80, Z3_MAX_CHAR)))
HV_MID = charset_z3(((0x09, 0x09), (0x20, 0x7E), (0x80, Z3_MAX_CHAR)))
TCHAR = charset_z3(
    (
        (0x21, 0x21),
        (0x23, 0x27),
        (0x2A, 0x2B),
        (0x2D, 0x2E),
        (0x30, 0x39),
        (0x41, 0x5A),
        (0x5E, 0x7A),
        (0x7C, 0x7C),
        (0x7E, 0x7E),
    )
)
METHOD_RE = z3.Intersect(z3.Plus(TCHAR), z3.Complement(z3.Re("CONNECT")))
HOST_CHAR = charset_z3(((0x2D, 0x2E), (0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)))
# every character a Host can hold (the request model's HOST_RE): wildcards range over these only
HOSTPORT_CHAR = charset_z3(((0x2D, 0x2E), (0x30, 0x3A), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)))
LABEL_CHAR = charset_z3(((0x2D, 0x2D), (0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)))
DIGIT = z3.Range("0", "9")
PORT_SUFFIX = z3.Concat(z3.Re(":"), z3.Loop(DIGIT, 1, 5))
PATH_RE = z3.Concat(z3.Re("/"), z3.Star(PATH_CHAR))
HOST_RE = z3.Concat(z3.Plus(HOST_CHAR), z3.Option(PORT_SUFFIX))
# shaped as (E (M* E)?)? — the equivalent E | E M* E is ~100x slower for z3 5.4
HEADER_VALUE_RE = z3.Option(z3.Concat(HV_EDGE, z3.Option(z3.Concat(z3.Star(HV_MID), HV_EDGE))))


EMPTY = z3.Re(sval(""))


def _ite(c: z3.BoolRef, a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
    """If-then-else as And/Or (so `regex_normal_form` can see through it)."""
    if z3.is_true(b):
        return z3.Or(z3.Not(c), a)
    if z3.is_false(b):
        return z3.And(c, a)
    return z3.Or(z3.And(c, a), z3.And(z3.Not(c), b))


@dataclass(frozen=True)
class Field:
    present: z3.BoolRef
    value: z3.SeqRef


class SymbolicRequest:
    def __init__(
        self,
        header_names: Iterable[str] = (),
        query_keys: Iterable[str] = (),
        tag: str = "req",
        header_slots: dict[str, int] | None = None,
    ) -> None:
        self.path = z3.String(f"{tag}.path")
        self.host = z3.String(f"{tag}.host")
        self.method = z3.String(f"{tag}.method")
        self.port = z3.Int(f"{tag}.port")
        names = sorted({n.lower() for n in header_names} - set(PSEUDO))
        slots = header_slots or {}
        self.headers = {
            n: tuple(
                Field(z3.Bool(f"{tag}.h.{n}.{k}?"), z3.String(f"{tag}.h.{n}.{k}"))
                for k in range(max(1, slots.get(n, 1)))
            )
            for n in names
        }
        self.query = {k: Field(z3.Bool(f"{tag}.q.{k}?"), z3.String(f"{tag}.q.{k}")) for k in sorted(set(query_keys))}

    @classmethod
    def from_table(cls, table: MatchTable, tag: str = "req", single_values: bool = False) -> SymbolicRequest:
        headers = [h for e in table.entries for h in e.match.headers]
        query = {q.name for e in table.entries for q in e.match.query}
        slots: dict[str, int] = {}
        for h in headers:
            slots[h.name] = slots.get(h.name, 0) + (h.match is not None)
        return cls({h.name for h in headers}, query, tag, None if single_values else slots)

    def domain(self, rewrite: Rewrite = NO_REWRITE) -> list[z3.BoolRef]:
        """The request model, as the routes see it after `rewrite` (the path in its image)."""
        path_re = PATH_RE if rewrite.identity else z3.Intersect(PATH_RE, rewrite.path_image())
        out = [
            z3.InRe(self.path, path_re),
            z3.InRe(self.host, HOST_RE),
            rewrite.host_image(self.host, self.port, PORT_SUFFIX),
            z3.InRe(self.method, METHOD_RE),
            self.port >= 1,
            self.port <= 65535,
        ]
        for fields in self.headers.values():
            for k, f in enumerate(fields):
                out.append(_ite(f.present, z3.InRe(f.value, HEADER_VALUE_RE), z3.InRe(f.value, EMPTY)))
                if k:
                    out.append(z3.Implies(f.present, fields[k - 1].present))
        for f in self.query.values():
            out.append(_ite(f.present, z3.InRe(f.value, z3.Star(QVAL_CHAR)), z3.InRe(f.value, EMPTY)))
        return out

    def header(self, name: str) -> tuple[Field, ...]:
        if name in MANAGED_HEADERS or name.startswith("x-envoy-"):
            raise UnsupportedMatch(f"header {name!r} is set or consumed by the proxy")
        if name in PSEUDO:
            return (Field(z3.BoolVal(True), getattr(self, PSEUDO[name])),)
        if name.startswith(":"):
            raise UnsupportedMatch(f"pseudo-header {name!r}")
        return self.headers[name]

    def witness(self, model: z3.ModelRef) -> Request:
        def s(t: z3.SeqRef) -> str:
            return string_value(model.eval(t, model_completion=True))

        headers: dict[str, str | tuple[str, ...]] = {}
        for n, fields in self.headers.items():
            values = tuple(s(f.value) for f in fields if z3.is_true(model.eval(f.present, True)))
            if values:
                headers[n] = values[0] if len(values) == 1 else values
        query = {k: s(f.value) for k, f in self.query.items() if z3.is_true(model.eval(f.present, True))}
        return Request(
            host=s(self.host),
            port=model.eval(self.port, True).as_long(),
            method=s(self.method),
            path=s(self.path),
            headers=headers,
            query=query,
        )


def ic_literal(value: str, ignore_case: bool = True) -> z3.ReRef:
    """Regex of `value`, letters matching both ASCII cases when `ignore_case`."""
    parts: list[z3.ReRef] = []
    run = ""
    for c in wire(value):
        if ignore_case and c.isascii() and c.isalpha():
            if run:
                parts.append(z3.Re(sval(run)))
                run = ""
            parts.append(z3.Union(z3.Re(sval(c.lower())), z3.Re(sval(c.upper()))))
        else:
            run += c
    if run or not parts:
        parts.append(z3.Re(sval(run)))
    return parts[0] if len(parts) == 1 else z3.Concat(*parts)


def str_formula(m: StrMatch, x: z3.SeqRef) -> z3.BoolRef:
    if m.kind == "present":
        return z3.BoolVal(True)
    if m.kind == "range":
        return z3.InRe(x, integer_range(*range_bounds(m)))
    if m.kind == "regex":
        return z3.InRe(x, to_z3(m.value))
    # literal comparisons as regex membership: z3 5.4 mixes str.prefixof / = with str.in_re
    # on the same variable badly (seconds), while pure regex constraints stay fast
    lit = ic_literal(m.value, m.ignore_case)
    shapes = {
        "exact": lit,
        "prefix": z3.Concat(lit, ANY),
        "suffix": z3.Concat(ANY, lit),
        "contains": z3.Concat(ANY, lit, ANY),
    }
    return z3.InRe(x, shapes[m.kind])


DIGIT_RE = z3.Range("0", "9")


def _digits(lo: str, hi: str) -> z3.ReRef:
    """Decimal strings of len(lo) digits between lo and hi (inclusive, same length)."""
    if lo == hi:
        return z3.Re(lo) if lo else EMPTY
    if lo == "0" * len(lo) and hi == "9" * len(hi):
        return z3.Loop(DIGIT_RE, len(lo), len(lo))
    if lo[0] == hi[0]:
        return z3.Concat(z3.Re(lo[0]), _digits(lo[1:], hi[1:]))
    n = len(lo) - 1
    parts = [z3.Concat(z3.Re(lo[0]), _digits(lo[1:], "9" * n)) if n else z3.Re(lo[0])]
    if int(hi[0]) - int(lo[0]) > 1:
        mid = z3.Range(str(int(lo[0]) + 1), str(int(hi[0]) - 1))
        parts.append(z3.Concat(mid, z3.Loop(DIGIT_RE, n, n)) if n else mid)
    parts.append(z3.Concat(z3.Re(hi[0]), _digits("0" * n, hi[1:])) if n else z3.Re(hi[0]))
    return z3.Union(*parts)


def _naturals(lo: int, hi: int) -> z3.ReRef:
    """Digit strings (leading zeros allowed) whose value is in [lo, hi] (0 <= lo)."""
    parts = [z3.Plus(z3.Re("0"))] if lo == 0 <= hi else []
    lo = max(lo, 1)
    for width in range(len(str(lo)), len(str(hi)) + 1 if hi >= lo else 0):
        a, b = max(lo, 10 ** (width - 1)), min(hi, 10**width - 1)
        if a <= b:
            parts.append(z3.Concat(z3.Star(z3.Re("0")), _digits(str(a), str(b))))
    return z3.Union(*parts) if len(parts) > 1 else parts[0] if parts else z3.Empty(z3.ReSort(z3.StringSort()))


def integer_range(start: int, end: int) -> z3.ReRef:
    """Envoy `range_match`: `[+-]?[0-9]+` whose integer is in [start, end)."""
    parts = []
    if end - 1 >= 0 and end > start:
        parts.append(z3.Concat(z3.Option(z3.Re("+")), _naturals(max(start, 0), end - 1)))
    if start <= 0 and end > start:  # "-" then a magnitude in [max(0, 1 - end), -start]
        parts.append(z3.Concat(z3.Re("-"), _naturals(max(0, 1 - end), -start)))
    return z3.Union(*parts) if len(parts) > 1 else parts[0] if parts else z3.Empty(z3.ReSort(z3.StringSort()))


def path_formula(m: PathMatch, x: z3.SeqRef) -> z3.BoolRef:
    if m.kind == "regex":
        return z3.InRe(x, to_z3(m.value))
    if m.kind in ("exact", "prefix"):
        return str_formula(StrMatch(m.kind, m.value, m.ignore_case), x)
    v = segment_value(m.value) if m.kind == "segment_prefix" else m.value
    if m.kind == "segment_prefix" and not v:
        return z3.BoolVal(True)
    return z3.Or(
        str_formula(StrMatch("exact", v, m.ignore_case), x), str_formula(StrMatch("prefix", v + "/", m.ignore_case), x)
    )


def header_formula(h: HeaderMatch, req: SymbolicRequest) -> z3.BoolRef:
    slots = req.header(h.name)
    if h.present is not None:
        result: z3.BoolRef = z3.BoolVal(h.present != h.invert)
        absent = (h.present != h.invert) if h.treat_missing_as_empty else (h.present == h.invert)
    else:
        any_value = z3.Or([z3.And(f.present, str_formula(h.match, f.value)) for f in slots])  # type: ignore[arg-type]
        result = z3.Not(any_value) if h.invert else any_value
        absent = h.treat_missing_as_empty and (str_matches(h.match, "") != h.invert)  # type: ignore[arg-type]
    return _ite(slots[0].present, result, z3.BoolVal(absent))


def match_formula(match: Match, req: SymbolicRequest) -> z3.BoolRef:
    """Exact Z3 encoding of `evaluate(match, ·)`; raises UnsupportedMatch / UnsupportedRegex."""
    if match.unsupported:
        raise UnsupportedMatch(match.unsupported)
    parts: list[z3.BoolRef] = []
    if match.port is not None:
        parts.append(req.port == match.port)
    if match.path is not None:
        parts.append(path_formula(match.path, req.path))
    if match.method is not None:
        parts.append(str_formula(match.method, req.method))
    if match.authority is not None:
        parts.append(str_formula(match.authority, req.host))
    parts += [header_formula(h, req) for h in match.headers]
    for q in match.query:
        f = req.query[q.name]
        parts.append(
            z3.Not(f.present)
            if q.absent
            else f.present
            if q.match is None
            else z3.And(f.present, str_formula(q.match, f.value))
        )
    return z3.And(parts) if parts else z3.BoolVal(True)


def host_formula(p: HostPattern, host: z3.SeqRef) -> z3.BoolRef:
    pat = p.pattern
    if pat == "*":
        return z3.BoolVal(True)
    if pat.startswith("*"):
        wild = z3.Plus(LABEL_CHAR) if p.one_label else z3.Plus(HOSTPORT_CHAR if not p.ignore_port else HOST_CHAR)
        body = z3.Concat(wild, ic_literal(pat[1:]))
    elif pat.endswith("*"):
        body = z3.Concat(ic_literal(pat[:-1]), z3.Plus(HOST_CHAR if p.ignore_port else HOSTPORT_CHAR))
    else:
        body = ic_literal(pat)
    return z3.InRe(host, z3.Concat(body, z3.Option(PORT_SUFFIX)) if p.ignore_port else body)


def relaxed_formula(entry: Entry, req: SymbolicRequest) -> z3.BoolRef:
    """Implied by the entry matching: the conjunction of the conditions that can be encoded
    (a request that falsifies it surely misses the entry, whatever the rest says)."""
    parts = [z3.Or([host_formula(p, req.host) for p in entry.hosts])] if entry.hosts is not None else []
    for cond in conditions(entry.match):
        try:
            parts.append(match_formula(cond, req))
        except (UnsupportedMatch, RegexError):
            continue
    return z3.And(parts) if parts else z3.BoolVal(True)


def entry_formula(entry: Entry, req: SymbolicRequest) -> z3.BoolRef:
    m = match_formula(entry.match, req)
    if entry.hosts is None:
        return m
    return z3.And(z3.Or([host_formula(p, req.host) for p in entry.hosts]), m)


def _in_re(e: z3.ExprRef) -> bool:
    return z3.is_app_of(e, z3.Z3_OP_SEQ_IN_RE)


def regex_normal_form(e: z3.BoolRef, negate: bool = False) -> z3.BoolRef:
    """Equivalent formula in negation normal form where, under each And / Or, all `str.in_re`
    atoms on the same variable are merged into one (Intersect / Union, Complement for Not).

    z3 5.4 decides one membership in an intersected regex in milliseconds but takes up to
    seconds on the same constraints stated as separate atoms.
    """
    if z3.is_not(e):
        return regex_normal_form(e.arg(0), not negate)
    if z3.is_and(e) or z3.is_or(e):
        conj = z3.is_and(e) != negate
        kids = [regex_normal_form(c, negate) for c in e.children()]
        return _group(kids, conj)
    if _in_re(e) and negate:
        return z3.InRe(e.arg(0), z3.Complement(e.arg(1)))
    if z3.is_true(e) or z3.is_false(e):
        return z3.BoolVal(z3.is_true(e) != negate)
    return z3.Not(e) if negate else e


def _group(kids: list[z3.BoolRef], conj: bool) -> z3.BoolRef:
    same = z3.is_and if conj else z3.is_or
    flat: list[z3.BoolRef] = []
    for k in kids:
        flat.extend(k.children() if same(k) else [k])
    by_var: dict[int, tuple[z3.ExprRef, list[z3.ReRef]]] = {}
    rest: list[z3.BoolRef] = []
    for k in flat:
        if _in_re(k):
            by_var.setdefault(k.arg(0).get_id(), (k.arg(0), []))[1].append(k.arg(1))
        elif (z3.is_false(k) and conj) or (z3.is_true(k) and not conj):
            return k
        elif not (z3.is_true(k) or z3.is_false(k)):
            rest.append(k)
    for var, regs in by_var.values():
        r = regs[0] if len(regs) == 1 else (z3.Intersect(*regs) if conj else z3.Union(*regs))
        rest.append(z3.InRe(var, r))
    if not rest:
        return z3.BoolVal(conj)
    if len(rest) == 1:
        return rest[0]
    return z3.And(rest) if conj else z3.Or(rest)
