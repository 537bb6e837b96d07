"""The JSON report of OUTPUT.md.

Compact by default (``json.dumps`` takes its C encoder only without ``indent``: 2.9 s → 0.6 s on
10k objects); ``RenderOptions.pretty`` (``--pretty``) indents by two spaces.  Both are the same JSON
value.  The cyclic garbage collector is paused while the report's dicts are built and encoded.

The compact layout is also made in pieces (:func:`chunks`): the results are encoded a batch at a time,
so a large report is never one tree of dicts nor one string (the CLI writes the pieces as they come).
A result's JSON is the one its unit's verification rendered (``Finding.render``: in the worker under
``--jobs``), with the ``baseline`` and ``units`` members the run added since.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from cnverify.proof import Report, compact
from cnverify.report import RenderOptions
from cnverify.report.escape import json_text
from cnverify.source import paused_gc, printable

FORMAT = "json"
BATCH = 256  # results encoded per json.dumps call


def dumps(value: Any, pretty: bool) -> str:
    """``value`` as JSON text a log can show, compact or indented, with a final newline."""
    if pretty:
        return json_text(json.dumps(value, indent=2, ensure_ascii=False)) + "\n"
    return json_text(compact(value)) + "\n"


def render(report: Report, options: RenderOptions) -> str:
    return "".join(chunks(report, options))


def chunks(report: Report, options: RenderOptions) -> Iterator[str]:
    """``render``'s text in pieces (their concatenation is the same bytes): the compact layout is the
    report object written member by member with ``results`` a batch at a time, exactly as the encoder
    writes one value (``{"key":value,...}``, no spaces); ``json_text`` applies piece by piece because
    every piece is whole JSON tokens (``##[`` lies inside one string)."""
    with paused_gc():
        if options.pretty:
            yield dumps(report.to_json(), True)
            return
        head = dataclasses.replace(report, results=[]).to_json()
        head["summary"] = report.summary()
        results = report.results
        for n, (key, value) in enumerate(head.items()):
            member = f"{',' if n else '{'}{compact(key)}:"
            if key != "results":
                yield json_text(member + compact(value))
                continue
            yield member + "["
            for i in range(0, len(results), BATCH):
                parts: list[str] = []
                for f in results[i : i + BATCH]:  # each rendered where it was verified
                    if parts or i:
                        parts.append(",")
                    f.json_parts(parts)
                yield json_text("".join(parts))
            yield "]"
        yield "}\n"


def utf8_chunks(report: Report, options: RenderOptions) -> Iterator[bytes]:
    """:func:`chunks` as the UTF-8 bytes a UTF-8 stdout gets for ``printable(piece)``, each piece encoded
    once (not checked by ``printable``, then encoded by the stream; and JSON holds no ANSI escape for
    ``click.echo`` to strip: the encoder writes control characters as ``\\u`` escapes)."""
    for piece in chunks(report, options):
        try:
            yield piece.encode()
        except UnicodeEncodeError:  # undecodable bytes of a file name (surrogate escapes), shown as \xff
            yield printable(piece).encode()
