"""Project configuration: ``.cnverify.yaml`` or ``[tool.cnverify]`` in ``pyproject.toml``.

Found by walking up from the current directory (stopping at the repository root, the first
directory holding ``.git``).  Keys: ``select``, ``ignore``, ``severity`` (code → level),
``fail-on``, ``fail-on-unknown``, ``exclude`` (path globs, relative to the file's directory),
``timeout`` (ms), ``baseline`` (a baseline file, relative to the file's directory), ``unit``,
``namespace`` and ``context`` (paths, relative to the file's directory; docs/UNITS.md).  Unknown
keys and wrong values are errors naming the file and line.  Command-line flags override.
"""
from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnverify.errors import UsageError
from cnverify.registry import load_properties
from cnverify.source import Document, compose

YAML_NAMES = (".cnverify.yaml", ".cnverify.yml")
LEVELS = ("error", "warning", "info")
FAIL_ON = ("error", "warning", "info", "never")
KEYS = ("select", "ignore", "severity", "fail-on", "fail-on-unknown", "exclude", "timeout", "baseline", "unit",
        "namespace", "context", "assume")
ASSUME_KEYS = ("kind", "name", "namespace", "apiVersion")
UNIT_MODES = ("auto", "cluster", "file")


class ConfigError(UsageError):
    """A configuration file that cannot be used (the message starts with file:line)."""


@dataclass
class Config:
    """Settings from one file (None = not set there)."""

    file: str | None = None
    root: Path = field(default_factory=Path.cwd)
    select: list[str] | None = None
    ignore: list[str] | None = None
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: str | None = None
    fail_on_unknown: bool | None = None
    exclude: list[str] = field(default_factory=list)
    timeout: int | None = None
    baseline: str | None = None
    unit: str | None = None  # auto | cluster | file (docs/UNITS.md)
    namespace: str | None = None  # namespace of objects naming none (as kubectl apply -n)
    context: list[str] = field(default_factory=list)  # context paths (relative to the file's directory)
    assume: list[Assumed] = field(default_factory=list)  # objects known to exist without manifests


@dataclass(frozen=True)
class Assumed:
    """An ``assume:`` entry: an object that exists in the cluster though no input holds its manifest."""

    kind: str
    name: str
    namespace: str | None
    api_version: str | None
    at: str  # "file:line[:column]" of the entry

    @property
    def line(self) -> tuple[str, int]:
        """(file, line) of the entry."""
        m = re.match(r"^(.*?):(\d+)", self.at)
        return (m.group(1), int(m.group(2))) if m else (self.at, 1)


def discover(start: Path | None = None) -> Path | None:
    """The nearest config file at or above ``start``, not above the repository root."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        for name in YAML_NAMES:
            if (d / name).is_file():
                return d / name
        py = d / "pyproject.toml"
        if py.is_file() and re.search(r"^\s*\[\s*tool\.cnverify\b", py.read_text(encoding="utf-8"), re.M):
            return py
        if (d / ".git").exists():
            return None
    return None


def load(file: Path) -> Config:
    """Read and validate one config file."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read config: {exc.strerror}") from exc
    if file.suffix == ".toml":  # pyproject.toml: its [tool.cnverify] table; another TOML file: the whole file
        data, where = _toml(text, str(file), ("tool", "cnverify") if file.name == "pyproject.toml" else ())
    else:
        data, where = _yaml(text, str(file))
    return _validate(data, where, str(file), file.resolve().parent)


Where = Callable[[tuple[str, ...]], str]


def _yaml(text: str, file: str) -> tuple[Any, Where]:
    docs = list(compose(text, file))
    for d in docs:
        if not isinstance(d, Document):
            raise ConfigError(f"{d.location}: {d.message}")
    if len(docs) > 1:
        raise ConfigError(f"{file}:{docs[1].spans[()].line}: a config file holds one YAML document")
    if not docs:
        return {}, lambda path: f"{file}:1:1"
    doc = docs[0]
    assert isinstance(doc, Document)

    def where(path: tuple[str, ...]) -> str:
        s = doc.span(path)
        return f"{s.file}:{s.line}:{s.column}"

    return doc.data, where


def _toml(text: str, file: str, table: tuple[str, ...]) -> tuple[Any, Where]:
    try:
        data: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: {exc}") from exc
    for key in table:
        data = data.get(key, {}) if isinstance(data, dict) else {}

    def where(path: tuple[str, ...]) -> str:
        full = (*table, *path)
        line = toml_line(text, full) if full else 1
        return f"{file}:{line}: {'.'.join(full)}" if line else f"{file}: {'.'.join(full)}"

    return data, where


def toml_line(text: str, path: tuple[str, ...]) -> int | None:
    """Best-effort line of ``path`` in TOML text (table headers, dotted and inline keys)."""
    table: list[str] = []
    best: int | None = None
    for n, line in enumerate(text.splitlines(), 1):
        header = re.match(r"\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$", line)
        if header:
            table = _dotted(header.group(1))
            if tuple(table) == path[: len(table)] and table:
                best = n if len(table) >= 2 else best
            continue
        key = re.match(r"\s*((?:\"[^\"]*\"|'[^']*'|[\w.-]+)(?:\s*\.\s*(?:\"[^\"]*\"|'[^']*'|[\w-]+))*)\s*=", line)
        if key:
            full = tuple(table + _dotted(key.group(1)))
            if full == path:
                return n
            if full == path[: len(full)]:
                best = n
    return best


