"""Project configuration: ``.cnverify.yaml`` or ``[tool.cnverify]`` in ``pyproject.toml``.

Found by walking up from the current directory inside its repository (up to the first directory
holding ``.git``; without one, only the current directory), never in directories others may write.
Keys: ``select``, ``ignore``, ``severity`` (code → level), ``fail-on``, ``fail-on-unknown``,
``exclude`` (path globs, relative to the file's directory), ``timeout`` (ms), ``baseline`` (a baseline
file, relative to the file's directory), ``unit``, ``namespace`` and ``context`` (paths, relative to
the file's directory; docs/UNITS.md), ``mesh-config`` (an Istio MeshConfig file for path
normalisation, relative to the file's directory).  Unknown keys and wrong values are errors naming the file and
line.  Command-line flags override.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnverify import registry, safefile
from cnverify.errors import UsageError
from cnverify.globs import Glob, GlobError, compile_glob
from cnverify.source import Document, compose, decode, printable

YAML_NAMES = (".cnverify.yaml", ".cnverify.yml")
LEVELS = ("error", "warning", "info")
FAIL_ON = ("error", "warning", "info", "never")
MAX_CONFIG_BYTES = 2**20
MAX_TIMEOUT_MS = 2**31 - 1  # Z3's timeout is an unsigned int; longer would overflow it
KEYS = (
    "select",
    "ignore",
    "severity",
    "fail-on",
    "fail-on-unknown",
    "exclude",
    "timeout",
    "baseline",
    "unit",
    "namespace",
    "context",
    "assume",
    "mesh-config",
    "compose-files",
)
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
    mesh_config: str | None = None  # Istio MeshConfig file (path normalisation before routing)
    compose_files: list[list[str]] = field(default_factory=list)  # compose merge sets (relative to the file)


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
    """The nearest config file at or above ``start``, never outside its checkout.

    The search climbs only inside a repository (up to the first directory holding ``.git``); without
    one it reads ``start`` alone, so a config file in a shared parent (``/tmp``) cannot change the run.
    It never reads a directory that other users may write (world-writable, or owned by another user).
    """
    here = (start or Path.cwd()).resolve()
    chain = (here, *here.parents)
    root = next((i for i, d in enumerate(chain) if (d / ".git").exists()), 0)
    top = chain[root]
    for d in chain[: root + 1]:
        if not _trusted(d):
            return None
        for name in YAML_NAMES:
            if (d / name).is_file():
                return _inside(d / name, top)
        py = d / "pyproject.toml"
        if py.is_file() and _has_cnverify_table(_inside(py, top)):
            return py
    return None


def _has_cnverify_table(pyproject: Path) -> bool:
    try:
        with pyproject.open("rb") as fh:
            head = fh.read(MAX_CONFIG_BYTES)
    except OSError:
        return False
    return re.search(rb"^\s*\[\s*tool\.cnverify\b", head, re.M) is not None


def _inside(file: Path, top: Path) -> Path:
    """``file`` when it is inside ``top``; a symlink out of the checkout (to a secret whose first key an
    'unknown key' error would print) is refused."""
    target = file.resolve()
    if not target.is_relative_to(top):
        raise ConfigError(
            f"{printable(str(file))}: the configuration file is a symbolic link out of the "
            f"repository ({printable(str(target))}); not read"
        )
    return file


def _trusted(directory: Path) -> bool:
    """Not writable by other users: not world-writable, and owned by us or root (root trusts any owner:
    a container's root user reads checkouts mounted with the runner's uid)."""
    try:
        st = directory.stat()
    except OSError:
        return False
    return not st.st_mode & stat.S_IWOTH and (os.getuid() == 0 or st.st_uid in (os.getuid(), 0))


def load(file: Path) -> Config:
    """Read and validate one config file; every problem is a ConfigError naming the file (and line)."""
    name = printable(str(file))
    raw = safefile.read_bytes(str(file), MAX_CONFIG_BYTES, "config")  # a regular file; no FIFO, no /dev/zero
    text, err = decode(raw, name)
    if err is not None:
        raise ConfigError(f"{err.location}: {err.message}")
    assert text is not None
    if file.suffix == ".toml":  # pyproject.toml: its [tool.cnverify] table; another TOML file: the whole file
        data, where = _toml(text, name, ("tool", "cnverify") if file.name == "pyproject.toml" else ())
    else:
        data, where = _yaml(text, name)
    return _validate(data, where, name, file.resolve().parent)


Where = Callable[[tuple[str, ...]], str]


def _yaml(text: str, file: str) -> tuple[Any, Where]:
    docs = list(compose(text, file))
    for d in docs:
        if not isinstance(d, Document):
            raise ConfigError(f"{d.location}: {d.message}")
    if len(docs) > 1:
        second = docs[1]
        assert isinstance(second, Document)  # every InputError raised above
        raise ConfigError(f"{file}:{second.spans[()].line}: a config file holds one YAML document")
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
    except RecursionError:
        raise ConfigError(f"{file}: TOML nested too deeply") from None
    except ValueError as exc:  # e.g. an integer past Python's int-from-str limit
        raise ConfigError(f"{file}: invalid TOML value: {exc}") from None
    for key in table:
        data = data.get(key, {}) if isinstance(data, dict) else {}

    def where(path: tuple[str, ...]) -> str:
        full = (*table, *path)
        line = toml_line(text, full) if full else 1
        dotted = ".".join(map(str, full))  # a list index (assume[0]) is an int
        return f"{file}:{line}: {dotted}" if line else f"{file}: {dotted}"

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


def _strings(value: Any, at: str, key: str) -> list[str]:
    if isinstance(value, str):
        value = registry.tokens([value])
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
            bad = registry.unknown(codes)
            if bad:
                raise ConfigError(
                    f"{at}: unknown property code or name in '{key}': "
                    + ", ".join(f"{e.token}{e.hint_text}" for e in bad)
                )
            setattr(cfg, key, codes)
        elif key == "severity":
            cfg.severity = _severity(value, where, at)
        elif key == "fail-on":
            if not isinstance(value, str) or value not in FAIL_ON:
                raise ConfigError(f"{at}: 'fail-on' must be one of {', '.join(FAIL_ON)}, not {_short(value)}")
            cfg.fail_on = value
        elif key == "fail-on-unknown":
            if not isinstance(value, bool):
                raise ConfigError(f"{at}: 'fail-on-unknown' must be true or false, not {_short(value)}")
            cfg.fail_on_unknown = value
        elif key == "exclude":
            cfg.exclude = _strings(value, at, key)
            for g in cfg.exclude:
                try:
                    exclusion_glob(g)
                except GlobError as exc:
                    raise ConfigError(f"{at}: 'exclude' pattern {g!r}: {exc}") from None
        elif key == "timeout":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{at}: 'timeout' must be a positive integer (milliseconds), not {_short(value)}")
            if value > MAX_TIMEOUT_MS:
                raise ConfigError(f"{at}: 'timeout' must be at most {MAX_TIMEOUT_MS} milliseconds, not {_short(value)}")
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
        elif key == "mesh-config":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{at}: 'mesh-config' must be a file path (an Istio MeshConfig or istio ConfigMap)")
            cfg.mesh_config = str(root / value)
        elif key == "compose-files":
            if not isinstance(value, list) or not all(isinstance(v, list) and len(v) > 1 for v in value):
                raise ConfigError(
                    f"{at}: 'compose-files' must be a list of merge sets, each a list of two or more files"
                )
            cfg.compose_files = [[os.path.relpath(root / f) for f in _strings(v, at, key)] for v in value]
    return cfg


def _short(value: Any) -> str:
    """``repr`` cut to 60 characters (a hostile value may be huge)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
            raise ConfigError(
                f"{here}: 'assume' entry key {bad[0]!r} is not one of {', '.join(ASSUME_KEYS)} with a string value"
            )
        _assumable(entry, here)
        out.append(Assumed(entry["kind"], entry["name"], entry.get("namespace"), entry.get("apiVersion"), here))
    return out


