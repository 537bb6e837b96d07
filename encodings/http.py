"""HTTP routing encodings: request model, match IR, Z3 encoding and reachability analysis.

The public API of the routing encodings, re-exported from four modules:

* `http_rewrite` — `Rewrite`: Envoy's path normalisation / port stripping before routing;
* `http_ir` — the IR (`StrMatch`, `PathMatch`, `HeaderMatch`, `QueryMatch`, `Match`,
  `HostPattern`, `Entry`, `MatchTable`), the concrete `Request`, and the plain-Python
  evaluator `evaluate(match, request)` / `first_match(table, request)`;
* `http_z3` — `SymbolicRequest` and `match_formula` / `entry_formula` / `host_formula`;
* `http_precheck` — exact syntactic pre-checks (`disjoint`, `covers`, `candidates`);
* `http_analyze` — `analyze(table, *, limits, precheck)` → `EntryVerdict`s (limits: the run's budget by default).

Property modules should import from here (`cnverify.encodings.http`).
"""

from .http_analyze import Blocker, EntryVerdict, analyze
from .http_ir import (
    METHODS,
    Entry,
    HeaderMatch,
    HostPattern,
    Match,
    MatchTable,
    PathMatch,
    QueryMatch,
    Request,
    StrMatch,
    UnsupportedMatch,
    entry_matches,
    evaluate,
    first_match,
    header_matches,
    path_matches,
    routed,
    str_matches,
    wire,
)
from .http_rewrite import ESCAPED_SLASHES, Rewrite
from .http_z3 import SymbolicRequest, entry_formula, host_formula, match_formula
from .regex import InvalidRegex, UnsupportedRegex

__all__ = [
    "ESCAPED_SLASHES",
    "METHODS",
    "Blocker",
    "Rewrite",
    "routed",
    "wire",
    "Entry",
    "EntryVerdict",
    "HeaderMatch",
    "HostPattern",
    "InvalidRegex",
    "Match",
    "MatchTable",
    "PathMatch",
    "QueryMatch",
    "Request",
    "StrMatch",
    "SymbolicRequest",
    "UnsupportedMatch",
    "UnsupportedRegex",
    "analyze",
    "entry_formula",
    "entry_matches",
    "evaluate",
    "first_match",
    "header_matches",
    "host_formula",
    "match_formula",
    "path_matches",
    "str_matches",
]
