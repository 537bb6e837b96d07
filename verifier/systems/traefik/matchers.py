"""A Traefik rule as first-match IR: one `Match` (with its host patterns) per conjunction of its DNF.

traefik/traefik fd5a576d ``pkg/muxer/http/matcher.go`` (v3 syntax):

* ``Host(h)``: the request host without its port, lower-cased (``requestdecorator``: ``CanonicalDomain``,
  ``parseHost``) equals ``h`` case-insensitively; ``*`` matches any host; ``*.x`` replaces the first label
  (``muxer.DomainMatchHostExpression``: exactly one label); a trailing dot on either side is ignored.
* ``HostRegexp``, ``PathRegexp``, ``HeaderRegexp``, ``QueryRegexp``: Go ``regexp.MatchString`` — a search,
  anchored only where the pattern says ``^``/``$``.
* ``Path`` exact and ``PathPrefix`` a byte prefix of the routing path (the escaped path with unreserved
  escapes decoded: a request sent without ``%`` is matched as sent); both need a leading ``/``.
* ``Method(m)``: ``strings.ToUpper(m)`` equals the request method. ``Header(k, v)``: some value of header
  ``k`` equals ``v``. ``Query(k[, v])``: some value of ``k`` equals ``v`` (or is empty).
* ``ClientIP``: the client address, which the request model does not carry (unknown).

The v2 syntax (``matcher_v2.go``, gorilla/mux) is read for its plain forms: ``Host``/``HostHeader`` lists,
``Path``/``PathPrefix`` lists without ``{}`` templates, ``Method`` lists, ``Headers(k, v)``; others are unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from cnverify.encodings.http import HeaderMatch, HostPattern, Match, PathMatch, QueryMatch, StrMatch
from cnverify.encodings.http_ir import MANAGED_HEADERS, QUERY_KEY_RE
from cnverify.encodings.regex import UnsupportedRegex, to_python
from cnverify.model.traefik_rule import Call
from cnverify.systems.traefik.regexes import NOTHING, checked_regex, host_regex, literal, not_in

PLAIN_PATH = re.compile(r"/[\x21\x22\x24\x26-\x3e\x40-\x7e]*")  # a path a client sends as written (no %, ?, #)
PLAIN_QUERY = re.compile(r"[\x21\x22\x24\x27-\x2a\x2c-\x3c\x3e-\x7e]*")  # what Go's Query() does not decode


@dataclass(frozen=True)
class Alternative:
    """One conjunction of the rule: the IR match and its host patterns (None = any host)."""

    match: Match
    hosts: tuple[HostPattern, ...] | None = None
    text: str = ""  # the conjunction as a rule, for labels


def rule_text(conj: list[tuple[Call, bool]]) -> str:
    """A conjunction written back as a v3 rule (negations pushed to the matchers, as Traefik does)."""
    return " && ".join(
        ("!" if neg else "") + c.name + "(" + ", ".join(f"`{a}`" for a in c.args) + ")" for c, neg in conj
    )


def host_patterns(value: str) -> tuple[HostPattern, ...] | None:
    """``Host(value)`` as host patterns (None: every host)."""
    h = value.lower().removesuffix(".")
    if value == "*":
        return None
    if h.startswith("*") and not h.startswith("*."):
        raise UnsupportedRegex(f"Host({value!r}): a wildcard not followed by a dot matches no host Traefik sees")
    return tuple(HostPattern(p, one_label=True, ignore_port=True) for p in (h, h + "."))


class Builder:
    """Accumulates one conjunction's conditions; `unsupported` says why it cannot be expressed."""

    def __init__(self) -> None:
        self.path: PathMatch | None = None
        self.method: StrMatch | None = None
        self.authority: StrMatch | None = None
        self.hosts: tuple[HostPattern, ...] | None = None
        self.host_set = False
        self.headers: list[HeaderMatch] = []
        self.query: list[QueryMatch] = []
        self.unsupported = ""
        self.not_hosts: list[str] = []  # negated matchers, combined in `build`
        self.not_paths: list[str] = []
        self.not_prefixes: list[str] = []
        self.not_methods: list[str] = []

    def once(self, slot: str, value: object, what: str) -> None:
        if getattr(self, slot) is not None and getattr(self, slot) != value:
            raise UnsupportedRegex(f"two {what} matchers in one conjunction")
        setattr(self, slot, value)

    def add(self, call: Call, negated: bool, v2: bool) -> None:
        n, a = call.name, call.args
        if v2:
            self._add_v2(call, negated)
            return
        if n == "ClientIP":
            raise UnsupportedRegex("ClientIP matches the client address, which the request model does not carry")
        if negated and n not in ("Header", "HeaderRegexp"):
            self._negated(n, a[0])
            return
        if n == "Host":
            if not a[0].isascii():
                raise ValueError(f"invalid value {a[0]!r} for Host matcher, non-ASCII characters are not allowed")
            pats = host_patterns(a[0])
            if pats is not None:
                if self.host_set and self.hosts != pats:
                    raise UnsupportedRegex("two different Host matchers in one conjunction")
                self.hosts, self.host_set = pats, True
        elif n == "HostRegexp":
            if not a[0].isascii():
                raise ValueError(f"invalid value {a[0]!r} for HostRegexp matcher, non-ASCII characters are not allowed")
            self.once("authority", StrMatch("regex", host_regex(a[0])), "HostRegexp")
        elif n in ("Path", "PathPrefix"):
            if not a[0].startswith("/"):
                raise ValueError(f"path {a[0]!r} does not start with a '/'")
            if not PLAIN_PATH.fullmatch(a[0]):
                raise UnsupportedRegex(f"{n}({a[0]!r}): a path with characters a client must percent-encode")
            self.once("path", PathMatch("exact" if n == "Path" else "prefix", a[0]), "path")
        elif n == "PathRegexp":
            self.once("path", PathMatch("regex", checked_regex(a[0])), "path")
        elif n == "Method":
            self.once("method", StrMatch("exact", a[0].upper()), "Method")
        elif n in ("Header", "HeaderRegexp"):
            self.headers.append(self._header(a[0], a[1], n == "HeaderRegexp", negated))
        elif n in ("Query", "QueryRegexp"):
            self._query(a[0], a[1] if len(a) == 2 else "", n == "QueryRegexp" and len(a) == 2)

    def _negated(self, n: str, value: str) -> None:
        """``!Host``, ``!Path``, ``!PathPrefix``, ``!Method`` are kept for `build`; other negations are unsupported."""
        if n == "Host":
            pats = host_patterns(value)
            words = ["*"] if pats is None else [p.pattern for p in pats]
            if any(w.startswith("*") and w != "*" for w in words):
                raise UnsupportedRegex(f"!Host({value!r}): the complement of a wildcard host is not modelled")
            self.not_hosts += words
        elif n in ("Path", "PathPrefix") and PLAIN_PATH.fullmatch(value):
            (self.not_paths if n == "Path" else self.not_prefixes).append(value)
        elif n == "Method":
            self.not_methods.append(value.upper())
        else:
            raise UnsupportedRegex(f"!{n}({value!r}) is not expressible in the request model")

    def _path(self) -> PathMatch | None:
        """The path condition with the negated ones folded in (a regex), or unsupported beside a PathRegexp."""
        pm, exact, prefixes = self.path, self.not_paths, self.not_prefixes
        if not exact and not prefixes:
            return pm
        if pm is None:
            return PathMatch("regex", not_in(exact, prefixes))
        if pm.kind == "exact":
            gone = pm.value in exact or any(pm.value.startswith(q) for q in prefixes)
            return PathMatch("regex", NOTHING) if gone else pm
        if pm.kind == "prefix":
            p = pm.value
            if any(p.startswith(q) for q in prefixes):
                return PathMatch("regex", NOTHING)
            rest = not_in(
                [w[len(p) :] for w in exact if w.startswith(p)], [q[len(p) :] for q in prefixes if q.startswith(p)]
            )
            return PathMatch("regex", literal(p) + f"(?:{rest})")
        raise UnsupportedRegex("a PathRegexp with a negated path matcher in one conjunction")

    def _header(self, name: str, value: str, regex: bool, negated: bool) -> HeaderMatch:
        key = name.lower()
        if key == "host" or key in MANAGED_HEADERS or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
            raise UnsupportedRegex(f"header {name!r} is not one a request carries as a plain header")
        m = StrMatch("regex", checked_regex(value)) if regex else StrMatch("exact", value)
        if not negated:
            return HeaderMatch(key, m)
        if regex and re.fullmatch(to_python(m.value), ""):  # matches every value: only an absent header passes
            return HeaderMatch(key, present=True, invert=True)
        return HeaderMatch(key, m, invert=True, treat_missing_as_empty=True)

    def _query(self, key: str, value: str, regex: bool) -> None:
        if not QUERY_KEY_RE.fullmatch(key) or not PLAIN_QUERY.fullmatch(key):
            raise UnsupportedRegex(f"query key {key!r} is matched after Go decodes it")
        if not regex and not PLAIN_QUERY.fullmatch(value):
            raise UnsupportedRegex(f"query value {value!r} is matched after Go decodes it")
        if any(q.name == key for q in self.query):
            raise UnsupportedRegex(f"two matchers of query key {key!r} in one conjunction")
        self.query.append(
            QueryMatch(key, StrMatch("regex", checked_regex(value)) if regex else StrMatch("exact", value))
        )

    def _add_v2(self, call: Call, negated: bool) -> None:
        n, a = call.name, call.args
        if negated:
            raise UnsupportedRegex(f"!{n} (v2 syntax) is not modelled")
        if n in ("Host", "HostHeader") and all(x.isascii() and "*" not in x for x in a):
            pats = tuple(p for x in a for p in host_patterns(x) or ())
            if self.host_set:
                raise UnsupportedRegex("two Host matchers in one conjunction (v2 syntax)")
            self.hosts, self.host_set = pats, True
        elif n in ("Path", "PathPrefix") and len(a) == 1 and "{" not in a[0] and PLAIN_PATH.fullmatch(a[0]):
            self.once("path", PathMatch("exact" if n == "Path" else "prefix", a[0]), "path")
        elif n == "Method" and len(a) == 1:
            self.once("method", StrMatch("exact", a[0].upper()), "Method")
        elif n == "Headers" and len(a) == 2:
            self.headers.append(self._header(a[0], a[1], False, False))
        else:
            raise UnsupportedRegex(f"{n}({', '.join(a)}) in the v2 syntax (gorilla/mux templates) is not modelled")

    def build(self) -> Alternative:
        try:
            path = self._path()
        except UnsupportedRegex as exc:
            path, self.unsupported = None, self.unsupported or str(exc)
        method, authority = self.method, self.authority
        if self.not_methods:
            gone = method is not None and method.value in self.not_methods
            method = StrMatch("regex", NOTHING) if gone else method or StrMatch("regex", not_in(self.not_methods))
        if self.not_hosts and authority is not None:
            self.unsupported = self.unsupported or "a HostRegexp with a negated Host in one conjunction"
        elif self.not_hosts:
            words = [w for w in self.not_hosts if w != "*"]
            authority = StrMatch("regex", NOTHING if "*" in self.not_hosts else not_in(words, fold=True))
        m = Match(path, tuple(self.headers), tuple(self.query), method, authority)
        return Alternative(replace(m, unsupported=self.unsupported or None), self.hosts)


def alternatives(conjunctions: list[list[tuple[Call, bool]]], v2: bool) -> list[Alternative]:
    """One `Alternative` per conjunction; a condition that cannot be expressed makes its `Match` unsupported
    (keeping the others: a request that fails one of them surely misses it)."""
    out = []
    for conj in conjunctions:
        b = Builder()
        for call, negated in conj:
            try:
                b.add(call, negated, v2)
            except UnsupportedRegex as exc:  # the other conditions stay: a request failing one surely misses it
                b.unsupported = b.unsupported or str(exc)
        out.append(replace(b.build(), text=rule_text(conj)))
    return out
