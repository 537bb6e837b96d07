"""Traefik: the rule parser (errors located by column), and the IR translation of rules checked against a plain
Python reading of ``pkg/muxer/http/matcher.go`` (traefik fd5a576d) on every request of a small grid."""

from __future__ import annotations

import itertools
import re

import pytest
from cnverify import loader, snapshot
from cnverify.encodings.http import Entry, Request, Rewrite, entry_matches, routed
from cnverify.encodings.regex import to_python
from cnverify.model.traefik_rule import Call, Not, Op, RuleError, Tree, check_arguments, dnf, parse
from cnverify.systems.traefik.matchers import alternatives
from cnverify.systems.traefik.regexes import not_in, search
from cnverify.systems.traefik.tables import router_name, routers

# --- parser ---------------------------------------------------------------------------------------------------


def test_and_binds_tighter_than_or_and_not_is_pushed_to_the_leaves() -> None:
    t = parse("Host(`a`) || Path(`/b`) && !Method(`GET`)")
    assert isinstance(t, Op) and t.op == "or" and isinstance(t.right, Op) and t.right.op == "and"
    assert isinstance(t.right.right, Not)
    conj = dnf(parse("!(Host(`a`) && (Path(`/b`) || Method(`PUT`)))"))
    assert [[(c.name, neg) for c, neg in k] for k in conj] == [
        [("Host", True)],
        [("Path", True), ("Method", True)],
    ]


@pytest.mark.parametrize("spelt", ["PathPrefix", "pathprefix", "PATHPREFIX", "Pathprefix"])
def test_matcher_names_in_the_four_spellings(spelt: str) -> None:
    t = parse(f"{spelt}(`/a`)")
    assert isinstance(t, Call) and t.name == "PathPrefix" and t.args == ("/a",)


def test_go_string_literals() -> None:
    t = parse('Header("X-A", "tab\\there\\x41\\u00e9") && Path(`/raw\\n`)')
    assert isinstance(t, Op) and isinstance(t.left, Call) and isinstance(t.right, Call)
    assert t.left.args == ("X-A", "tab\there\x41\u00e9") and t.right.args == ("/raw\\n",)


@pytest.mark.parametrize(
    ("rule", "column", "message"),
    [
        ("Hosts(`a`)", 1, "unsupported function: Hosts"),
        ("Host(`a`) &&", 13, "expected a matcher"),
        ("Host(`a`) & Path(`/`)", 11, "unexpected character '&'"),
        ("Host(``)", 1, "empty args for matcher Host"),
        ("Host()", 1, "no args for matcher Host"),
        ("Header(`X-A`)", 1, "unexpected number of parameters; got 1"),
        ("Host(`a`, `b`)", 1, "unexpected number of parameters; got 2"),
        ("Path(1)", 6, "unexpected character '1'"),
        ("Path(a)", 6, "expected a string literal"),
        ("(Host(`a`)", 11, "expected ')'"),
        ("Host(`a`) Path(`/`)", 11, "unexpected 'Path'"),
        ('Host("a\\q")', 6, "unknown escape sequence"),
        ("", 1, "empty rule"),
    ],
)
def test_rejected_rules_say_where(rule: str, column: int, message: str) -> None:
    with pytest.raises(RuleError) as exc:
        parse(rule)
    assert exc.value.column == column and message in str(exc.value)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("PathPrefix(`api`)", "does not start with a '/'"),
        ("PathRegexp(`/a(`)", "compiling PathRegexp matcher"),
        ("Host(`bücher.example`)", "non-ASCII"),
        ("ClientIP(`10.0.0.300`)", "IP checker"),
    ],
)
def test_arguments_traefik_rejects(rule: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        check_arguments(parse(rule))


def test_v2_syntax_has_its_own_matchers() -> None:
    assert isinstance(parse("Headers(`X-A`, `1`)", "v2"), Call)
    with pytest.raises(RuleError, match="unsupported function: Headers"):
        parse("Headers(`X-A`, `1`)")


def test_a_rejected_rule_is_an_input_error_at_its_match_line_and_the_rest_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "ir.yaml"
    f.write_text(
        "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata: {name: bad, namespace: shop}\nspec:\n"
        "  routes:\n    - services: [{name: web, port: 80}]\n      match: Host(`a`) ||\n---\n"
        "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata: {name: good, namespace: shop}\nspec:\n"
        "  routes:\n    - match: Host(`a`)\n"
    )
    snap, errors = snapshot.build(loader.load([str(f)]))
    assert [(e.location.line, "column 13: expected a matcher" in e.message) for e in errors] == [(7, True)]
    assert [r.ir.name for r in routers(snap)] == ["good"]


# --- the translation against matcher.go -----------------------------------------------------------------------


def canonical_key(name: str) -> str:
    """``http.CanonicalHeaderKey``."""
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))


