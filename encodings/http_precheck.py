"""Exact pre-checks on the match IR that decide the plain cases without Z3.

* `disjoint(a, b)` — (`disjoint(a, a)`: the entry matches nothing) True only when no request can match both entries (literal paths, or
  the literal prefixes of path regexes, that are not prefixes of each other, different exact query/method values, a header required
  absent by one and present by the other, different ports, disjoint exact hosts). Used to
  drop earlier entries that cannot matter; never claims disjointness it cannot prove.
* `covers(j, i)` — True only when every request matching entry `i` also matches entry `j`
  (j's conditions are all implied by literal conditions of i).
* `candidates(i)` — concrete requests built from entry i's literals, and `search(i, earlier)`
  — random requests assembled from the literals (and regex samples) of i and the earlier
  entries; either is a reachability witness once the evaluator confirms it.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from functools import lru_cache

from .http_ir import (
    METHODS,
    PSEUDO,
    TOKEN_RE,
    Entry,
    HeaderMatch,
    HostPattern,
    Match,
    PathMatch,
    Request,
    StrMatch,
    ascii_lower,
    range_bounds,
    segment_value,
    wire,
)
from .regex import RegexError, literal_prefix, sample

_LIT_KINDS = ("exact", "prefix", "path_separated_prefix", "segment_prefix")


@lru_cache(maxsize=65536)
def _path_literal(p: PathMatch | None) -> tuple[str, bool, bool] | None:
    """(literal, is_exact, ignore_case): every matching path starts with (or equals) literal."""
    if p is None:
        return ("/", False, False)
    if p.kind == "regex":
        try:
            return literal_prefix(p.value)
        except RegexError:
            return None
    v = (segment_value(p.value) or "/") if p.kind == "segment_prefix" else p.value
    return (v, p.kind == "exact", p.ignore_case)


def _lit_disjoint(a: tuple[str, bool, bool], b: tuple[str, bool, bool]) -> bool:
    va, vb = a[0], b[0]
    if a[2] or b[2]:
        va, vb = ascii_lower(va), ascii_lower(vb)
    if a[1] and b[1]:
        return va != vb
    if a[1]:
        return not va.startswith(vb)
    if b[1]:
        return not vb.startswith(va)
    return not (va.startswith(vb) or vb.startswith(va))


def _requires_present(h: HeaderMatch) -> bool:
    return not h.treat_missing_as_empty and not (h.present is not None and h.present == h.invert)


def _requires_absent(h: HeaderMatch) -> bool:
    return h.present is not None and not h.treat_missing_as_empty and h.present == h.invert


def _headers_disjoint(a: Match, b: Match) -> bool:
    """One side needs the header absent, the other present. (Two different exact values do
    not conflict: a header may be sent several times and each matcher needs one value.)"""
    for ha in a.headers:
        for hb in b.headers:
            if ha.name == hb.name and (
                (_requires_absent(ha) and _requires_present(hb)) or (_requires_absent(hb) and _requires_present(ha))
            ):
                return True
    return False


def _host_concrete(p: HostPattern) -> str | None:
    return None if "*" in p.pattern else ascii_lower(p.pattern)


def _pair_disjoint(pa: HostPattern, pb: HostPattern) -> bool:
    if pa.ignore_port != pb.ignore_port:
        return False
    ca, cb = _host_concrete(pa), _host_concrete(pb)
    if ca is not None:
        return not pb.matches(ca)
    return cb is not None and not pa.matches(cb)


def _hosts_disjoint(a: tuple[HostPattern, ...] | None, b: tuple[HostPattern, ...] | None) -> bool:
    if a is None or b is None:
        return False
    return all(_pair_disjoint(pa, pb) for pa in a for pb in b)


def _exact_str(m: object) -> str | None:
    return m.value if m is not None and m.kind == "exact" and not m.ignore_case else None  # type: ignore[attr-defined]


def disjoint(a: Entry, b: Entry) -> bool:
    ma, mb = a.match, b.match
    if ma.unsupported or mb.unsupported:
        return False
    if ma.port is not None and mb.port is not None and ma.port != mb.port:
        return True
    la, lb = _path_literal(ma.path), _path_literal(mb.path)
    if la is not None and lb is not None and _lit_disjoint(la, lb):
        return True
    xa, xb = _exact_str(ma.method), _exact_str(mb.method)
    if xa is not None and xb is not None and xa != xb:
        return True
    for qa in ma.query:
        for qb in mb.query:
            xa, xb = _exact_str(qa.match), _exact_str(qb.match)
            if qa.name == qb.name and xa is not None and xb is not None and xa != xb:
                return True
    return _headers_disjoint(ma, mb) or _hosts_disjoint(a.hosts, b.hosts)


def covers(j: Entry, i: Entry) -> bool:
    """Every request matching i also matches j (syntactic, sound, incomplete)."""
    mj, mi = j.match, i.match
    if mj.unsupported or mi.unsupported:
        return False
    if j.hosts is not None and (i.hosts is None or not set(i.hosts) <= set(j.hosts)):
        return False
    if mj.port is not None and mj.port != mi.port:
        return False
    for attr in ("method", "authority"):
        if getattr(mj, attr) is not None and getattr(mj, attr) != getattr(mi, attr):
            return False
    if not set(mj.headers) <= set(mi.headers) or not set(mj.query) <= set(mi.query):
        return False
    return _path_covers(mj.path, mi.path)


def _path_covers(pj: PathMatch | None, pi: PathMatch | None) -> bool:
    """Every path matching `pi` matches `pj` (sound, incomplete)."""
    if pj is None or pj == pi:
        return True
    li = _path_literal(pi)
    if li is None or pj.kind == "regex" or (li[2] and not pj.ignore_case):
        return False
    lit, exact, _ = li
    vj = segment_value(pj.value) if pj.kind == "segment_prefix" else pj.value
    if pj.kind == "segment_prefix" and not vj:
        return True
    if pj.ignore_case:
        lit, vj = ascii_lower(lit), ascii_lower(vj)
    if pj.kind == "prefix":
        return lit.startswith(vj)
    if pj.kind == "exact":
        return exact and lit == vj
    # path_separated_prefix / segment_prefix: the path equals vj or continues with "/"
    if exact or (pi is not None and pi.kind in ("path_separated_prefix", "segment_prefix")):
        if lit == vj:
            return True
    return lit.startswith(vj + "/")


def _path_options(p: PathMatch | None) -> list[str]:
    if p is None:
        return ["/", "/x"]
    p = PathMatch(p.kind, wire(p.value), p.ignore_case)
    if p.kind == "exact":
        return [p.value]
    if p.kind == "prefix":
        return [p.value, p.value + "x", p.value + "/", "/" if p.value == "" else p.value + "-"]
    if p.kind in ("path_separated_prefix", "segment_prefix"):
        v = segment_value(p.value) if p.kind == "segment_prefix" else p.value
        return [v or "/", v + "/", v + "/x"]
    return []


def _str_options(m: object, default: str) -> list[str]:
    if m is None:
        return [default]
    kind, value = m.kind, wire(m.value)  # type: ignore[attr-defined]
    if kind == "range":
        lo, hi = range_bounds(m)  # type: ignore[arg-type]
        return [str(lo)] if lo < hi else []
    if kind == "regex":
        return []
    if kind == "present":
        return [default]
    return [value, value + "x", "x" + value] if kind != "exact" else [value]


def _header_options(h: HeaderMatch) -> list[str | None]:
    if h.present is not None:
        return ["1"] if h.present != h.invert else [None]
    if h.invert:
        return [None, "", "~"] if h.treat_missing_as_empty else ["", "~"]
    return list(_str_options(h.match, "1"))


def _host_options(hosts: tuple[HostPattern, ...] | None) -> list[str]:
    if hosts is None:
        return ["example.com"]
    out = []
    for p in hosts:
        pat = p.pattern
        out.append(
            "example.com"
            if pat == "*"
            else "a" + pat[1:]
            if pat.startswith("*")
            else pat[:-1] + "a"
            if pat.endswith("*")
            else pat
        )
    return out


def candidates(entry: Entry, limit: int = 24) -> Iterator[Request]:
    """Concrete requests built from the entry's literals (not yet checked)."""
    m = entry.match
    if m.unsupported:
        return
    hosts = _str_options(m.authority, "") if m.authority is not None else _host_options(entry.hosts)
    methods = [x for x in (_str_options(m.method, "GET") if m.method else ["GET"]) if TOKEN_RE.fullmatch(x)]
    if m.method is not None and m.method.kind == "regex":
        methods = list(METHODS)
    hdr_names = [h.name for h in m.headers]
    hdr_opts = [_header_options(h) for h in m.headers]
    q_names = [q.name for q in m.query]
    q_opts = [[None] if q.absent else _str_options(q.match, "1") if q.match is not None else ["1"] for q in m.query]
    combos = itertools.product(
        _path_options(m.path), hosts, methods, itertools.product(*hdr_opts), itertools.product(*q_opts)
    )
    for path, host, method, hvals, qvals in itertools.islice(combos, limit):
        headers: dict[str, str | tuple[str, ...]] = {}
        for n, v in zip(hdr_names, hvals, strict=True):
            if v is not None and n in PSEUDO:  # a pseudo-header is the request's host or method
                host, method = (v, method) if PSEUDO[n] == "host" else (host, v)
            elif v is not None:
                headers[n] = v
        yield Request(
            host=host,
            port=m.port or 80,
            method=method,
            path=path,
            headers=headers,
            query={k: v for k, v in zip(q_names, qvals, strict=True) if v is not None},
        )


