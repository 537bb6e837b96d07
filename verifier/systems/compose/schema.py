"""The compose-spec JSON schema, checked as compose-go checks it (``loader/loader.go``: ``schema.Validate`` on
the merged model after each file).

``compose-spec.json`` is compose-spec/compose-spec ``schema/compose-spec.json`` at ``170098ba`` (Apache-2.0,
Copyright The Compose Specification Authors). compose-go validates after interpolation (``${VAR}`` replaced and
cast); cnverify does not know the environment, so an error about a value that holds a ``$`` is not reported (the
environment decides it). Values are read as kubectl reads YAML (``no``/``on`` are booleans there, strings for
compose-go's YAML 1.2 reader), so an error about a value holding a boolean is not reported either: only what
both readings reject is an error.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import TYPE_CHECKING, Any

from cnverify.errors import InputError
from cnverify.source import Document, Path, format_path

if TYPE_CHECKING:  # imported where a compose file is validated: jsonschema costs ~30 ms to import
    import jsonschema


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    import jsonschema

    schema = json.loads(resources.files(__package__).joinpath("compose-spec.json").read_text())
    return jsonschema.Draft7Validator(schema)


def errors(doc: Document, value: dict[str, Any]) -> tuple[list[InputError], set[str] | None]:
    """compose-spec violations of ``value`` (the merged model), each at the span of the field it is about, and
    the services they are in (None: an error outside the services, which rejects them all)."""
    out: list[InputError] = []
    rejected: set[str] | None = set()
    for e in sorted(_validator().iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path]):
        if e.validator not in ("additionalProperties", "required") and _unsure(e.instance):
            continue
        path: Path = tuple(e.absolute_path)
        where = format_path(path) or "(top level)"
        if rejected is not None and len(path) >= 2 and path[0] == "services":
            rejected.add(str(path[1]))
        else:
            rejected = None
        extra = _extra_keys(e) if e.validator == "additionalProperties" else []
        for key in extra:  # compose-go: "Additional property x is not allowed", at the key
            out.append(
                InputError(doc.span(path + (key,)), f"{where}: additional property {key!r} is not allowed{_WHY}")
            )
        if not extra:
            out.append(InputError(doc.span(path), f"{where}: {e.message}{_WHY}"))
    return out, rejected


_WHY = " (compose-spec schema: docker compose rejects the file)"


def _extra_keys(e: jsonschema.ValidationError) -> list[str]:
    schema = e.schema if isinstance(e.schema, dict) else {}
    known, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    instance = e.instance if isinstance(e.instance, dict) else {}
    return [k for k in instance if k not in known and not any(re.search(p, str(k)) for p in patterns)]


def _unsure(instance: Any) -> bool:
    """A value the environment or the YAML reading may change (``${VAR}``, a plain ``yes``/``no``)."""
    return any(isinstance(v, bool) or isinstance(v, str) and "$" in v for v in _leaves(instance))


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value