def domain_match(domain: str, expr: str) -> bool:
    """``muxer.DomainMatchHostExpression``."""
    if expr.startswith("*"):
        labels = domain.split(".")
        labels[0] = "*"
        return ".".join(labels).lower() == expr.lower()
    return domain.lower() == expr.lower()


def host_matches(host_expr: str, req_host: str) -> bool:
    """matcher.go ``host``: canonical request host (no port, lower case), trailing dots on either side."""
    if host_expr == "*":
        return True
    h, e = req_host, host_expr.lower()
    if not h:
        return False
    if domain_match(h, e) or (e.endswith(".") and domain_match(h, e[:-1])):
        return True
    return h.endswith(".") and domain_match(h[:-1], e)


def traefik_matches(tree: Tree, req: Request) -> bool:
    """The rule on ``req`` as matcher.go evaluates it (the path sent without ``%``: the routing path is the path)."""
    if isinstance(tree, Not):
        return not traefik_matches(tree.inner, req)
    if isinstance(tree, Op):
        left, right = traefik_matches(tree.left, req), traefik_matches(tree.right, req)
        return left and right if tree.op == "and" else left or right
    n, a = tree.name, tree.args
    host = req.host.split(":")[0].lower()
    headers = {canonical_key(k): (v,) if isinstance(v, str) else v for k, v in req.headers.items()}
    if n == "Host":
        return host_matches(a[0], host)
    if n == "HostRegexp":
        return re.search(a[0], host) is not None
    if n == "Path":
        return req.path == a[0]
    if n == "PathPrefix":
        return req.path.startswith(a[0])
    if n == "PathRegexp":
        return re.search(a[0], req.path) is not None
    if n == "Method":
        return req.method == a[0].upper()
    if n == "Header":
        return a[1] in headers.get(canonical_key(a[0]), ())
    if n == "HeaderRegexp":
        return any(re.search(a[1], v) for v in headers.get(canonical_key(a[0]), ()))
    if n in ("Query", "QueryRegexp"):
        if a[0] not in req.query:
            return False
        value = a[1] if len(a) == 2 else ""
        return re.search(value, req.query[a[0]]) is not None if n == "QueryRegexp" else req.query[a[0]] == value
    raise AssertionError(n)


RULES = [
    "Host(`shop.example.com`) && PathPrefix(`/api`)",
    "Host(`*.example.com`) || Path(`/exact`)",
    "Host(`SHOP.example.com.`) && !Header(`X-Canary`, `1`)",
    "HostRegexp(`^[a-z]+\\.example\\.com$`) && Method(`post`)",
    "HostRegexp(`shop`)",
    "PathRegexp(`\\.php$`) || PathRegexp(`^/v[0-9]/`)",
    "PathRegexp(`x`) && !HeaderRegexp(`X-Canary`, `^1`)",
    "!HeaderRegexp(`X-Canary`, `.*`)",
    "Query(`debug`) || Query(`v`, `2`)",
    "QueryRegexp(`v`, `^[0-9]+$`) && PathPrefix(`/`)",
    "(Host(`a.example.com`) || Host(`shop.example.com`)) && (PathPrefix(`/a`) || Header(`x-canary`, `1`))",
    "Host(`*`) && Path(`/api`)",
    "!Host(`shop.example.com`) && PathPrefix(`/api`) && !Path(`/api/v1`)",
    "!PathPrefix(`/api`) || !Method(`get`)",
    "!(Host(`a.example.com`) || Host(`SHOP.example.com`)) && !PathPrefix(`/x`)",
    "PathPrefix(`/api`) && !PathPrefix(`/api/v`) && !PathPrefix(`/b`)",
    "Path(`/exact`) && !PathPrefix(`/ex`)",
    "!Host(`*`) || Path(`/a`)",
]
HOSTS = ["shop.example.com", "SHOP.example.com:8080", "a.b.example.com", "example.com", "shop.example.com.", "x.org"]
PATHS = ["/", "/api", "/api/v1", "/exact", "/x.php", "/v1/items", "/a"]
METHODS = ["GET", "POST"]
HEADERS: list[dict[str, str | tuple[str, ...]]] = [{}, {"x-canary": "1"}, {"x-canary": ("0", "1")}, {"x-canary": "2"}]
QUERIES: list[dict[str, str]] = [{}, {"debug": ""}, {"v": "2"}, {"v": "x"}]


