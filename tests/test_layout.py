"""Layout of ``cnverify.properties``: a module in a property folder defines exactly one registered property;
helpers live below ``cnverify.properties._shared`` and define none; property modules import no other
property module (they share code only through ``_shared``)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import cnverify.properties
from cnverify.registry import Property, load_properties

ROOT = Path(cnverify.properties.__path__[0])
SHARED = "cnverify.properties._shared"
REGISTERED = set(load_properties().values())


def modules() -> list[str]:
    """Every module (not package) below ``cnverify.properties``."""
    return [
        i.name
        for i in pkgutil.walk_packages(cnverify.properties.__path__, prefix="cnverify.properties.")
        if not i.ispkg
    ]


def property_modules() -> list[str]:
    return [m for m in modules() if not m.startswith(SHARED + ".")]


def defined(module: str) -> list[type[Property]]:
    """The Property subclasses ``module`` itself defines."""
    mod = importlib.import_module(module)
    return [
        c
        for _, c in inspect.getmembers(mod, inspect.isclass)
        if issubclass(c, Property) and c.__module__ == module and c is not Property
    ]


def imported(module: str) -> set[str]:
    """The absolute module names ``module``'s source imports (``from x import y`` yields ``x`` and ``x.y``)."""
    path = ROOT.joinpath(*module.split(".")[2:]).with_suffix(".py")
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{module}: relative import"
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def test_every_property_module_defines_exactly_one_registered_property() -> None:
    mods = property_modules()
    assert len(mods) == len(REGISTERED)
    for m in mods:
        classes = defined(m)
        assert len(classes) == 1 and classes[0] in REGISTERED, (
            f"{m} must define exactly one registered property (helpers go below {SHARED}): {classes}"
        )


def test_shared_modules_define_no_property() -> None:
    shared = [m for m in modules() if m.startswith(SHARED + ".")]
    assert shared
    for m in shared:
        assert not defined(m), f"{m} defines a property; move it to a property folder"


def test_property_modules_import_no_other_property_module() -> None:
    props = set(property_modules())
    for m in props:
        assert not (imported(m) & (props - {m})), f"{m} imports another property module; share through {SHARED}"
