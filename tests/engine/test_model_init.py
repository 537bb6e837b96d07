"""``Node``'s private-attribute post-init (``model.base._fast_private_init``) against pydantic's own
``init_private_attributes``, which it replaces: the same private dict for every model, validated or
constructed, and a model with a post-init of its own keeps pydantic's chain."""

from __future__ import annotations

from typing import Any

import pytest
from cnverify import systems
from cnverify.model import Deployment
from cnverify.model.base import Node
from pydantic import PrivateAttr
from pydantic._internal._model_construction import init_private_attributes


def every_node_class() -> list[type[Node]]:
    systems.adapters()  # the systems' own models too
    seen: dict[type[Node], None] = {Node: None}
    todo = [Node]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen[sub] = None
                todo.append(sub)
    return list(seen)


def private_after(post_init: Any, cls: type[Node]) -> dict[str, Any]:
    obj = cls.__new__(cls)  # no fields: some models' field defaults validate (a Rollout's strategy)
    object.__setattr__(obj, "__pydantic_private__", None)
    post_init(obj, None)
    return obj.__pydantic_private__


def test_every_model_gets_pydantics_private_defaults() -> None:
    classes = every_node_class()
    assert len(classes) > 100
    for cls in classes:
        assert getattr(cls.model_post_init, "_private_defaults", False), cls  # none left to pydantic today
        mine, theirs = private_after(cls.model_post_init, cls), private_after(init_private_attributes, cls)
        assert mine == theirs and list(mine) == list(theirs), cls
        assert [type(v) for v in mine.values()] == [type(v) for v in theirs.values()], cls


def test_a_validated_model_has_them_and_bind_sets_them() -> None:
    d = Deployment.model_validate({"metadata": {"name": "a"}, "spec": {"template": {"spec": {"containers": []}}}})
    assert d.__pydantic_private__ == {"_doc": None, "_path": (), "_unit_namespace": "(unit namespace)"}
    assert d.metadata.__pydantic_private__ == {"_doc": None, "_path": ()}
    first, second = Deployment.model_validate({}), Deployment.model_validate({})
    assert first.__pydantic_private__ is not second.__pydantic_private__  # each model its own dict


def test_factories_give_each_model_its_own_value() -> None:
    class WithFactory(Node):
        _seen: dict[str, int] = PrivateAttr(default_factory=dict)

    a, b = WithFactory.model_validate({}), WithFactory.model_validate({})
    assert a.__pydantic_private__ == {"_doc": None, "_path": (), "_seen": {}}
    assert a.__pydantic_private__["_seen"] is not b.__pydantic_private__["_seen"]


@pytest.mark.parametrize("inherit", [False, True])
def test_a_models_own_post_init_keeps_pydantics_chain(inherit: bool) -> None:
    calls: list[str] = []

    class Own(Node):
        _mine: list[str] = PrivateAttr(default_factory=list)  # a mutable default: pydantic's copying

        def model_post_init(self, context: Any, /) -> None:
            calls.append("own")

    cls = type("Sub", (Own,), {"__module__": __name__}) if inherit else Own
    obj = cls.model_validate({})
    assert calls == ["own"] and obj.__pydantic_private__ == {"_doc": None, "_path": (), "_mine": []}
    assert not getattr(cls.model_post_init, "_private_defaults", False)


def test_every_deferred_model_builds() -> None:
    """``Node`` models build their validators on first use (``defer_build``): each must still build, as
    every one did at import before, and validate as pydantic's eagerly built schema does."""
    classes = every_node_class()
    assert not all(cls.__pydantic_complete__ for cls in classes)  # deferred: not all built at import
    for cls in classes:
        assert cls.model_rebuild(force=True) is not False, cls
        assert cls.__pydantic_complete__, cls
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": 3}}
    with pytest.raises(ValueError, match="metadata.name"):
        Deployment.model_validate(bad)