def _dotted(key: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", key)]


def unknown_codes(tokens: Iterable[str]) -> list[str]:
    """The tokens that are neither a property code, a code prefix (CNV1) nor a property name."""
    known = load_properties()
    return [t for t in tokens if not any(c.startswith(t) or cls.name == t for c, cls in known.items())]


def _strings(value: Any, at: str, key: str) -> list[str]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{at}: '{key}' must be a list of strings")
    return value


def _validate(data: Any, where: Where, file: str, root: Path) -> Config:
    cfg = Config(file=file, root=root)
    if not isinstance(data, dict):
        raise ConfigError(f"{where(())}: the configuration must be a mapping of keys ({', '.join(KEYS)})")
    for key, value in data.items():
        at = where((str(key),))
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(KEYS)})"
            raise ConfigError(f"{at}: unknown key '{key}'{hint}")
        if key in ("select", "ignore"):
            codes = _strings(value, at, key)
            bad = unknown_codes(codes)
            if bad:
                raise ConfigError(f"{at}: unknown property code or name in '{key}': {', '.join(bad)}")
            setattr(cfg, key, codes)
        elif key == "severity":
            cfg.severity = _severity(value, where, at)
        elif key == "fail-on":
            if not isinstance(value, str) or value not in FAIL_ON:
                raise ConfigError(f"{at}: 'fail-on' must be one of {', '.join(FAIL_ON)}, not {value!r}")
            cfg.fail_on = value
        elif key == "fail-on-unknown":
            if not isinstance(value, bool):
                raise ConfigError(f"{at}: 'fail-on-unknown' must be true or false, not {value!r}")
            cfg.fail_on_unknown = value
        elif key == "exclude":
            cfg.exclude = _strings(value, at, key)
        elif key == "timeout":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{at}: 'timeout' must be a positive integer (milliseconds), not {value!r}")
            cfg.timeout = value
        elif key == "baseline":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{at}: 'baseline' must be a file path")
            cfg.baseline = str(root / value)
        elif key == "unit":
            if value not in UNIT_MODES:
                raise ConfigError(f"{at}: 'unit' must be one of {', '.join(UNIT_MODES)}, not {value!r}")
            cfg.unit = value
        elif key == "namespace":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{at}: 'namespace' must be a namespace name")
            cfg.namespace = value
        elif key == "context":
            cfg.context = [os.path.relpath(root / v) for v in _strings(value, at, key)]
        elif key == "assume":
            cfg.assume = _assume(value, where, at)
    return cfg


def _assume(value: Any, where: Where, at: str) -> list[Assumed]:
    if not isinstance(value, list):
        raise ConfigError(f"{at}: 'assume' must be a list of {{kind, name, namespace}} mappings")
    out = []
    for i, entry in enumerate(value):
        here = where(("assume", i))  # type: ignore[arg-type]
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) and entry[k] for k in ("kind", "name")):
            raise ConfigError(f"{here}: each 'assume' entry needs a kind and a name (strings)")
        bad = [k for k in entry if k not in ASSUME_KEYS or not isinstance(entry[k], str)]
        if bad:
            raise ConfigError(f"{here}: 'assume' entry key {bad[0]!r} is not one of {', '.join(ASSUME_KEYS)} "
                              "with a string value")
        out.append(Assumed(entry["kind"], entry["name"], entry.get("namespace"), entry.get("apiVersion"), here))
    return out


def _severity(value: Any, where: Where, at: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{at}: 'severity' must map property codes to {', '.join(LEVELS)}")
    props = load_properties()
    out: dict[str, str] = {}
    for code, level in value.items():
        here = where(("severity", str(code)))
        match = [c for c, p in props.items() if c == code or p.name == code]
        if not match:
            raise ConfigError(f"{here}: 'severity': {code} is no property code or name")
        if level not in LEVELS:
            raise ConfigError(f"{here}: 'severity' of {code} must be one of {', '.join(LEVELS)}, not {level!r}")
        out[match[0]] = level
    return out


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[" and "]" in pattern[i + 1:]:
            j = pattern.index("]", i + 1)
            out, i = out + "[" + pattern[i + 1:j].replace("!", "^", 1) + "]", j + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


@dataclass
class Excluder:
    """Path globs (gitignore-like: no ``/`` → any depth; a match on a directory covers its files)."""

    patterns: list[tuple[Path, re.Pattern[str]]] = field(default_factory=list)

    def add(self, globs: Iterable[str], base: Path) -> None:
        for g in globs:
            g = g.strip().rstrip("/")
            if g:
                anchored = "/" in g
                self.patterns.append((base.resolve(), _glob_regex(g.lstrip("/") if anchored else "**/" + g)))

    def excluded(self, file: str) -> bool:
        if file == "-" or not self.patterns:
            return False
        path = Path(os.path.abspath(file))
        for base, rx in self.patterns:
            try:
                rel = path.relative_to(base)
            except ValueError:
                continue
            parts = rel.parts
            if any(rx.fullmatch("/".join(parts[:k])) for k in range(1, len(parts) + 1)):
                return True
        return False
