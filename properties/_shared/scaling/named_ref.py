"""A reference by kind and name to an object of the subject's namespace (CNV402: HPA and Canary references)."""

from __future__ import annotations

import z3
from cnverify.encodings import zterms
from cnverify.errors import Span
from cnverify.model import Resource
from cnverify.obligation import Obligation
from cnverify.properties._shared.terms import as_written, decide_found, deciding_here
from cnverify.run_context import context_of
from cnverify.snapshot import Snapshot


def resolve_named(
    ob: Obligation,
    snap: Snapshot,
    cls: type[Resource],
    ns: str,
    name: str,
    *,
    at: Span,
    kind_at: Span,
    var: str,
    says: str,
    decide: bool = False,
) -> Resource | None:
    """Add the facts ``says`` (the reference, variable ``var``) and "it is one of the ``cls`` of ``ns``"; return the
    object if found. Violated iff no object of ``cls`` in ``ns`` has that name (the existing names: a located note).

    ``decide``: an object found (and no fact before) is decided here without building the query, as exact
    evaluation decides it (``decided_found``)."""
    kind = cls.KIND
    desc = f"{kind}/{ns}/{name}"
    run = context_of(snap)
    candidates = run.memo(("named_ref.names", cls, ns), lambda: [w.name for w in snap.in_namespace(cls, ns)], (cls,))
    shown = ", ".join(candidates[:8]) + (" …" if len(candidates) > 8 else "")
    found = snap.get(cls, ns, name)
    inventory = f"{kind}s in namespace {ns}: {shown or 'none'}"
    goal = f"{desc} is one of the {kind}s in the inventory"
    if decide and found is not None and decided_found(ob, name, (inventory, kind_at), (says, at), goal):
        return found
    target, one_of = run.memo(("named_ref.inventory", cls, ns, var), lambda: _inventory(candidates, var), (cls,))
    ob.fact(zterms.same(target, zterms.string(name)), at=at, says=says)
    ob.note(inventory, at=kind_at)
    ob.example(one_of, says=goal)
    return found


def decided_found(ob: Obligation, name: str, note: tuple[str, Span], fact: tuple[str, Span], goal: str) -> bool:
    """The query ``resolve_named`` builds for a name the inventory holds (``var == name``, ``var`` one of the names)
    is satisfiable with every fact in the chain: decide it so (the note, then the fact's step; no witness shown),
    as exact evaluation would.  False (nothing added) after facts of the caller's, for a name Z3 may not return
    as written, or under ``--certify``."""
    if ob.facts or ob.shown or not as_written([name]) or not deciding_here():
        return False
    ob.note(*note)
    ob.note(*fact)
    decide_found(ob, "example", goal, None)
    return True


def _inventory(candidates: list[str], var: str) -> tuple[z3.SeqRef, z3.BoolRef]:
    """The variable ``var`` and "``var`` is one of ``candidates``" (once per run: every reference into the namespace
    asks the same)."""
    target = z3.String(var)
    one_of = (
        zterms.disj([zterms.same(target, zterms.string(n)) for n in candidates]) if candidates else z3.BoolVal(False)
    )
    return target, one_of


def listing(snap: Snapshot, cls: type[Resource], ns: str) -> str:
    """ " (existing Deployments: a, b)" or " (no Deployment in the namespace)" for messages."""
    names = [w.name for w in snap.in_namespace(cls, ns)]
    shown = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
    return f" (existing {cls.KIND}s: {shown})" if names else f" (no {cls.KIND} in the namespace)"
