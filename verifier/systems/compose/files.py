"""Which compose files docker compose merges, read with compose-go's ``!reset``/``!override`` tags.

Without ``-f``, ``docker compose`` takes the project folder's ``COMPOSE_FILE`` (from the environment or the
folder's ``.env``; paths split on ``COMPOSE_PATH_SEPARATOR``, default ``:``), else the first of
``compose.yaml``, ``compose.yml``, ``docker-compose.yml``, ``docker-compose.yaml`` followed by the first of
``compose.override.yml``, ``compose.override.yaml``, ``docker-compose.override.yml``,
``docker-compose.override.yaml`` (compose-go ``cli/options.go``: ``WithConfigFileEnv``,
``WithDefaultConfigPath``, ``DefaultFileNames``, ``DefaultOverrideFileNames``; docker/compose
``cmd/compose/compose.go`` applies ``WithDotEnv`` first). cnverify merges those sets; every other compose file
stands alone.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import yaml
from cnverify.errors import InputError, Span
from cnverify.kubeyaml import PLAIN, STR
from cnverify.source import Document, compose
from cnverify.systems import run_option
from cnverify.systems.compose.merge import OVERRIDE, RESET

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)
_MAP, _NULL = "tag:yaml.org,2002:map", "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class MergeSet:
    """The files docker compose merges, in order, and what chose them (a chain step)."""

    files: tuple[str, ...]
    why: str
    folder: str  # the project folder (its name is the default project name)
    at: Span | None = None  # the COMPOSE_FILE line, when that chose them


def merge_set(file: str) -> MergeSet | None:
    """The merge set ``file`` belongs to (with at least two files), or None when it stands alone: one the user
    names (``--compose-files``, ``compose-files`` in the configuration), else what docker compose would read."""
    norm = os.path.normpath(file)
    for named in run_option("compose_files", ()) or ():
        files = tuple(os.path.normpath(f) for f in named)
        if norm in files:
            why = f"merged as docker compose -f {' -f '.join(files)} (compose-files)"
            return MergeSet(files, why, os.path.dirname(files[0]))
    folder = os.path.dirname(file)
    chosen = _env_files(folder)
    if chosen is None:
        base = _first(folder, DEFAULT_FILES)
        over = _first(folder, OVERRIDE_FILES) if base else None
        if base is None or over is None:
            return None
        why = f"docker compose run in {folder or '.'} merges {_name(over)} into {_name(base)}"
        chosen = MergeSet((base, over), why, folder)
    return chosen if len(chosen.files) > 1 and norm in map(os.path.normpath, chosen.files) else None


def _name(path: str) -> str:
    return os.path.basename(path)


def _first(folder: str, names: tuple[str, ...]) -> str | None:
    return next((os.path.join(folder, n) for n in names if os.path.isfile(os.path.join(folder, n))), None)


def _env_files(folder: str) -> MergeSet | None:
    """``COMPOSE_FILE`` of the folder's ``.env`` (the files relative to the folder), or None."""
    env = os.path.join(folder, ".env")
    if not os.path.isfile(env):
        return None
    values: dict[str, tuple[str, int]] = {}
    for n, text_line in enumerate(_text(env, stamp(env)).splitlines(), 1):
        key, eq, value = text_line.strip().removeprefix("export ").partition("=")
        if eq and key.strip() in ("COMPOSE_FILE", "COMPOSE_PATH_SEPARATOR"):
            values[key.strip()] = (value.strip().strip("'\""), n)
    if "COMPOSE_FILE" not in values:
        return None
    text, line = values["COMPOSE_FILE"]
    sep = values.get("COMPOSE_PATH_SEPARATOR", (os.pathsep, 0))[0] or os.pathsep
    files = tuple(os.path.normpath(os.path.join(folder, f)) for f in text.split(sep) if f)
    why = f"COMPOSE_FILE in {env} names {', '.join(map(_name, files))} (unless the environment sets it)"
    return MergeSet(files, why, folder, Span(env, line, 1))


def documents(file: str) -> list[Document | InputError]:
    """``file``'s documents with ``!reset``/``!override`` marked for :mod:`merge` (cached by path and stamp)."""
    return _documents(file, stamp(file))


def stamp(file: str) -> tuple[int, int]:
    try:
        st = os.stat(file)
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=256)
def _text(file: str, stamp: tuple[int, int]) -> str:
    from cnverify.loader import _read  # the loader's size-capped, regular-file-only read

    _, text, _ = _read(file, None)
    return text or ""


@functools.lru_cache(maxsize=64)
def _documents(file: str, stamp: tuple[int, int]) -> list[Document | InputError]:
    from cnverify.loader import _read

    name, text, err = _read(file, None)
    if err is not None or text is None:
        return [err or InputError(Span(file, 1, 1), "cannot read file")]
    return list(compose(text, name, transform=_mark_tags))


def _mark_tags(node: yaml.Node) -> yaml.Node:
    """``!reset x`` → ``{RESET: null}``; ``!override`` on a mapping adds the key OVERRIDE, on a sequence the
    item OVERRIDE (children keep their paths), on a scalar wraps it as ``{OVERRIDE: x}``."""
    stack = [node]
    seen: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.MappingNode):
            n.value = [(k, _marked(v)) for k, v in n.value]
            stack.extend(v for _, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            n.value = [_marked(v) for v in n.value]
            stack.extend(n.value)
    return _marked(node)


def _marked(n: yaml.Node) -> yaml.Node:
    def scalar(value: str, tag: str = STR) -> yaml.ScalarNode:
        return yaml.ScalarNode(tag, value, n.start_mark, n.end_mark)

    if n.tag == "!reset":
        return yaml.MappingNode(_MAP, [(scalar(RESET), scalar("null", _NULL))], n.start_mark, n.end_mark)
    if n.tag != "!override":
        return n
    if isinstance(n, yaml.MappingNode):
        return yaml.MappingNode(_MAP, [*n.value, (scalar(OVERRIDE), scalar("null", _NULL))], n.start_mark, n.end_mark)
    if isinstance(n, yaml.SequenceNode):
        return yaml.SequenceNode("tag:yaml.org,2002:seq", [*n.value, scalar(OVERRIDE)], n.start_mark, n.end_mark)
    inner = scalar(n.value, STR if getattr(n, "style", None) else PLAIN)  # resolved as the untagged scalar would be
    return yaml.MappingNode(_MAP, [(scalar(OVERRIDE), inner)], n.start_mark, n.end_mark)
