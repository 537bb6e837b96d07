"""The specification the code cites lives in docs/: every ``docs/NAME.md#anchor`` cited in code, tests and
docs names a file and a heading that exist, Markdown links between docs resolve, and nothing cites the
team's shared reference (``../shared/spec``, ``SEMANTICS §``, ``BASELINES.md``), which is not shipped."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CITATION = re.compile(r"\bdocs/([A-Za-z0-9_-]+\.md)(?:#([a-z0-9_-]+))?")
LINK = re.compile(r"\]\((?!https?:|mailto:)([^)\s#]*)(?:#([^)\s]+))?\)")
FORBIDDEN = [
    (re.compile(r"\.\./shared/(?:spec|reference)|shared spec\b"), "the shared spec is not shipped: cite docs/"),
    (re.compile(r"SEMANTICS(?:\.md)?\s*§|(?<!SARIF )§\s*\d"), "a § section of a document not in the repository"),
    (re.compile(r"\bBASELINES\.md\b"), "BASELINES.md is not in the repository: cite docs/PERFORMANCE.md"),
    (re.compile(r"\.\./shared\b"), "../shared is not part of the repository"),
]
DATA_USE = re.compile(r"\.\./shared/corpus")  # the peer corpus may be named as data to run on (not a citation)


def tracked() -> list[Path]:
    """Text files of the repository (code, tests, docs), as git lists them."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / p for p in out if p.endswith((".py", ".md", ".toml", ".yaml", ".yml")) and (ROOT / p).is_file()]


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors(doc: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    in_code = False
    for line in doc.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        m = re.match(r"(#{1,6})\s+(.*)", line)
        if m and not in_code:
            base = slug(m.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def problems(file: Path) -> list[str]:
    text = file.read_text(errors="replace")
    rel = file.relative_to(ROOT)
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        for m in CITATION.finditer(line):
            doc = ROOT / "docs" / m.group(1)
            if not doc.exists():
                out.append(f"{rel}:{n}: cites {m.group(0)}, which does not exist")
            elif m.group(2) and m.group(2) not in anchors(doc):
                out.append(f"{rel}:{n}: cites {m.group(0)}: no such heading in docs/{m.group(1)}")
        if file.suffix == ".md":
            for m in LINK.finditer(line):
                target = (file.parent / m.group(1)).resolve() if m.group(1) else file
                if m.group(1) and not target.exists():
                    out.append(f"{rel}:{n}: links to {m.group(1)}, which does not exist")
                elif m.group(2) and target.suffix == ".md" and m.group(2) not in anchors(target):
                    out.append(f"{rel}:{n}: links to {m.group(1)}#{m.group(2)}: no such heading")
        for pattern, why in FORBIDDEN:
            for m in pattern.finditer(line):
                if not DATA_USE.match(line, m.start()):
                    out.append(f"{rel}:{n}: {m.group(0)!r}: {why}")
    return out


def test_every_citation_resolves_inside_the_repository() -> None:
    files = tracked()
    assert any(f.name == "SEMANTICS.md" for f in files)
    found = [p for f in files if f != Path(__file__) for p in problems(f)]
    assert found == []


@pytest.mark.parametrize(
    "text,expected",
    [
        ("see docs/SEMANTICS.md#quantity", []),
        ("see docs/SEMANTICS.md#no-such-rule", ["cites docs/SEMANTICS.md#no-such-rule: no such heading"]),
        ("see docs/NOPE.md", ["cites docs/NOPE.md, which does not exist"]),
        ("(SEMANTICS §2.1)", ["a § section"]),
        ("read ../shared/spec/ARCHITECTURE.md", ["the shared spec is not shipped", "../shared is not part"]),
        ("SARIF §3.27.9", []),
        ("[x](CI.md#selecting-properties) [y](SEMANTICS.md#quantity) [z](UNITS.md#nope)", ["links to UNITS.md#nope"]),
    ],
)
def test_the_checker_catches_broken_citations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: list[str]
) -> None:
    doc = ROOT / "docs" / "_citation_probe.md"
    monkeypatch.setattr(Path, "read_text", lambda self, **kw: text if self == doc else _read(self))
    found = problems(doc)
    assert len(found) == len(expected) and all(e in f for e, f in zip(expected, found, strict=True)), found


_read = Path.read_text
