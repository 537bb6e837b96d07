"""A reference by kind and name to an object of the subject's namespace (CNV402: HPA and Canary references)."""

from __future__ import annotations

import z3
from cnverify.encodings import zterms
from cnverify.errors import Span
from cnverify.model import Resource
from cnverify.obligation import Obligation
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
) -> Resource | None:
    """Add the facts ``says`` (the reference, variable ``var``) and "it is one of the ``cls`` of ``ns``"; return the
    object if found. Violated iff no object of ``cls`` in ``ns`` has that name (the existing names: a located note).
    """
    kind = cls.KIND
    desc = f"{kind}/{ns}/{name}"
    candidates, target, one_of = context_of(snap).memo(
        ("named_ref.inventory", cls, ns, var), lambda: _inventory(snap, cls, ns, var), reads=(cls,)
    )
    ob.fact(zterms.same(target, zterms.string(name)), at=at, says=says)
    shown = ", ".join(candidates[:8]) + (" …" if len(candidates) > 8 else "")
    ob.note(f"{kind}s in namespace {ns}: {shown or 'none'}", at=kind_at)
    ob.example(one_of, says=f"{desc} is one of the {kind}s in the inventory")
    return snap.get(cls, ns, name)


def _inventory(snap: Snapshot, cls: type[Resource], ns: str, var: str) -> tuple[list[str], z3.SeqRef, z3.BoolRef]:
    """The names of the ``cls`` of ``ns``, the variable ``var`` and "``var`` is one of them" (once per run: every
    reference into the namespace asks the same)."""
    candidates = [w.name for w in snap.in_namespace(cls, ns)]
    target = z3.String(var)
    one_of = (
        zterms.disj([zterms.same(target, zterms.string(n)) for n in candidates]) if candidates else z3.BoolVal(False)
    )
    return candidates, target, one_of


def listing(snap: Snapshot, cls: type[Resource], ns: str) -> str:
    """ " (existing Deployments: a, b)" or " (no Deployment in the namespace)" for messages."""
    names = [w.name for w in snap.in_namespace(cls, ns)]
    shown = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
    return f" (existing {cls.KIND}s: {shown})" if names else f" (no {cls.KIND} in the namespace)"