def _str_pool(m: StrMatch | None, rng: random.Random) -> list[str]:
    if m is None or m.kind == "present":
        return []
    if m.kind == "range":
        lo, hi = range_bounds(m)
        return [str(lo), str(hi - 1), str(hi), "+" + str(lo)]
    if m.kind == "regex":
        try:
            return [s for s in (sample(m.value, rng), sample(m.value, rng)) if s is not None]
        except RegexError:
            return []
    v = wire(m.value)
    return [v, v + "x", "x" + v, ascii_lower(v), v.upper()]


def _pools(entries: list[Entry], rng: random.Random) -> dict[str, list]:
    pools: dict[str, list] = {"path": ["/", "/x"], "method": ["GET", "POST"], "host": []}
    for e in entries:
        m = e.match
        pools["host"] += _host_options(e.hosts) if e.hosts else []
        if m.path is not None:
            if m.path.kind == "regex":
                pools["path"] += _str_pool(StrMatch("regex", m.path.value), rng)
            else:
                v = segment_value(m.path.value) if m.path.kind == "segment_prefix" else m.path.value
                pools["path"] += [v, v + "/", v + "x", v + "/x", ascii_lower(v), v.upper()]
        pools["method"] += [
            x
            for x in _str_pool(m.method, rng)  # HTTP/1 methods, or the literal itself
            if x in METHODS or (TOKEN_RE.fullmatch(x) and m.method and x == m.method.value)
        ]
        pools["host"] += _str_pool(m.authority, rng)
        for h in m.headers:
            if h.name in PSEUDO:
                pools[PSEUDO[h.name]] += _str_pool(h.match, rng)
                continue
            pools.setdefault("h:" + h.name, [None, "", "1"]).extend(_str_pool(h.match, rng))
        for q in m.query:
            pools.setdefault("q:" + q.name, [None, "", "1"]).extend(_str_pool(q.match, rng))
    pools["host"] = pools["host"] or ["example.com"]
    return pools


def search(entry: Entry, earlier: list[Entry], tries: int = 64, seed: int = 0) -> Iterator[Request]:
    """Random requests assembled from the literals of `entry` and `earlier` (deterministic per seed)."""
    rng = random.Random(seed)
    pools = _pools([entry] + earlier, rng)
    port = entry.match.port or 80
    for _ in range(tries):
        pick = {k: rng.choice(v) for k, v in pools.items()}
        headers = {k[2:]: v for k, v in pick.items() if k.startswith("h:") and v is not None}
        query = {k[2:]: v for k, v in pick.items() if k.startswith("q:") and v is not None}
        yield Request(
            host=pick["host"], port=port, method=pick["method"], path=pick["path"], headers=headers, query=query
        )
