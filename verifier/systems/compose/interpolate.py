"""Compose interpolation (compose-spec ``12-interpolation.md``; compose-go ``template/template.go``).

``$VAR``/``${VAR}`` take the environment's value (unset: empty, with a warning), ``${VAR:-d}``/``${VAR-d}`` a
default when unset or empty / unset, ``${VAR:?e}``/``${VAR?e}`` fail, ``${VAR:+a}``/``${VAR+a}`` an alternative
when set, ``$$`` is a literal ``$``; a ``$`` followed by neither a name nor ``{`` stays as written. A value that
refers to a variable depends on the environment ``docker compose`` runs in: cnverify reports what it would be
with every default, never a verdict that rests on one environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = r"[_a-zA-Z][_a-zA-Z0-9]*"
_REF = re.compile(r"\$(?:(\$)|(" + _NAME + r")|\{(" + _NAME + r")(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\})")


@dataclass(frozen=True)
class Value:
    """A compose value after interpolation: ``text`` when it does not depend on the environment."""

    text: str | None
    variables: tuple[str, ...] = ()
    with_defaults: str | None = None  # the value when every variable is unset (None: some has no default)

    @property
    def why(self) -> str:
        names = ", ".join(self.variables)
        given = f"; with every variable unset it is {self.with_defaults!r}" if self.with_defaults is not None else ""
        return f"its value comes from the environment ({names}){given}"


def interpolate(raw: object) -> Value:
    """Interpolate one scalar as Compose does (non-strings are returned as their text)."""
    if not isinstance(raw, str):
        return Value(str(raw))
    names: list[str] = []
    unset_ok = True

    def unset(m: re.Match[str]) -> str:
        nonlocal unset_ok
        if m.group(1):
            return "$"
        name = m.group(2) or m.group(3)
        names.append(name)
        op, arg = m.group(4), m.group(5) or ""
        if op in (":-", "-"):
            inner = interpolate(arg)
            names.extend(inner.variables)
            return inner.text if inner.text is not None else inner.with_defaults or ""
        if op in (":?", "?"):
            unset_ok = False  # docker compose stops with the message
        return ""  # unset: empty (with a warning); ``:+``/``+`` alternatives apply only when set

    text = _REF.sub(unset, raw)
    if not names:
        return Value(text)
    return Value(None, tuple(dict.fromkeys(names)), text if unset_ok else None)
