"""Pod selection as located facts on an obligation: which pod template a selector selects, with one fact per
requirement and per candidate template (no property here; the shapes themselves: ``pods.py``).

Each fact is built once per run for what it is built from (the run's term dict, ``properties/_shared/terms.py``):
the same hash-consed terms a fresh build returns, so no query, answer, witness or chain changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import z3
from cnverify.encodings import zterms
from cnverify.encodings.kept_terms import kept
from cnverify.encodings.labels import (
    ABSENT,
    LabelSpace,
    Selector,
    Terms,
    describe,
    literal,
    located_requirements,
    render_label,
    requirements,
)
from cnverify.errors import Span
from cnverify.model.apps import LabelSelector
from cnverify.model.base import Node
from cnverify.obligation import Obligation
from cnverify.opaque import Opaque
from cnverify.properties._shared.pod_creators import unmodelled_creators
from cnverify.properties._shared.selectors.pods import (
    HASH_KEYS,
    MAX_POOL,
    POD,
    Parsed,
    PodShape,
    selected_among,
    undecided_reason,
)
from cnverify.properties._shared.terms import as_written, decide_found, deciding_here, once


def pick(space: LabelSpace, i: int) -> z3.BoolRef:
    """``space``'s pod is the ``i``-th of the shapes ``add_pod_facts`` was given."""
    return kept(space.terms, ("pick", space.name, i), zterms.bool_const, f"{space.name}.from[{i}]")


def add_pod_facts(ob: Obligation, space: LabelSpace, shapes: list[PodShape], *, who: str) -> None:
    """Facts: the pod ``space`` is one of ``shapes`` (one located fact per shape, then their disjunction)."""
    facts, pod_is, source = _pod_facts(space, shapes)
    for term, where, says in facts:
        ob.fact(term, at=where, says=says)
    ob.fact(pod_is, at=None, says=who)
    ob.show(POD, source)


def _pod_facts(
    space: LabelSpace, shapes: list[PodShape]
) -> tuple[tuple[tuple[z3.BoolRef, Span, str], ...], z3.BoolRef, z3.SeqRef]:
    """``add_pod_facts``' facts (term, span, sentence), the disjunction of the picks and the ``@pod`` term, built
    once per run for ``space`` (name, keys) and these shapes (the entry keeps them alive: ids stay theirs)."""
    tag = ("pod facts", space.name, space.keys, tuple(map(id, shapes)))
    hit = space.terms.get(tag)
    if hit is not None and all(a is b for a, b in zip(hit[0], shapes, strict=True)):
        return hit[1]
    picks = [pick(space, i) for i in range(len(shapes))]
    facts = tuple(
        (zterms.implies(p, shape.constraint(space)), shape.where, shape.describe(space.keys))
        for p, shape in zip(picks, shapes, strict=True)
    )
    refs = tuple(s.owner.ref for s in shapes)
    source = kept(space.terms, ("from", space.name, refs), _source, space, picks, refs)
    built = (facts, zterms.disj(picks), source)
    space.terms[tag] = (tuple(shapes), built)
    return built


def _source(space: LabelSpace, picks: list[z3.BoolRef], refs: tuple[str, ...]) -> z3.SeqRef:
    """The ``@pod`` term: the owner of the shape picked (``from[i]`` is ``pick(space, i)``)."""
    source = literal(space.terms, "")
    for p, ref in reversed(list(zip(picks, refs, strict=True))):
        source = zterms.choose(p, literal(space.terms, ref), source)
    return source


def labels_of(witness: Mapping[str, object] | None) -> dict[str, str | None]:
    """The label part of a witness (everything except the ``@pod`` entry)."""
    return {k: v for k, v in (witness or {}).items() if k != POD}  # type: ignore[misc]


