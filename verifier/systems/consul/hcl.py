"""Consul config entries written in HCL v1 (``consul config write entry.hcl``), with a span for every field.

The syntax is checked by pyhcl (the HCL v1 grammar Consul's ``github.com/hashicorp/hcl`` reads); the value is
then built from pyhcl's own tokens, which carry line numbers, by a small walk that also records where each field
sits. The walk builds the value as Go's HCL v1 does where pyhcl differs: a block repeated in one body
(``Routes { … } Routes { … }``) is a list of objects (pyhcl keeps only the last one).
Only a file whose top-level ``Kind``/``kind`` names a config-entry kind is Consul's: any other HCL (Terraform,
Nomad, Packer) is left alone, not an error.
"""

from __future__ import annotations

import re
from typing import Any

import hcl  # type: ignore[import-untyped]
import hcl.lexer  # type: ignore[import-untyped]
from cnverify.errors import InputError, Span
from cnverify.source import Document, Path

CONFIG_ENTRY_KINDS = frozenset(
    {
        "service-defaults",
        "proxy-defaults",
        "service-router",
        "service-splitter",
        "service-resolver",
        "ingress-gateway",
        "terminating-gateway",
        "service-intentions",
        "mesh",
        "exported-services",
        "sameness-group",
        "api-gateway",
        "bound-api-gateway",
        "inline-certificate",
        "file-system-certificate",
        "http-route",
        "tcp-route",
        "jwt-provider",
        "control-plane-request-limit",
        "rate-limit-ip-config",
    }
)
"""Consul's config-entry kinds (agent/structs/config_entry.go ``AllConfigEntryKinds`` and the Enterprise ones)."""
KIND_LINE = re.compile(r'^"?[Kk]ind"?\s*=\s*"([a-z-]+)"', re.M)  # a top-level Kind, at the start of a line
LINE_COL = re.compile(r"Line (\d+), column (\d+)")
OPEN = {"LEFTBRACE": "RIGHTBRACE", "LEFTBRACKET": "RIGHTBRACKET"}


NOT_CONSUL = "HCL that is not a Consul config entry (no top-level Kind of a config-entry kind)"


def read(text: str, name: str) -> list[Document | InputError] | str:
    """The file's one document, its located syntax error, or why it is not read (a str: not a config entry).

    A file that does not parse is taken as a broken config entry only when a line starts with a config-entry
    ``Kind = "…"``; other unparsable files are someone else's HCL (HCL 2 for Terraform is not HCL v1).
    """
    try:
        parsed = hcl.loads(text)
    except Exception as exc:  # pyhcl raises ValueError with "Line N, column M" for every syntax error
        if not any(k in CONFIG_ENTRY_KINDS for k in KIND_LINE.findall(text)):
            return NOT_CONSUL
        found = LINE_COL.search(str(exc))
        at = Span(name, int(found[1]), int(found[2])) if found else Span(name, 1, 1)
        return [InputError(at, f"HCL syntax error: {exc}; this Consul config entry is not verified")]
    kind = parsed.get("Kind", parsed.get("kind")) if isinstance(parsed, dict) else None
    if kind not in CONFIG_ENTRY_KINDS:
        return NOT_CONSUL
    walk = _Walk(text, name)
    data = walk.body(None, ())
    walk.spans[()] = Span(name, 1, 1)
    return [Document(name, 0, data, walk.spans)]


class _Walk:
    """Builds the value and the span of every path from pyhcl's token stream (already known to parse)."""

    def __init__(self, text: str, name: str) -> None:
        lexer = hcl.lexer.Lexer()
        lexer.input(text)
        self.tokens = list(iter(lexer.token, None))
        self.i = 0
        self.text, self.name = text, name
        self.spans: dict[Path, Span] = {}

    def _span(self, tok: Any) -> Span:
        col = tok.lexpos - self.text.rfind("\n", 0, tok.lexpos)
        return Span(self.name, tok.lineno, max(col, 1))

    def _next(self) -> Any:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def _peek(self) -> str | None:
        return self.tokens[self.i].type if self.i < len(self.tokens) else None

    def body(self, close: str | None, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        blocks: dict[str, int] = {}
        while self._peek() not in (close, None):
            if self._peek() == "COMMA":
                self._next()
                continue
            first = self._next()
            keys = [first]
            while self._peek() in ("IDENTIFIER", "STRING"):
                keys.append(self._next())
            key = str(first.value)
            if self._peek() == "EQUAL":
                self._next()
                self.spans[path + (key,)] = self._span(first)
                out[key] = self.value(path + (key,))
                continue
            self._next()  # "{": a block, possibly with labels
            n = blocks.get(key, 0)
            blocks[key] = n + 1
            if n == 1:  # a repeated block: the key becomes a list of the blocks
                out[key] = [out[key]]
                self._relist(path + (key,))
            where = path + (key, n) if n else path + (key,)
            self.spans[where] = self._span(first)
            inner = where
            for label in keys[1:]:
                inner = inner + (str(label.value),)
                self.spans[inner] = self._span(label)
            value: Any = self.body("RIGHTBRACE", inner)
            self._next()  # "}"
            for label in reversed(keys[1:]):
                value = {str(label.value): value}
            if n:
                out[key].append(value)
            else:
                out[key] = value
        return out

    def _relist(self, path: Path) -> None:
        """The spans recorded under ``path`` move under ``path + (0,)``."""
        for p in [p for p in self.spans if p[: len(path)] == path]:
            self.spans[path + (0,) + p[len(path) :]] = self.spans.pop(p)

    def value(self, path: Path) -> Any:
        tok = self._next()
        if tok.type == "LEFTBRACE":
            obj = self.body("RIGHTBRACE", path)
            self._next()
            return obj
        if tok.type == "LEFTBRACKET":
            items: list[Any] = []
            while self._peek() != "RIGHTBRACKET":
                if self._peek() == "COMMA":
                    self._next()
                    continue
                self.spans[path + (len(items),)] = self._span(self.tokens[self.i])
                items.append(self.value(path + (len(items),)))
            self._next()
            return items
        if tok.type == "MINUS":
            return -self._next().value
        return tok.value
