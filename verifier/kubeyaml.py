"""Scalars and keys as kubectl sees them: go-yaml v2 resolution, then the JSON round trip.

kubectl reads YAML with ``sigs.k8s.io/yaml`` (``go.yaml.in/yaml/v2`` ``Unmarshal`` into ``interface{}``,
``convertToJSONableObject``, ``json.Marshal``), and the API server decodes that JSON (integers → int64,
other numbers → float64).  This module reproduces that chain for one scalar; the sources it follows are
go-yaml v2 ``resolve.go`` and ``decode.go`` (``d.scalar``: timestamps stay strings in ``interface{}``) and
sigs.k8s.io/yaml ``yaml.go`` (map keys → strings; ``+Inf``/``NaN`` fail ``json.Marshal``).

The loader's resolver tags every plain (unquoted, untagged) scalar ``PLAIN`` so that resolution happens
here, once, with YAML 1.1 booleans (``y``/``on``/``no``...), Go integer syntax (``0x1F``, ``0o12``, ``012``,
``0b101``, ``1_000``) and PyYAML's other readings (``=``, base-60 ``1:30``, timestamps) replaced by go-yaml's.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import operator
import re
import struct
from dataclasses import dataclass
from typing import Any

import yaml

PLAIN = "cnverify:plain"  # tag of an untagged plain scalar: resolved by go-yaml's rules below
_P = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, BINARY = (
    _P + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")
)
MERGE = _P + "merge"
SEQ, MAP = _P + "seq", _P + "map"
_SCALAR_NODE, _SEQUENCE_NODE = yaml.ScalarNode, yaml.SequenceNode

_Base: Any
_Parser: Any
try:  # libyaml's parser; resolution below replaces PyYAML's YAML 1.1 resolver
    from yaml.cyaml import CBaseLoader as _Base
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - libyaml missing
    _Base = _Parser = yaml.BaseLoader


class KubeLoader(_Base):
    """The C parser and composer with a resolver that leaves plain scalars to :func:`scalar_value`."""

    # libyaml's composer calls these around every node; with no path resolvers (none is ever added to this
    # loader) PyYAML's own do nothing, so C callables of the same arity whose result is ignored stand in.
    descend_resolver = operator.is_  # (parent, index)
    ascend_resolver = tuple  # ()

    def __init__(self, stream: str) -> None:  # the parser alone: nothing here constructs or resolves by path
        _Parser.__init__(self, stream)

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is _SCALAR_NODE:
            return PLAIN if implicit[0] else STR
        return SEQ if kind is _SEQUENCE_NODE else MAP


class NotKubeYaml(ValueError):
    """A scalar kubectl cannot convert (the message says why, as kubectl would)."""


_WORDS: dict[str, tuple[str, Any]] = {}
for _value, _tag, _words in (
    (True, BOOL, "y Y yes Yes YES true True TRUE on On ON"),
    (False, BOOL, "n N no No NO false False FALSE off Off OFF"),
    (None, NULL, "~ null Null NULL"),
    (math.nan, FLOAT, ".nan .NaN .NAN"),
    (math.inf, FLOAT, ".inf .Inf .INF +.inf +.Inf +.INF"),
    (-math.inf, FLOAT, "-.inf -.Inf -.INF"),
):
    _WORDS.update({w: (_tag, _value) for w in _words.split()})
_WORDS[""] = (NULL, None)
_WORDS["<<"] = (MERGE, "<<")
_HINT_WORDS = set("yYnNtTfFoO~")
_GO_INT = re.compile(r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0[oO]([0-7]+)|0([0-7]*)|([1-9][0-9]*))")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+(?:_[0-9]+)*)?")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:[Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
INT64 = 2**63
UINT64 = 2**64


def _go_int(plain: str) -> int | None:
    """``strconv.ParseInt(s, 0, 64)``, else ``ParseUint(s, 0, 64)``; None when neither accepts ``plain``."""
    if len(plain) > 70:  # longer than any 64-bit literal (and past Python's int-from-str limit)
        return None
    m = _GO_INT.fullmatch(plain)
    if not m:
        return None
    sign, hx, bn, oc, octal, dec = m.groups()
    if hx:
        v = int(hx, 16)
    elif bn:
        v = int(bn, 2)
    elif oc:
        v = int(oc, 8)
    elif dec:
        v = int(dec)
    else:
        v = int(octal or "0", 8)
    v = -v if sign == "-" else v
    if -INT64 <= v < INT64 or (sign == "" and 0 <= v < UINT64):
        return v
    return None


def go_resolve(text: str) -> tuple[str, Any]:
    """go-yaml v2 ``resolve("", text)`` for a plain scalar: ``(tag, value)``."""
    if text in _WORDS:
        return _WORDS[text]
    first = text[0]
    if first == ".":
        if _DOT_FLOAT.fullmatch(text):
            return FLOAT, float(text.replace("_", ""))
    elif first.isdigit() and first.isascii() or first in "+-":
        if _TIMESTAMP.fullmatch(text):
            return TIMESTAMP, text
        plain = text.replace("_", "")
        as_int = _go_int(plain)
        if as_int is not None:
            return INT, as_int
        if _YAML_FLOAT.fullmatch(plain):
            f = float(plain)
            if not math.isinf(f):  # Go: out of range is an error, and the scalar stays a string
                return FLOAT, f
    return STR, text


_RESOLVABLE_START = frozenset(".+-0123456789")  # first characters go_resolve may read as a number or timestamp
WORDS, RESOLVABLE_START = _WORDS, _RESOLVABLE_START  # for the converter's inlined :func:`stays_text`


def stays_text(tag: str, text: str) -> bool:
    """Whether :func:`scalar_value` and :func:`key_value` give ``text`` itself: a ``!!str`` (quoted) scalar,
    or a plain one no rule of :func:`go_resolve` reads (not a word, nor starting like a number); the fast
    path of converting a document."""
    return tag == STR or (tag == PLAIN and text != "" and text[0] not in _RESOLVABLE_START and text not in _WORDS)


def json_number(value: int | float) -> int | float:
    """A Go number after ``json.Marshal`` and the API server's decoding (int64 when the text is integral)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotKubeYaml(f"{_go_float(value)} is not representable in JSON (kubectl: json: unsupported value)")
        if value.is_integer() and abs(value) < 1e21 and -INT64 <= value < INT64:
            return int(value)  # json.Marshal writes it without a fraction: "5", "1000"
        return value
    return value if -INT64 <= value < INT64 else float(value)


