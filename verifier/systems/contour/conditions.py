"""HTTPProxy match conditions as Contour merges, validates and orders them (docs/SEMANTICS.md#contour-httpproxy).

Read from contour 31c4bb38:

* ``internal/dag/conditions.go``: ``mergePathMatchConditions`` (the prefixes / exact / regex of the include chain
  and the route concatenated, ``//+`` collapsed to ``/``; any regex makes the whole path a regex, else the last
  condition decides prefix or exact; none: prefix ``/``), ``headerMatchConditions`` (the first set of present,
  notpresent, contains, notcontains, exact, notexact, regex), ``queryParameterMatchConditions`` and the
  ``*Valid`` checks (a failure marks the HTTPProxy invalid).
* ``internal/sorter/sorter.go`` ``routeSorter.Less``: exact before regex before prefix; longer paths first, then
  the greater string; equal paths: a ``:method`` header first, more headers, more query parameters, then header
  by header (``headerMatchConditionSorter``) and parameter by parameter.
* ``internal/dag/dag.go`` ``conditionsToString``: the key of a route in its virtual host (a later route with the
  same conditions replaces an earlier one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cnverify.encodings.http import HeaderMatch, Match, PathMatch, QueryMatch, StrMatch
from cnverify.encodings.regex import InvalidRegex, UnsupportedRegex
from cnverify.encodings.regex_parse import parse
from cnverify.model.contour import MatchCondition

SLASHES = re.compile(r"//+")
HEADER_RANK = {"exact": 0, "regex": 1, "contains": 2, "present": 3}
QUERY_RANK = {"exact": 0, "regex": 1, "prefix": 2, "suffix": 3, "contains": 4, "present": 5}


@dataclass(frozen=True)
class Header:
    """dag ``HeaderMatchCondition``."""

    name: str
    kind: str  # exact contains present regex
    value: str = ""
    invert: bool = False
    ignore_case: bool = False
    missing_empty: bool = False


@dataclass(frozen=True)
class Query:
    """dag ``QueryParamMatchCondition``."""

    name: str
    kind: str  # exact prefix suffix regex contains present
    value: str = ""
    ignore_case: bool = False


@dataclass(frozen=True)
class Conditions:
    """A route's merged conditions: its path (kind, value), headers and query parameters."""

    kind: str  # prefix exact regex
    path: str
    headers: tuple[Header, ...] = ()
    query: tuple[Query, ...] = ()

    def key(self) -> tuple[object, ...]:
        return (self.kind, self.path, self.headers, self.query)

    def describe(self) -> str:
        parts = [f"{self.kind} {self.path}"]
        for h in self.headers:
            flags = " (ignoreCase)" if h.ignore_case else ""
            flags += " (treatMissingAsEmpty)" if h.missing_empty else ""
            parts.append(f"header {h.name} {'not ' if h.invert else ''}{h.kind} {h.value}".rstrip() + flags)
        parts += [
            f"query {q.name} {q.kind} {q.value}".rstrip() + (" (ignoreCase)" if q.ignore_case else "")
            for q in self.query
        ]
        return ", ".join(parts)


def merge(conds: Sequence[MatchCondition], extra: Sequence[Header] = ()) -> Conditions:
    """``mergePathMatchConditions`` + header and query merging, with ``extra`` headers appended."""
    merged, regex = "", False
    for c in conds:
        if c.prefix:
            merged += c.prefix
        elif c.exact:
            merged += c.exact
        elif c.regex:
            merged, regex = merged + c.regex, True
    merged = SLASHES.sub("/", merged)
    if not merged or not conds:
        kind, merged = "prefix", "/"
    elif regex:
        kind = "regex"
    else:
        kind = "exact" if conds[-1].exact and not conds[-1].prefix else "prefix"
    headers = tuple(h for c in conds if c.header for h in _header(c))
    query = tuple(q for c in conds if c.query_parameter for q in _query(c))
    return Conditions(kind, merged, headers + tuple(extra), query)


