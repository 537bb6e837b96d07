"""Routing tables of every system as first-match-wins `MatchTable`s, analysed once per snapshot.

A translator (``istio``, ``envoy``, ``gateway``, ``ingress``) yields `Table`s: one entry point
(a host on a gateway, a virtual host, …) with its entries in the order the system evaluates
them.  When that order depends on something the manifests do not fix (creation timestamps),
a table carries several `variants` (entry orders); a clause whose verdict differs between
variants is ``unknown`` ("depends on creation order").  CNV101 and CNV105 both read
`results(snap)`, so every table is solved once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import permutations
from typing import Any, Literal, TypeVar

from cnverify import systems
from cnverify.encodings.http import Entry, EntryVerdict, HostPattern, Match, MatchTable, Rewrite, analyze
from cnverify.errors import Span
from cnverify.model import Node, Resource
from cnverify.run_context import context_of
from cnverify.snapshot import Snapshot
from cnverify.systems.routing import per_adapters
from cnverify.systems.routing.rewrites import RewriteSource, istio_rewrite

Status = Literal["reachable", "unreachable", "unknown"]


@dataclass
class Clause:
    """One match alternative of one route, with where both sit in the manifests."""

    subject: Resource
    route_key: str  # unique per route: "Kind/ns/name:path"
    route_label: str  # e.g. "VirtualService shop/web http[1] (name: canary)"
    route_at: Span
    route_path: str
    clause_at: Span
    clause_path: str
    n_clauses: int
    key: str = ""  # when not route_key|clause_path (a delegate's clause merged into one root match)


@dataclass
class Table:
    """One entry point: ``entries`` (each an `Entry` whose ids are the clause key) in one or more orders."""

    system: str
    name: str  # e.g. "gateway istio-system/gw, host bookinfo.com"
    at: Span | None
    variants: list[list[Entry]]
    order_note: str = ""  # why there are several variants
    members: list[str] = field(default_factory=list)  # clause keys that belong here even when a variant drops them
    drop_reason: str = ""  # why a member missing from a variant is unreachable there
    ties: dict[str, tuple[str, str]] = field(default_factory=dict)  # clause key → (tie group, owner)
    host_sample: str | None = None  # the witness host when the entries carry no host condition
    drop_reasons: dict[str, str] = field(default_factory=dict)  # member key → why this table never has it
    owners: Sequence[Resource] = field(default_factory=list)  # objects whose entries the variants order
    exclusive: bool = False  # each variant holds one owner's entries only (Istio sidecars)
    alone: dict[str, list[Entry]] = field(default_factory=dict)  # exclusive: owner ref → its entries
    uncertain: str = ""  # variants also differ in entries the inputs may or may not hold (why)
    places: dict[str, Span] = field(default_factory=dict)  # where blockers that are no route sit (clause id → span)
    defaults: list[tuple[str, Span]] = field(default_factory=list)  # defaults the table's membership rests on
    rewrite: RewriteSource | None = None  # the proxy's rewriting before routing (Istio's is set in `results`)


@dataclass
class Outcome:
    """The verdict of one clause in one table (merged over the table's variants)."""

    table: Table
    status: Status
    verdict: EntryVerdict
    reason: str = ""


@dataclass
class Results:
    clauses: dict[str, Clause] = field(default_factory=dict)  # clause key → Clause
    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)  # clause key → per table
    tables: list[Table] = field(default_factory=list)

    def routes(self) -> dict[str, list[Clause]]:
        out: dict[str, list[Clause]] = {}
        for c in self.clauses.values():
            out.setdefault(c.route_key, []).append(c)
        return out


T = TypeVar("T")
R = TypeVar("R", bound=Resource)
PERMUTE_UP_TO = 3