def scalar_value(tag: str, text: str) -> Any:
    """The JSON value kubectl produces for a scalar with this tag (``PLAIN`` = untagged plain)."""
    rtag: str
    value: Any
    if tag == STR:
        return text
    if tag == PLAIN:
        rtag, value = go_resolve(text) if text else (NULL, None)
    elif tag in (INT, FLOAT, BOOL, NULL, TIMESTAMP):
        rtag, value = go_resolve(text) if text else (NULL, None)
        if rtag == STR and tag == TIMESTAMP and _TIMESTAMP.fullmatch(text):
            rtag = TIMESTAMP
        if tag == FLOAT and rtag == INT:
            rtag, value = FLOAT, float(value)
        if rtag != tag:
            raise NotKubeYaml(f"cannot decode {_short(rtag)} `{text}` as a {_short(tag)} (go-yaml)")
    elif tag == BINARY:
        try:
            return base64.b64decode(text.replace("\n", "").replace(" ", ""), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise NotKubeYaml("!!binary value contains invalid base64 data") from None
    else:  # another tag (!Ref, !!python/..., a local tag): go-yaml keeps the text
        return text
    if rtag in (TIMESTAMP, MERGE):
        return text  # decoded into interface{}, a timestamp stays the string as written
    if rtag in (INT, FLOAT):
        return json_number(value)
    return value


def key_string(value: Any) -> str:
    """A resolved mapping key as ``convertToJSONableObject`` turns it into a JSON key."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and -INT64 <= value < INT64:
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    raise NotKubeYaml(f"unsupported map key {value!r} (kubectl cannot convert it to a JSON key)")


def key_value(tag: str, text: str) -> Any:
    """A key's value before the JSON conversion (numbers not yet passed through JSON)."""
    if tag == PLAIN and text:
        rtag, value = go_resolve(text)
        return text if rtag in (TIMESTAMP, MERGE) else value
    return scalar_value(tag, text)


def _go_float(f: float) -> str:
    """``strconv.FormatFloat(f, 'g', -1, 32)`` with go-yaml's spelling of the specials."""
    if math.isnan(f):
        return ".nan"
    try:
        f32 = struct.unpack("f", struct.pack("f", f))[0]
    except OverflowError:
        f32 = math.copysign(math.inf, f)
    if math.isinf(f32):
        return ".inf" if f32 > 0 else "-.inf"
    for prec in range(1, 10):  # the shortest digits that read back as the same float32
        e_form = f"{f32:.{prec - 1}e}"
        if struct.unpack("f", struct.pack("f", float(e_form)))[0] == f32:
            break
    exp = e_form.split("e")[1]
    if int(exp) < -4 or int(exp) >= 6:
        return e_form
    return f"{float(e_form):.{max(prec - 1 - int(exp), 0)}f}"


def _short(tag: str) -> str:
    return "!!" + tag[len(_P) :] if tag.startswith(_P) else tag


_FLOW_END = set(",?[]{}")
_BLANK = set(" \t\r\n\x85\u2028\u2029")


def quote_flow_colon_scalar(text: str, exc: yaml.MarkedYAMLError) -> str | None:
    """``text`` with the plain scalar libyaml refused quoted, when go-yaml would read it; else None.

    libyaml stops at ``:`` followed by a flow indicator inside ``[...]``/``{...}`` ("found unexpected ':'");
    go-yaml v2 (``yaml_parser_scan_plain_scalar``) ends a plain scalar only at a blank, at ``:`` + blank, or
    at ``,?[]{}``, so ``[1.2.3.4, 2001:db8::]`` holds the string ``2001:db8::``.  A string either way
    (a scalar with ``:`` resolves to no number), so single-quoting it keeps its value.  The quotes
    replace the blank before it after ``,``/``[``/``{``, so the columns after it stay exact.
    """
    start_mark = exc.context_mark
    if exc.problem != "found unexpected ':'" or start_mark is None:
        return None
    lines = text.split("\n", start_mark.line)
    if len(lines) <= start_mark.line:
        return None
    start = len(text) - len(lines[-1]) + start_mark.column
    end = start
    while (
        end < len(text)
        and text[end] not in _BLANK
        and text[end] not in _FLOW_END
        and not (text[end] == ":" and (end + 1 == len(text) or text[end + 1] in _BLANK))
    ):
        end += 1
    scalar = text[start:end]
    if ":" not in scalar or "'" in scalar or end == start:
        return None
    if start > 1 and text[start - 1] == " " and text[start - 2] in ",[{ ":
        return text[: start - 1] + "'" + scalar + "'" + text[end:]
    return text[:start] + "'" + scalar + "'" + text[end:]


def json_stream(text: str) -> list[tuple[int, int, int, int]] | None:
    """``(start, end, line, column)`` (0-based) of each value when ``text`` is a stream of two or more JSON
    objects (``{..}{..}``), as kubectl's ``NewYAMLOrJSONDecoder`` reads text starting with ``{``; else None."""
    start = len(text) - len(text.lstrip())
    if not text.startswith("{", start):
        return None
    decoder = json.JSONDecoder(parse_int=len, parse_float=len, parse_constant=len)  # only the extent matters
    parts: list[tuple[int, int, int, int]] = []
    line, counted, last_newline, pos = 0, 0, -1, start
    while pos < len(text):
        try:
            _, end = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            return None  # not JSON after all: the YAML parser reports where
        line += text.count("\n", counted, pos)
        last_newline = max(last_newline, text.rfind("\n", counted, pos))
        counted = pos
        parts.append((pos, end, line, pos - last_newline - 1))
        pos = end
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
    return parts if len(parts) > 1 else None


# kubectl splits documents at lines starting with '---' before parsing (apimachinery ``YAMLReader``) and
# refuses anything but spaces or a comment after it ("invalid Yaml document separator").
_SEPARATOR = re.compile(r"^---[ \t]*(?:#.*)?\r?$", re.M)
_BAD_SEPARATOR = re.compile(r"^---[ \t]*[^ \t\r\n#]", re.M)
_BAD_DASHES = re.compile(r"---[ \t]*[^ \t\r\n#]")  # the same without '^': a literal prefix the engine seeks fast


@dataclass(frozen=True)
class BadSeparator:
    cut: int  # where the documents kubectl reads end: the last good separator before the bad one
    line: int  # 1-based line of the bad separator
    message: str


def first_bad_separator(text: str) -> re.Match[str] | None:
    """``_BAD_SEPARATOR.search(text)``: the first match of the pattern without '^' that starts a line (a match
    holds no line break, so one that starts inside a line never hides the next line's)."""
    for match in _BAD_DASHES.finditer(text):
        start = match.start()
        if start == 0 or text[start - 1] == "\n":
            return match
    return None


def bad_separator(text: str) -> BadSeparator | None:
    """The first ``---`` line kubectl refuses (``---apiVersion: v1`` from a template that ate the line
    break, ``--- {a: 1}``), or None.  The document it interrupts is not read, as kubectl does not."""
    bad = first_bad_separator(text)
    if bad is None:
        return None
    cut = max((m.start() for m in _SEPARATOR.finditer(text, 0, bad.start())), default=0)
    found = text[bad.start() :].split("\n", 1)[0].strip()[:40]
    return BadSeparator(
        cut,
        text.count("\n", 0, bad.start()) + 1,
        f"invalid YAML document separator {found!r}: kubectl accepts only spaces or a comment "
        "after '---' (a template ate the line break?)",
    )