def _header(c: MatchCondition) -> list[Header]:
    h = c.header
    assert h is not None
    ic, tm = h.ignore_case, h.treat_missing_as_empty
    tests = [
        (h.present, "present", "", False),
        (h.notpresent, "present", "", True),
        (h.contains, "contains", h.contains, False),
        (h.notcontains, "contains", h.notcontains, True),
        (h.exact, "exact", h.exact, False),
        (h.notexact, "exact", h.notexact, True),
        (h.regex, "regex", h.regex, False),
    ]
    for on, kind, value, invert in tests:
        if on:
            keep_ic = ic and kind in ("contains", "exact")
            return [Header(h.name, kind, value, invert, keep_ic, tm and invert and kind != "present")]
    return []  # a header condition with no test: Contour adds none


def _query(c: MatchCondition) -> list[Query]:
    q = c.query_parameter
    assert q is not None
    for kind in ("exact", "prefix", "suffix", "regex", "contains"):
        if getattr(q, kind):
            return [Query(q.name, kind, getattr(q, kind), q.ignore_case and kind != "regex")]
    return [Query(q.name, "present")] if q.present else []


def _regex_error(value: str) -> str:
    try:
        parse(value)
    except InvalidRegex as e:
        return str(e)
    except UnsupportedRegex:
        return ""
    return ""


def path_error(conds: Sequence[MatchCondition]) -> str:
    """``pathMatchConditionsValid``: each path starts with ``/``, a regex compiles, at most one path condition."""
    count = 0
    for c in conds:
        for kind in ("prefix", "exact", "regex"):
            value = getattr(c, kind)
            if not value:
                continue
            count += 1
            if not value.startswith("/"):
                return f"{kind} conditions must start with /, {value} was supplied"
            if kind == "regex" and _regex_error(value):
                return f"supplied regex: {value} invalid. error: {_regex_error(value)}"
    return "more than one prefix, exact or regex is not allowed in a condition block" if count > 1 else ""


def include_error(conds: Sequence[MatchCondition]) -> str:
    """``includeMatchConditionsValid``: only prefixes (and headers / query parameters) in an include."""
    for c in conds:
        if c.exact:
            return "exact conditions are not allowed in includes block"
        if c.regex:
            return "regex conditions are not allowed in includes block"
    return ""


def header_error(conds: Sequence[MatchCondition]) -> str:
    """``headerMatchConditionsValid`` over the include chain's and the route's conditions."""
    seen: set[tuple[str, str, str]] = set()
    exact: set[str] = set()
    opposite = {"present": "notpresent", "notpresent": "present", "exact": "notexact", "notexact": "exact"}
    opposite |= {"contains": "notcontains", "notcontains": "contains"}
    for c in conds:
        h = c.header
        if h is None:
            continue
        name = h.name.lower()
        for kind in ("present", "notpresent", "exact", "notexact", "contains", "notcontains", "regex"):
            value = getattr(h, kind)
            if not value:
                continue
            text = "" if isinstance(value, bool) else value
            if kind == "exact":
                if name in exact:
                    return "cannot specify duplicate header 'exact match' conditions in the same route"
                exact.add(name)
            if kind in opposite and (name, opposite[kind], text) in seen:
                pos = opposite[kind] if kind.startswith("not") else kind
                return f"cannot specify contradictory '{pos}' and 'not{pos}' conditions for the same route and header"
            if kind == "regex" and _regex_error(text):
                return "invalid regular expression specified for 'regex' condition"
            seen.add((name, kind, text))
            break
    return ""


def query_error(conds: Sequence[MatchCondition]) -> str:
    """``queryParameterMatchConditionsValid``: exactly one test per parameter, one exact per name."""
    exact: set[str] = set()
    for c in conds:
        q = c.query_parameter
        if q is None:
            continue
        tests = [k for k in ("exact", "prefix", "suffix", "regex", "contains", "present") if getattr(q, k)]
        if not tests:
            return "must specify at least one query parameter condition"
        if len(tests) > 1:
            return "cannot specify more than one condition in the same match condition branch"
        if q.exact:
            if q.name.lower() in exact:
                return "cannot specify duplicate query parameter 'exact match' conditions in the same route"
            exact.add(q.name.lower())
        if q.regex and _regex_error(q.regex):
            return "invalid regular expression specified for 'regex' condition"
    return ""