def _assumable(entry: dict[str, str], here: str) -> None:
    """An ``assume:`` entry names a modelled kind (in its API group, if given) and a namespace exactly
    when the kind is namespaced; anything else would be a placeholder no property ever finds."""
    from cnverify.model import KIND_MODELS, group_of

    kind, api = entry["kind"], entry.get("apiVersion")
    models = [cls for (g, k), cls in KIND_MODELS.items() if k == kind and (api is None or g == group_of(api))]
    if not models:
        kinds = sorted({k for _, k in KIND_MODELS})
        close = difflib.get_close_matches(kind, kinds, 1) or [k for k in kinds if k.lower() == kind.lower()]
        groups = sorted({g or "core" for g, k in KIND_MODELS if k == kind})
        hint = (
            f" ({kind} is in API group {', '.join(groups)})"
            if groups
            else f" (did you mean {close[0]!r}?)"
            if close
            else ""
        )
        where = f" in {api}" if api else ""
        raise ConfigError(
            f"{here}: 'assume' entry kind {kind!r}{where} is not a kind cnverify models{hint}; "
            "kinds are case-sensitive (Service, Deployment, ...)"
        )
    namespaced = models[0].NAMESPACED
    if namespaced and not entry.get("namespace"):
        raise ConfigError(f"{here}: 'assume' entry {kind} {entry['name']} needs a namespace ({kind} is namespaced)")
    if not namespaced and entry.get("namespace"):
        raise ConfigError(
            f"{here}: 'assume' entry {kind} {entry['name']} has a namespace, but {kind} is cluster-scoped"
        )


def _severity(value: Any, where: Where, at: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{at}: 'severity' must map property codes to {', '.join(LEVELS)}")
    for token, level in value.items():
        here = where(("severity", str(token)))
        for e in registry.unknown([str(token)]):
            raise ConfigError(f"{here}: 'severity': {e}")
        if level not in LEVELS:
            raise ConfigError(f"{here}: 'severity' of {token} must be one of {', '.join(LEVELS)}, not {_short(level)}")
    return registry.per_code({str(k): v for k, v in value.items()})


def exclusion_glob(pattern: str) -> Glob | None:
    """A gitignore-like exclude pattern compiled (no ``/`` → any depth); None for an empty one."""
    g = pattern.strip().rstrip("/")
    if not g:
        return None
    return compile_glob(g.lstrip("/") if "/" in g else "**/" + g)


@dataclass
class Excluder:
    """Path globs (gitignore-like: no ``/`` → any depth; a match on a directory covers its files)."""

    patterns: list[tuple[Path, Glob]] = field(default_factory=list)

    def add(self, globs: Iterable[str], base: Path) -> None:
        """Add patterns relative to ``base``; a bad pattern is a usage error."""
        for g in globs:
            try:
                compiled = exclusion_glob(g)
            except GlobError as exc:
                raise UsageError(f"exclude pattern {g!r}: {exc}") from None
            if compiled is not None:
                self.patterns.append((base.resolve(), compiled))

    def excluded(self, file: str) -> bool:
        if file == "-" or not self.patterns:
            return False
        path = Path(os.path.abspath(file))
        for base, glob in self.patterns:
            try:
                rel = path.relative_to(base)
            except ValueError:
                continue
            if glob.matches_prefix(rel.parts):
                return True
        return False
