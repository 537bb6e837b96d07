"""Meta-tests: the registry, the packaging and the docs stay consistent with the code.

- codes are unique and every Property subclass under ``cnverify.properties`` is registered;
- every property's docstring has the sections of ``DOC_SECTIONS``;
- a property's declared ``reads`` equal the kinds it reads (run alone over a fixture with every kind);
- every package folder is listed in pyproject's ``[tool.setuptools]`` with the right directory;
- the README's property table is the output of ``cnverify properties list --format markdown``;
- registered codes, names and default severities are those of docs/CATALOG.md, which keeps every
  code of the shared v1 catalog with its meaning (codes never change meaning once released).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import tomllib
import warnings
from pathlib import Path

import cnverify.properties
import pytest
from cnverify import loader, snapshot
from cnverify.catalog import render_catalog, render_systems
from cnverify.registry import DOC_SECTIONS, Property, load_properties
from cnverify.run_context import RunContext

ROOT = Path(__file__).resolve().parent.parent
EVERY_KIND = ROOT / "tests" / "engine" / "fixtures" / "every_kind.yaml"
CATALOG = ROOT / "docs" / "CATALOG.md"  # the project's own copy; it extends the shared v1 catalog
SHARED_CATALOG = ROOT.parent / "shared" / "spec" / "CATALOG.md"
PACKAGE_ROOTS = {"verifier": "cnverify", "encodings": "cnverify.encodings", "properties": "cnverify.properties"}
PROPS = load_properties()


def defined_property_classes() -> list[type[Property]]:
    """Every concrete Property subclass defined in a module below ``cnverify.properties``."""
    out = []
    for info in pkgutil.walk_packages(cnverify.properties.__path__, prefix="cnverify.properties."):
        mod = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(mod, inspect.isclass):
            if issubclass(obj, Property) and obj.__module__ == mod.__name__ and "code" in vars(obj):
                out.append(obj)
    return out


def test_codes_and_names_are_unique_and_every_property_is_registered() -> None:
    classes = defined_property_classes()
    codes = [c.code for c in classes]
    names = [c.name for c in classes]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert {c.code: c for c in classes} == PROPS
    for cls in classes:
        assert re.fullmatch(r"CNV\d{3}", cls.code), cls.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cls.name), cls.name
        assert cls.severity in ("error", "warning", "info"), cls.code
        assert cls.title and cls.remediation and cls.reads, f"{cls.code}: title, remediation and reads are required"


@pytest.mark.parametrize("code", list(PROPS))
def test_docstring_has_every_section(code: str) -> None:
    doc = PROPS[code].doc()
    heads = re.findall(r"^#+\s*(.+?)\s*$", doc, re.M)
    assert [h for h in heads if h in DOC_SECTIONS] == list(DOC_SECTIONS), f"{code}: sections {heads}"
    for section in DOC_SECTIONS:
        body = re.search(rf"^#+\s*{section}\s*\n(.*?)(?=^#+\s|\Z)", doc, re.M | re.S)
        assert body and body.group(1).strip(), f"{code}: section '{section}' is empty"


@pytest.fixture(scope="module")
def every_kind() -> loader.LoadResult:
    loaded = loader.load([str(EVERY_KIND)])
    assert loaded.errors == []
    return loaded


def test_every_kind_fixture_has_every_modelled_kind(every_kind: loader.LoadResult) -> None:
    from cnverify.model import KIND_MODELS

    snap, errors = snapshot.build(every_kind)
    assert errors == [] and not snap.unknown_kinds
    present = {type(r) for r in snap.resources}
    missing = sorted({cls.__name__ for cls in KIND_MODELS.values()} - {c.__name__ for c in present})
    assert not missing, f"add objects of these kinds to {EVERY_KIND.relative_to(ROOT)}: {missing}"


@pytest.mark.parametrize("code", list(PROPS))
def test_declared_reads_equal_kinds_read(code: str, every_kind: loader.LoadResult) -> None:
    snap, _ = snapshot.build(every_kind)  # fresh: properties may cache derived tables on the snapshot
    snap.kinds_read = set()
    for _ in PROPS[code]().obligations(RunContext(snap)):
        pass
    declared = {k.__name__ for k in PROPS[code].reads}
    assert snap.kinds_read == declared, (
        f"{code}: reads but does not declare {sorted(snap.kinds_read - declared)}; "
        f"declares but never read {sorted(declared - snap.kinds_read)}"
    )


def package_dirs() -> dict[str, Path]:
    """``{package name: folder}`` for every folder with an ``__init__.py`` below the package roots."""
    out = {}
    for folder, base in PACKAGE_ROOTS.items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            rel = init.parent.relative_to(ROOT / folder)
            out[".".join([base, *rel.parts])] = init.parent
    return out


def test_every_package_is_in_pyproject_with_its_directory() -> None:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed, dirs = set(cfg["packages"]), cfg.get("package-dir", {})
    actual = package_dirs()

    def resolved(pkg: str) -> Path:  # setuptools: the longest mapped prefix, then the rest as folders
        parts = pkg.split(".")
        for n in range(len(parts), 0, -1):
            if ".".join(parts[:n]) in dirs:
                return ROOT / dirs[".".join(parts[:n])] / Path(*parts[n:])
        return ROOT / Path(*parts)

    assert sorted(set(actual) - listed) == [], "packages missing from [tool.setuptools] packages"
    assert sorted(listed - set(actual)) == [], "listed packages without a folder holding __init__.py"
    assert {p: resolved(p) for p in actual} == actual
    strays = sorted(
        str(d.relative_to(ROOT))
        for root in PACKAGE_ROOTS
        for d in (ROOT / root).rglob("*")
        if d.is_dir() and d.name != "__pycache__" and any(d.glob("*.py")) and not (d / "__init__.py").exists()
    )
    assert strays == [], "folders with Python modules but no __init__.py are not installed"


def test_readme_property_table_is_generated() -> None:
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md does not exist yet (the lead writes it)")
    m = re.search(r"<!-- properties:begin -->\n(.*?)<!-- properties:end -->", readme.read_text(), re.S)
    assert m, "README.md has no <!-- properties:begin --> ... <!-- properties:end --> block"
    assert m.group(1).strip() == render_catalog("markdown").strip(), (
        "regenerate the table with: cnverify properties list --format markdown"
    )


def test_readme_system_table_is_generated() -> None:
    m = re.search(r"<!-- systems:begin -->\n(.*?)<!-- systems:end -->", (ROOT / "README.md").read_text(), re.S)
    assert m, "README.md has no <!-- systems:begin --> ... <!-- systems:end --> block"
    assert m.group(1).strip() == render_systems("markdown").strip(), (
        "regenerate the table with: cnverify systems --format markdown"
    )


def catalog() -> tuple[dict[str, str], dict[str, str]]:
    """``({code: name}, {code: default severity})`` from CATALOG.md."""
    text = CATALOG.read_text()
    names = dict(re.findall(r"^\|\s*(CNV\d{3})\s*\|\s*([a-z0-9-]+)\s*\|", text, re.M))
    severity: dict[str, str] = {}
    sentence = re.search(r"Severity defaults:(.*?)Users may", text, re.S)
    assert sentence, "CATALOG.md lost its 'Severity defaults' sentence"
    for group, level in re.findall(r"([^;.]*?)\s+(?:are|is)\s+`(\w+)`", sentence.group(1)):
        for lo, hi in re.findall(r"(\d{3})(?:\s*[–-]\s*(\d{3}))?", group):
            for n in range(int(lo), int(hi or lo) + 1):
                severity[f"CNV{n}"] = level
    return names, severity


@pytest.mark.skipif(not CATALOG.exists(), reason=f"{CATALOG} not found")
def test_registered_codes_are_catalogued_with_their_names_and_severities() -> None:
    names, severity = catalog()
    assert "CNV206" in names and severity.get("CNV101") == "error"  # the parser still reads the catalog
    registered = set(PROPS)
    assert sorted(registered - set(names) - {"CNV206"}) == [], "codes not in CATALOG.md"
    assert {c: PROPS[c].name for c in registered} == {c: names[c] for c in registered}
    assert {c: PROPS[c].severity for c in registered} == {c: severity[c] for c in registered}
    missing = sorted(set(names) - registered)
    if missing:
        print(f"catalogued but not registered yet: {', '.join(missing)}")
        warnings.warn(f"catalogued but not registered yet: {', '.join(missing)}", stacklevel=1)


@pytest.mark.skipif(not SHARED_CATALOG.exists(), reason=f"{SHARED_CATALOG} not found")
def test_project_catalog_keeps_every_shared_code() -> None:
    shared = dict(re.findall(r"^\|\s*(CNV\d{3})\s*\|\s*([a-z0-9-]+)\s*\|", SHARED_CATALOG.read_text(), re.M))
    names, _ = catalog()
    assert {c: names.get(c) for c in shared} == shared