@pytest.mark.parametrize("rule", RULES)
def test_translation_agrees_with_matcher_go(rule: str) -> None:
    tree = parse(rule)
    check_arguments(tree)
    alts = alternatives(dnf(tree), v2=False)
    entries = [Entry("r", f"r|{i}", a.match, a.hosts) for i, a in enumerate(alts)]
    regex_host = "HostRegexp" in rule
    checked = 0
    for host, path, method, headers, query in itertools.product(HOSTS, PATHS, METHODS, HEADERS, QUERIES):
        if regex_host and (host != host.lower() or host.endswith(".")):
            continue  # Traefik lower-cases the host first; witnesses are re-checked that way (tables.decide)
        req = Request(host=host, path=path, method=method, headers=headers, query=query)
        seen = routed(Rewrite(strip_port="any"), req)
        assert seen is not None
        want = traefik_matches(tree, req)
        got = any(entry_matches(e, seen) for e in entries)
        assert got == want, (rule, req)
        checked += 1
    assert checked > 500


@pytest.mark.parametrize(
    ("pattern", "inside", "outside"),
    [
        ("abc", ["xabcx", "abc"], ["ab"]),
        ("^/a", ["/a", "/ab"], ["x/a"]),
        ("b$", ["ab"], ["ba"]),
        ("^a|b$", ["ax", "xb"], ["xa", "bx"]),
        ("a\\$", ["xa$y"], ["xa"]),
    ],
)
def test_search_is_unanchored_except_where_the_pattern_anchors(
    pattern: str, inside: list[str], outside: list[str]
) -> None:
    full = search(pattern)
    assert all(re.fullmatch(full, s) for s in inside)
    assert not any(re.fullmatch(full, s) for s in outside)


@pytest.mark.parametrize(
    "rule",
    [
        "ClientIP(`10.0.0.0/8`)",
        "!PathRegexp(`/a`)",
        "!Host(`*.example.com`)",
        "!Query(`a`)",
        "Query(`a`, `1`) && Query(`a`, `2`)",
        "Path(`/a b`)",
        "PathRegexp(`a`) && !Path(`/a`)",
    ],
)
def test_what_the_request_model_cannot_carry_is_unsupported(rule: str) -> None:
    (alt,) = alternatives(dnf(parse(rule)), v2=False)
    assert alt.match.unsupported


def test_router_names_follow_the_crd_provider(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``makeServiceKey``: namespace-name-<first 10 bytes of sha256(rule) in hex>, normalized (kubernetes.go);
    the priority is the rule's length when none is set."""
    f = tmp_path / "ir.yaml"
    f.write_text(
        "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata: {name: test.route, namespace: default}\n"
        "spec:\n  routes:\n    - match: Host(`foo.com`) && PathPrefix(`/bar`)\n"
    )
    snap, _ = snapshot.build(loader.load([str(f)]))
    (r,) = routers(snap)
    assert router_name(r) == "default-test-route-6b204d94623b3df4370c" and r.priority == 37


@pytest.mark.parametrize(
    ("exact", "prefixes", "fold"),
    [(["ab"], [], False), ([], ["ab"], False), (["a", "a."], [], True), (["a"], ["ab", "b"], False), ([], [""], False)],
)
def test_not_in_is_the_complement(exact: list[str], prefixes: list[str], fold: bool) -> None:
    rx = to_python(not_in(exact, prefixes, fold))
    for n in range(4):
        for chars in itertools.product("aAb.", repeat=n):
            s = "".join(chars)
            key = s.lower() if fold else s
            want = key not in exact and not any(key.startswith(q) for q in prefixes)
            assert (re.fullmatch(rx, s) is not None) == want, s