def selector_facts(
    ob: Obligation,
    space: LabelSpace,
    selector: LabelSelector | Mapping[str, str],
    owner: Node,
    field: tuple[str | int, ...],
    *,
    tag: str,
    whose: str = "the selector",
) -> z3.BoolRef:
    """One located fact per requirement (``tag.req[i]`` ⇔ requirement); returns their conjunction.

    Raises ``UnsupportedSelector`` for a requirement that cannot be evaluated.
    """
    key = ("selector facts", id(selector), id(owner), field, tag, whose, space.name)
    hit = space.terms.get(key)
    if hit is None or hit[0] is not selector or hit[1] is not owner:  # once per run (the entry keeps both alive)
        facts, reqs = [], []
        for i, (k, op, values, span, says) in enumerate(_located(space.terms, selector, owner, field)):
            name = f"{tag}.req[{i}]"
            req = (k, op, values)
            r, fact = once(space.terms, ("req fact", name, space.name, *req), _req_fact, space, name, *req)
            facts.append((fact, span, says.replace("the selector", whose)))
            reqs.append(r)
        # the conjunction of ``tag.req[0..n-1]``: the same term for every selector of n requirements under ``tag``
        match = once(space.terms, ("req conj", tag, len(reqs)), zterms.conj, reqs)
        hit = space.terms[key] = (selector, owner, tuple(facts), match)
    for term, span, says in hit[2]:
        ob.fact(term, at=span, says=says)
    return hit[3]


def _req_fact(space: LabelSpace, name: str, *req: Any) -> tuple[z3.BoolRef, z3.BoolRef]:
    """The Boolean ``name`` and ``name`` ⇔ the requirement over ``space`` (once per run: requirements repeat across
    objects, as a PDB's and its Service's ``app=web``)."""
    r = kept(space.terms, ("bool", name), zterms.bool_const, name)
    return r, zterms.same(r, space.requirement(*req))


def _located(
    terms: Terms, selector: LabelSelector | Mapping[str, str], owner: Node, field: tuple[str | int, ...]
) -> list[tuple[str, str, tuple[str, ...], Span, str]]:
    """``located_requirements``, once per run and selector (the entry keeps the objects its key names alive)."""
    tag = ("located", id(selector), id(owner), field)
    hit = terms.get(tag)
    if hit is None or hit[0] is not selector or hit[1] is not owner:
        hit = terms[tag] = (selector, owner, located_requirements(selector, owner, field))
    return hit[2]


def selector_text(selector: Selector) -> str:
    """``app=web, tier in (a,b)`` (``{}`` for an empty selector)."""
    return ", ".join(describe(k, op, vs) for k, op, vs in requirements(selector)) or "{}"


Part = tuple[LabelSelector | Mapping[str, str], Node, tuple[str | int, ...], str]
"""A located selector: ``(selector, owner node, field path of the selector under owner, whose)``."""