def to_match(c: Conditions) -> Match:
    """The IR of the Envoy match Contour writes (envoy/v3/route.go ``RouteMatch``; a regex is ``^`` + the path,
    RE2 full match)."""
    headers = []
    for h in c.headers:
        if h.kind == "present":
            headers.append(HeaderMatch(h.name, present=True, invert=h.invert))
        else:
            sm = StrMatch(h.kind, h.value, h.ignore_case)  # type: ignore[arg-type]
            headers.append(HeaderMatch(h.name, sm, invert=h.invert, treat_missing_as_empty=h.missing_empty))
    query = [
        QueryMatch(q.name) if q.kind == "present" else QueryMatch(q.name, StrMatch(q.kind, q.value, q.ignore_case))  # type: ignore[arg-type]
        for q in c.query
    ]
    path = PathMatch(c.kind, c.path)  # type: ignore[arg-type]  # "^" + regex under full match is the regex
    return Match(path=path, headers=tuple(headers), query=tuple(query))


def _cond_less(a: Header | Query, b: Header | Query, rank: dict[str, int]) -> bool:
    """``headerMatchConditionSorter.Less`` / ``queryParamMatchConditionSorter.Less``: name, kind, value, then a
    header's not-inverted (a parameter's case-sensitive) condition first; two present parameters are equal."""
    if a.name != b.name:
        return a.name < b.name
    if rank[a.kind] != rank[b.kind]:
        return rank[a.kind] < rank[b.kind]
    if a.kind != "present" and a.value != b.value:
        return a.value < b.value
    if isinstance(a, Header) and isinstance(b, Header):
        return a.invert != b.invert and not a.invert
    assert isinstance(a, Query) and isinstance(b, Query)
    return a.kind != "present" and a.ignore_case != b.ignore_case and not a.ignore_case


def _header_less(a: Header, b: Header) -> bool:
    return _cond_less(a, b, HEADER_RANK)


def _query_less(a: Query, b: Query) -> bool:
    return _cond_less(a, b, QUERY_RANK)


def sorted_conditions(c: Conditions) -> Conditions:
    """Each route's headers and query parameters sorted (xdscache/v3/route.go ``sortRoutes``; stable)."""
    from functools import cmp_to_key

    def by(less: Callable[[Any, Any], bool]) -> Any:
        return cmp_to_key(lambda x, y: -1 if less(x, y) else (1 if less(y, x) else 0))

    return Conditions(
        c.kind, c.path, tuple(sorted(c.headers, key=by(_header_less))), tuple(sorted(c.query, key=by(_query_less)))
    )


def less(a: Conditions, b: Conditions) -> bool:
    """``routeSorter.Less`` on sorted conditions (HTTPProxy prefixes are string prefixes; priority is 0)."""
    order = {"exact": 0, "regex": 1, "prefix": 2}
    if a.kind != b.kind:
        return order[a.kind] < order[b.kind]
    if a.kind != "exact" and len(a.path) != len(b.path):
        return len(a.path) > len(b.path)
    if a.path != b.path:
        return a.path > b.path
    am, bm = any(h.name == ":method" for h in a.headers), any(h.name == ":method" for h in b.headers)
    if am != bm:
        return am
    ah, bh = [h for h in a.headers if h.name != ":method"], [h for h in b.headers if h.name != ":method"]
    if len(ah) != len(bh):
        return len(ah) > len(bh)
    if len(a.query) != len(b.query):
        return len(a.query) > len(b.query)
    if any(_header_less(x, y) for x, y in zip(ah, bh, strict=True)):
        return True
    return any(_query_less(x, y) for x, y in zip(a.query, b.query, strict=True))