def creation_instant(stamp: object) -> datetime | None:
    """A ``metadata.creationTimestamp`` as an instant (RFC 3339, any offset); None when absent or unreadable.

    YAML may hand over a ``datetime`` already (an unquoted timestamp); one without an offset is UTC.
    """
    if isinstance(stamp, datetime):
        value = stamp
    elif isinstance(stamp, str) and stamp.strip():
        try:
            value = datetime.fromisoformat(stamp.strip().replace("z", "Z"))
        except ValueError:
            return None
    else:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def creation_order(items: Sequence[R], tie: Callable[[R], object]) -> tuple[list[R], bool]:
    """``items`` oldest ``creationTimestamp`` first, and whether the manifests fix that order.

    Timestamps compare as instants; equal ones fall back to ``tie`` (each controller's own rule:
    Gateway API ``"{namespace}/{name}"``, Istio name then namespace), so the order is fixed
    whenever every item shows a readable timestamp.  Otherwise (a stamp absent, ``null`` as
    ``kubectl create --dry-run`` writes it, or unreadable) the order is open, never "equal":
    the result is a best guess and the caller covers the other orders (`tie_orders`).
    The API server overwrites ``creationTimestamp`` on create (k8s.io/apiserver
    pkg/registry/rest/meta.go FillObjectMetaSystemFields), so stamps in manifests only describe
    objects that already exist: a chain step relying on them says so (`STAMPS_AS_RECORDED`).
    """
    far = datetime.max.replace(tzinfo=UTC)
    stamps = {id(x): creation_instant(x.metadata.creation_timestamp) for x in items}
    base = sorted(items, key=lambda x: (stamps[id(x)] or far, tie(x)))
    return base, len(base) < 2 or None not in stamps.values()


STAMPS_AS_RECORDED = (
    "creationTimestamp as recorded: these are existing objects' stamps; objects created anew are "
    "stamped at creation, in apply order"
)


def tie_orders(items: Sequence[T]) -> list[list[T]]:
    """Orders of ``items`` (owners whose relative order the manifests do not fix) that decide soundly.

    Up to three owners: every permutation. Beyond: for each owner one order with it first and one
    with it last.  In every table here the entries that precede an entry are a superset when its
    owner comes last (other owners' tied entries move ahead of it, nothing else moves) and a subset
    when it comes first, so "reachable with its owner last" holds in every order, "unreachable with
    its owner first" holds in every order, and anything else disagrees between variants and ends
    ``unknown`` in :func:`_merge`.
    """
    base = list(items)
    if len(base) <= PERMUTE_UP_TO:
        return [list(p) for p in permutations(base)]
    out: list[list[T]] = []
    for i, x in enumerate(base):
        rest = base[:i] + base[i + 1 :]
        out += [[x] + rest, rest + [x]]
    return out


def host_rank(domain: str) -> tuple[int, int]:
    """Envoy's virtual-host selection order: exact, longest ``*suffix``, longest ``prefix*``, ``*``
    (docs/SEMANTICS.md#virtual-host-selection)."""
    if domain == "*":
        return (3, 0)
    if domain.startswith("*"):
        return (1, -len(domain))
    if domain.endswith("*"):
        return (2, -len(domain))
    return (0, 0)


def host_blockers(domain: str, others: dict[str, str], pattern: Callable[[str], HostPattern]) -> list[Entry]:
    """Entries that absorb the hosts another group (``others``: domain → its owner's name) wins over ``domain``."""
    mine = host_rank(domain)
    return [
        Entry(f"{owner} (host {d}, selected first)", f"host:{owner}:{d}", Match(), (pattern(d),))
        for d, owner in sorted(others.items())
        if host_rank(d) < mine
    ]


def tests_authority(m: Match) -> bool:
    """Does the match test the Host (``authority``, or a ``:authority`` / ``host`` header matcher)?"""
    return m.authority is not None or any(h.name in (":authority", "host") for h in m.headers)