def require_selected(
    ob: Obligation,
    parts: list[Part],
    shapes: list[PodShape],
    namespace: str,
    creators: Iterable[Opaque] = (),
    terms: Terms | None = None,
) -> None:
    """Set ``ob`` to: some pod of ``shapes`` (in ``namespace``) is selected by every selector of ``parts``.

    An exact pre-check picks the candidates: a selected shape goes to the solver alone (proved, the
    pod is the witness); otherwise the shapes that carry every required key go to the solver (violated
    with a minimal core), or, beyond ``MAX_POOL`` of them, the verdict is decided with one located
    note per near miss.  Raises ``UnsupportedSelector`` for a requirement that cannot be evaluated.
    """
    prior = len(ob.facts)  # facts the caller added: then the query is not this function's alone
    parsed = Parsed.of(p[0] for p in parts)
    sels, keys = parsed.selectors, set(parsed.keys)
    need = parsed.required()
    pool = [s for s in shapes if s.could_match(need)]
    terms = {} if terms is None else terms
    hits, undecided = selected_among(pool, parsed, terms=terms)
    if keys.isdisjoint(HASH_KEYS):  # no selector mentions a runtime-computed key: no shape is ``pinned``
        hit = hits[0] if hits else None
    else:
        hit = next((s for s in hits if not s.pinned(*sels)), None)
    if hit is None and hits:
        pinned = sorted(hits[0].pinned(*sels))
        ob.note(hits[0].describe(keys), hits[0].where)
        ob.unknown(
            f"only pods of {', '.join(s.owner.ref for s in hits[:3])} may be selected, and only if "
            f"{', '.join(pinned)} (computed by the controller at runtime, a hash of the template) takes the "
            "value the selector requires, which cannot be computed from the manifests"
        )
        return
    free = set().union(*(s.free_keys(keys) for s in pool)) if pool else set()
    if hit is not None and not free and not prior and selected_directly(ob, parts, hit, keys, terms):
        return
    space = LabelSpace("pod", keys, terms)
    matches = [
        selector_facts(ob, space, sel, owner, field, tag=f"sel{i}", whose=whose)
        for i, (sel, owner, field, whose) in enumerate(parts)
    ]
    if hit is not None:
        add_pod_facts(ob, space, [hit], who=f"the pod is a pod of {hit.owner.ref}")
    elif undecided:
        ob.unknown(undecided_reason(undecided))
        return
    elif unmodelled_creators(ob, sels, creators):
        return
    elif len(pool) > MAX_POOL:
        for s in pool[:MAX_POOL]:
            ob.note(s.describe(keys), s.where)
        ob.decide(
            "violated",
            f"none of the {len(pool)} pod templates in namespace {namespace} that carry the keys "
            f"{', '.join(sorted(need))} meets every requirement (exact evaluation)",
        )
        return
    elif pool:
        add_pod_facts(
            ob,
            space,
            pool,
            who=f"the pod is one of the {len(pool)} pod template(s) in namespace "
            f"{namespace} that carry the keys {', '.join(sorted(need)) or '(none)'}",
        )
    else:
        ob.fact(
            z3.BoolVal(False),
            at=parts[0][1].at(*parts[0][2]),
            says=f"no pod template in namespace {namespace} carries all of the keys {', '.join(sorted(need))}",
        )
    goal = (*matches, space.valid(free))
    key = ("selected example", tuple(map(id, goal)))  # the entry keeps its terms alive: ids stay theirs
    example = space.terms.get(key)
    if example is None or any(a is not b for a, b in zip(example[0], goal, strict=True)):
        example = space.terms[key] = (goal, zterms.conj(goal))
    ob.example(example[1], says="a pod of the namespace is selected")
    space.show_on(ob)


MAX_DIRECT_FACTS = 24
"""Decided where it is built up to this many facts: exact evaluation's work cap (``exact.MAX_EVALS``) makes it hand
larger queries of this form to Z3 (at 40 one-label requirements, not at 30), whose claim ends ``(solver: sat)``."""


def selected_directly(ob: Obligation, parts: list[Part], hit: PodShape, keys: set[str], terms: Terms) -> bool:
    """Decide, without building it, the query ``require_selected`` would build for a shape the exact pre-check
    selected (no controller-set key among ``keys``, no fact before): its facts fix every constant (the pick, each
    key's presence and value, each requirement) and the goal holds, so exact evaluation finds it satisfiable with
    every fact in the chain and the shape's values as the witness.  The chain is the query's facts' steps in order
    (one per requirement, the shape's labels, the pick), after the notes before them; the witness is ``@pod``,
    then the label keys sorted (``LabelSpace.show_on``).  False (nothing added) beyond ``MAX_DIRECT_FACTS`` facts,
    for strings Z3 may not return as written (printable ASCII, no escapes) or under ``--certify``: then the query
    is built and left to exact evaluation."""
    if ob.shown or not deciding_here():
        return False
    located = [
        (_located(terms, sel, owner, field), whose) for sel, owner, field, whose in parts
    ]  # raises as ``selector_facts`` would
    if sum(len(reqs) for reqs, _ in located) + 2 > MAX_DIRECT_FACTS:
        return False
    ordered = sorted(keys)
    values = {POD: hit.owner.ref, **{k: hit.labels.get(k, ABSENT) for k in ordered}}
    if not as_written(values.values()):
        return False
    for reqs, whose in located:
        for _, _, _, span, says in reqs:
            ob.note(says.replace("the selector", whose), span)
    ob.note(hit.describe(ordered), hit.where)
    ob.note(f"the pod is a pod of {hit.owner.ref}")
    witness = {k: v if k == POD else render_label(v) for k, v in values.items()}
    decide_found(ob, "example", "a pod of the namespace is selected", witness)
    return True
