"""Layering, read from the source with ``ast`` (imports inside functions and ``TYPE_CHECKING`` blocks count):

- ``cnverify.encodings`` (pure model → Z3/Python) imports neither obligations, the snapshot, the run context,
  the registry, the properties nor the system adapters;
- the engine (``verifier/`` outside ``systems/``: ``verifier/*.py``, ``report``, ``diff``) reaches the
  properties only through ``cnverify.registry``;
- the system adapters (``cnverify.systems``) import no property module, helpers included;
- ``cnverify.diff`` uses other modules' public names only (the adapters' hooks, never ``_private`` names);
- a property module imports no other property module (helpers live in ``cnverify.properties._shared``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_ROOTS = {"verifier": "cnverify", "encodings": "cnverify.encodings", "properties": "cnverify.properties"}
ENCODINGS_MAY_NOT = (
    "cnverify.obligation",
    "cnverify.snapshot",
    "cnverify.run_context",
    "cnverify.registry",
    "cnverify.properties",
    "cnverify.systems",
)


def modules(folder: str) -> Iterator[tuple[str, Path]]:
    """``(module name, path)`` of every module below ``folder`` (a package root)."""
    base = PACKAGE_ROOTS[folder]
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT / folder).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        yield ".".join([base, *parts]), path


def package_of(path: Path, module: str) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def absolute(node: ast.ImportFrom, package: str) -> str:
    """The module a ``from … import …`` statement imports from, relative levels resolved against ``package``."""
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, *([base] if base else [])])
    return base


def imports(path: Path, module: str) -> set[str]:
    """Every module ``path`` imports, absolute (``from x import y`` gives ``x`` and ``x.y``)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node, package_of(path, module))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def reaches(imported: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in imported if any(m == p or m.startswith(p + ".") for p in prefixes))


def private_names(path: Path, module: str, own: str) -> list[str]:
    """``_name``s ``path`` takes from modules outside the package ``own``: imported (``from m import _x``)
    or read off an imported name (``m._x``)."""
    tree = ast.parse(path.read_text(), str(path))
    names: dict[str, str] = {}  # local name → the absolute name it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(
                {a.asname or a.name.split(".")[0]: a.asname and a.name or a.name.split(".")[0] for a in node.names}
            )
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node, package_of(path, module))
            names.update({a.asname or a.name: f"{base}.{a.name}" for a in node.names})
    private = [full for full in names.values() if full.rpartition(".")[2].startswith("_")]
    private += [
        f"{names[n.value.id]}.{n.attr}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and isinstance(n.value, ast.Name)
        and n.value.id in names
        and n.attr.startswith("_")
    ]
    return sorted({full for full in private if not reaches({full}, (own,)) and "__" not in full})


def test_encodings_import_no_obligation_snapshot_registry_property_or_system() -> None:
    bad = {m: reaches(imports(p, m), ENCODINGS_MAY_NOT) for m, p in modules("encodings")}
    assert {m: v for m, v in bad.items() if v} == {}


def test_engine_reaches_properties_only_through_the_registry() -> None:
    engine = {
        m: p for m, p in modules("verifier") if m != "cnverify.registry" and not reaches({m}, ("cnverify.systems",))
    }
    bad = {m: reaches(imports(p, m), ("cnverify.properties",)) for m, p in engine.items()}
    assert {m: v for m, v in bad.items() if v} == {}
    assert "cnverify.diff.capacity" in engine and "cnverify.engine" in engine  # the rule reads the engine


def test_systems_import_no_property() -> None:
    adapters = {m: p for m, p in modules("verifier") if reaches({m}, ("cnverify.systems",))}
    bad = {m: reaches(imports(p, m), ("cnverify.properties",)) for m, p in adapters.items()}
    assert {m: v for m, v in bad.items() if v} == {}
    assert "cnverify.systems.istio.tables" in adapters


def test_diff_uses_only_public_names_of_other_modules() -> None:
    diff = {m: p for m, p in modules("verifier") if reaches({m}, ("cnverify.diff",))}
    bad = {m: private_names(p, m, "cnverify.diff") for m, p in diff.items()}
    assert {m: v for m, v in bad.items() if v} == {}


def test_property_modules_import_no_other_property_module() -> None:
    mods = dict(modules("properties"))
    props = {m for m, p in mods.items() if "._shared" not in m and p.name != "__init__.py"}
    for m in props:
        others = reaches(imports(mods[m], m), tuple(props - {m}))
        assert others == [], f"{m} imports property modules {others}; share through cnverify.properties._shared"


def test_no_module_cache_keyed_by_a_snapshot() -> None:
    """Derived data lives in the run context's memo (``ctx.memo``), never in a module-global weak cache keyed
    by the snapshot (one run's data in another's, kinds read uncharged)."""
    everywhere = [*modules("verifier"), *modules("encodings"), *modules("properties")]
    bad = {m: reaches(imports(p, m), ("weakref",)) for m, p in everywhere}
    assert {m: v for m, v in bad.items() if v} == {}
