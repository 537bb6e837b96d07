"""``Resource.name``, ``namespace``, ``ref`` and ``subject``'s fields are cached on first read (``functools.cached_property``): for
every object of every kind the cached value is what the uncached computation gives after the snapshot placed
it, a read before ``place`` (or before kustomize's namespace is enforced) is not kept, and pydantic's dump,
equality and copies see the fields alone."""

from __future__ import annotations

import pickle
from pathlib import Path as FilePath

from cnverify import loader, snapshot
from cnverify.model import Deployment
from cnverify.model.base import _CACHED, Resource

FIXTURES = FilePath(__file__).parent / "fixtures"


def uncached(r: Resource, name: str) -> str:
    """The value the property computes now (a subclass's own property, else Resource's function)."""
    for cls in type(r).__mro__:
        if name in cls.__dict__:
            attr = cls.__dict__[name]
            return (attr.fget if isinstance(attr, property) else attr.func)(r)
    raise AssertionError(name)


def test_cached_values_are_the_computed_ones_for_every_kind() -> None:
    for namespace, enforce in [(None, ""), ("team", "override")]:
        snap, _ = snapshot.build(loader.load([str(FIXTURES)]), namespace, enforce=enforce)  # type: ignore[arg-type]
        assert len({type(r) for r in snap.resources}) > 50
        for r in snap.resources:
            for name in _CACHED:
                assert getattr(r, name) == uncached(r, name) and getattr(r, name) == uncached(r, name), (r, name)
            assert r.subject() == r.subject() == uncached(r, "_subject") and r.subject() is not r.subject()
            assert r.subject("spec.x") == {**uncached(r, "_subject"), "path": "spec.x"}


def test_a_read_before_place_is_read_again() -> None:
    d = Deployment.model_validate({"metadata": {"name": "a"}})
    assert (d.namespace, d.ref) == ("(unit namespace)", "Deployment/(unit namespace)/a")
    d.place("team")
    assert (d.namespace, d.ref, d.name) == ("team", "Deployment/team/a", "a")
    d.metadata.namespace = "shop"  # as snapshot._enforce sets it, before placing
    d.place("team")
    assert (d.namespace, d.ref) == ("shop", "Deployment/shop/a")


def test_fields_alone_in_dump_equality_and_pickles() -> None:
    a = Deployment.model_validate({"metadata": {"name": "a", "namespace": "n"}})
    b = Deployment.model_validate({"metadata": {"name": "a", "namespace": "n"}})
    before = a.model_dump(mode="json", by_alias=True)
    assert (a.namespace, a.name, a.ref) == ("n", "a", "Deployment/n/a")
    assert a.model_dump(mode="json", by_alias=True) == before and "namespace" not in before
    assert a == b and repr(a) == repr(b)
    again = pickle.loads(pickle.dumps(a))
    assert again == a and again.ref == "Deployment/n/a"