def scoped(entries: list[Entry], pattern: HostPattern, blockers: list[Entry]) -> tuple[list[Entry], str | None]:
    """The table's entries for hosts matching ``pattern``, and a witness host when no entry needs the host.

    Host conditions are costly for the solver.  When no entry tests the authority, the host
    cannot change which of these entries a request takes: it only has to match ``pattern`` and
    avoid the hosts other groups win (``blockers``), so a concrete such host is chosen here and
    the entries carry no host condition.
    """
    if not any(tests_authority(e.match) for e in entries):
        p = pattern.pattern.lower()
        base = p[1:].lstrip(".") if p.startswith("*") else p.rstrip("*")
        if p == "*":
            tries = ["example.com", "cnverify.example.com", "example.net"]
        else:
            tries = (
                [p]
                if "*" not in p
                else [f"{x}.{base}" if p.startswith("*") else f"{base}{x}" for x in ("a", "cnverify", "z-9", "a.b")]
            )
        for host in tries:
            if pattern.matches(host) and not any(b.hosts and any(h.matches(host) for h in b.hosts) for b in blockers):
                return entries, host
    return blockers + [Entry(e.route_id, e.clause_id, e.match, (pattern,)) for e in entries], None


def clause_key(route_key: str, clause_path: str) -> str:
    return f"{route_key}|{clause_path}"


def add_clauses(
    clauses: dict[str, Clause],
    subject: Resource,
    rpath: str,
    label: str,
    node: Node,
    items: Sequence[Any] | None,
    field_name: str,
) -> list[tuple[Any, str, str]]:
    """Register one `Clause` per match alternative of a route (none = one clause): ``(match, route key, key)``."""
    rkey = f"{subject.ref}:{rpath}"
    blocks: list[Any] = list(items or []) or [None]
    out = []
    for j, m in enumerate(blocks):
        cpath = rpath if m is None else f"{rpath}.{field_name}[{j}]"
        key = clause_key(rkey, cpath)
        clauses[key] = Clause(subject, rkey, label, node.at(), rpath, (m or node).at(), cpath, len(blocks))
        out.append((m, rkey, key))
    return out


def _tied_counts(table: Table, variant: list[Entry]) -> dict[str, int]:
    """For every tied clause of ``variant`` (at its first place there): how many entries of other owners tied with
    it precede it; one pass over the variant."""
    group: dict[str, int] = {}  # tie group → its entries so far
    own: dict[tuple[str, str], int] = {}  # (tie group, owner) → its entries so far
    out: dict[str, int] = {}
    for e in variant:
        tie = table.ties.get(e.clause_id)
        if tie is None:
            continue
        if e.clause_id not in out:
            out[e.clause_id] = group.get(tie[0], 0) - own.get(tie, 0)
        group[tie[0]] = group.get(tie[0], 0) + 1
        own[tie] = own.get(tie, 0) + 1
    return out


def _focus(table: Table, before: list[dict[str, int]]) -> list[set[str] | None]:
    """Per variant, the clauses worth analysing there (None: all of them).

    A tied clause is decided by two variants alone: the one with the most tied entries of other
    owners ahead of it (its owner last: a superset of every order's blockers) and the one with the
    fewest (its owner first: a subset); see :func:`tie_orders`. Untied clauses are analysed in every
    variant, as before.
    """
    if not table.ties or len(table.variants) < 3 or table.uncertain:
        return [None] * len(table.variants)
    focus: list[set[str] | None] = [set() for _ in table.variants]
    untied: set[str] = set()
    for key in {e.clause_id for order in table.variants for e in order}:
        if key not in table.ties:
            untied.add(key)
            continue
        counts = [(n[key], k) for k, n in enumerate(before) if key in n]
        for _, k in (max(counts), min(counts)):
            focus[k].add(key)  # type: ignore[union-attr]
    for f in focus:
        f |= untied  # type: ignore[operator]
    return focus


def _merge(table: Table, per_variant: list[tuple[int, EntryVerdict]], before: list[dict[str, int]]) -> Outcome:
    """One verdict over the variants (see :func:`tie_orders`): agreement, else ``unknown``.

    The evidence shown comes from the variant that holds in every order: for a reachable clause
    the one with the most tied entries ahead of it (its witness survives them all), for an
    unreachable one the one with the fewest (its blockers are not order-dependent).
    """
    statuses = {v.status for _, v in per_variant}
    if len(statuses) > 1:
        why = "; ".join(x for x in (table.uncertain, table.order_note and f"creation order: {table.order_note}") if x)
        return Outcome(table, "unknown", per_variant[0][1], f"the verdict depends on {why}")
    status = per_variant[0][1].status
    sign = -1 if status == "reachable" else 1
    _, best = min(
        per_variant,
        key=lambda iv: (
            sign * (before[iv[0]].get(iv[1].clause_id, 0) if iv[0] >= 0 else 0),
            iv[0] < 0,
        ),
    )  # blockers over a drop
    return Outcome(table, status, best, best.reason)


def _translators() -> tuple[tuple[Any, ...], tuple[type[Resource], ...]]:
    """The translators and the kinds they read (each once, in the translators' order)."""

    def build() -> tuple[tuple[Any, ...], tuple[type[Resource], ...]]:
        mods = tuple(m for system in systems.implementing("route_tables") for m in system.route_tables())
        kinds: list[type[Resource]] = []
        for mod in mods:
            kinds += [k for k in mod.READS if k not in kinds]
        return mods, tuple(kinds)

    return per_adapters("route_tables", build)


def translators() -> Iterator[Any]:
    """Every adapter's route-table translators (``route_tables`` hook), in the adapters' order."""
    return iter(_translators()[0])


def results(snap: Snapshot) -> Results:
    """Every table of the snapshot, analysed once per run (``ctx.memo``)."""
    return context_of(snap).memo(("systems.routing.tables.results",), lambda: _results(snap), reads=reads())


def _results(snap: Snapshot) -> Results:
    res = Results()
    for mod in translators():
        clauses, tables = mod.translate(snap)
        res.clauses.update(clauses)
        res.tables += tables
    mesh_file = snap.settings.get("mesh_config")
    for table in res.tables:
        if table.rewrite is None and table.system == "istio":
            table.rewrite = istio_rewrite(mesh_file, gateway=not table.name.startswith("sidecars"))
        elif table.rewrite is None:
            table.rewrite = RewriteSource(
                Rewrite(),
                f"the {table.system} implementation's request rewriting is not "
                "in the inputs: assumed none (paths matched as sent)",
                None,
            )
        per_entry: dict[str, list[tuple[int, EntryVerdict]]] = {}
        before = [_tied_counts(table, order) if table.ties else {} for order in table.variants]
        focus = _focus(table, before)
        for k, order in enumerate(table.variants):
            present = {e.clause_id for e in order}  # a member a variant lacks is unreachable there
            for key in table.members:
                if key not in present:
                    per_entry.setdefault(key, []).append(
                        (
                            -1,
                            EntryVerdict(
                                -1,
                                res.clauses[key].route_key,
                                key,
                                "unreachable",
                                decided_by="none",
                                step=table.drop_reasons.get(key, table.drop_reason),
                            ),
                        )
                    )
            if focus[k] is not None and not focus[k]:
                continue
            for v in _analyze(table, order, focus[k]):
                per_entry.setdefault(v.clause_id, []).append((k, v))
        for key, verdicts in per_entry.items():
            res.outcomes.setdefault(key, []).append(_merge(table, verdicts, before))
    for mod in translators():  # translators that decide without a match table (Istio tcp/tls)
        if hasattr(mod, "decide"):
            mod.decide(snap, res)
    return res


def _analyze(table: Table, order: list[Entry], only: set[str] | None) -> list[EntryVerdict]:
    rw = table.rewrite or RewriteSource(Rewrite(), "", None)
    if rw.error:
        return [
            EntryVerdict(i, e.route_id, e.clause_id, "unknown", reason=rw.error, decided_by="none")
            for i, e in enumerate(order)
            if only is None or e.clause_id in only
        ]
    return analyze(MatchTable(tuple(order), rw.rewrite), only=only)  # under the run's solver budget


def reads() -> tuple[type[Resource], ...]:
    """The kinds every translator reads, in the translators' order (each once)."""
    return _translators()[1]
