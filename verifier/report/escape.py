"""Escaping for the two families of output people read in CI: job logs and Markdown comments.

*Logs* (text, JUnit, GitHub): the Actions runner treats a line that starts with ``::`` (after
leading whitespace) as a workflow command, and ``##[`` as a legacy one — a file or object name
must never forge ``::error`` or ``::add-mask::``.  Every value taken from the inputs goes through
:func:`log_text` (control characters shown as escapes, so it cannot start a new line), and every
finished line through :func:`no_commands`.

*Markdown* (PR comments of ``prove`` and ``diff``): values go through :func:`md` (HTML, emphasis,
links, headings, tables, @mentions and #references neutralised) or :func:`code` (an inline code
span whose fence outlasts any backtick run), and a comment is cut at GitHub's limit by :func:`cut`.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_COMMAND = re.compile(r"^(\s*(?:\x1b\[[0-9;]*m\s*)*):(?=:)", re.M)
_LEGACY = re.compile(r"##(?=\[)")
ZWNJ = "\u200c"  # not whitespace for the runner's TrimStart, invisible to a reader

COMMENT_LIMIT = 65_536  # characters GitHub accepts in one issue or pull-request comment


def _escaped(m: re.Match[str]) -> str:
    c = m.group(0)
    return {"\n": "\\n", "\r": "\\r"}.get(c, f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def log_text(value: object) -> str:
    """A value from the inputs as one line of log text (tabs kept, other control characters escaped)."""
    return _CONTROL.sub(_escaped, str(value))


def no_commands(text: str) -> str:
    """``text`` with no line the Actions runner would read as a workflow command."""
    if "::" in text:  # what every ``_COMMAND`` match holds (a plain search first: the multi-line ``^`` is slow)
        text = _COMMAND.sub(lambda m: m.group(1) + ":" + ZWNJ, text)
    return _LEGACY.sub("#" + ZWNJ + "#", text) if "##[" in text else text


def json_text(text: str) -> str:
    """JSON text a log can show: ``##[`` inside strings written ``##\\u005b`` (the same JSON value)."""
    if "#" not in text:  # one character is sought by memchr: ~10x faster than the replace's own search
        return text
    return text.replace("##[", "##\\u005b")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~!])")
_AUTOLINK = re.compile(r"(?<=:)//|(?<=\bwww)\.", re.I)


def md(value: object) -> str:
    """A value as inert inline Markdown: no HTML, emphasis, links, images, headings, tables, mentions
    (``@team``), references (``#12``), autolinks (``https://``, ``www.``) or line breaks."""
    text = _MD_SPECIAL.sub(r"\\\1", log_text(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;")
    return _AUTOLINK.sub(lambda m: "\\" + "\\".join(m.group(0)), text)


def code(value: object, cell: bool = False) -> str:
    """``value`` as an inline code span (one line; the fence is longer than any backtick run in it).

    ``cell``: the span sits in a table cell, where GFM splits cells at ``|`` even inside code."""
    text = log_text(value).replace("|", "\\|") if cell else log_text(value)
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def cut(text: str, limit: int = COMMENT_LIMIT - 1_536) -> str:
    """``text``, or its first lines up to ``limit`` characters and a note saying where the rest is."""
    if len(text) <= limit:
        return text
    head = text[:limit].rsplit("\n", 1)[0]
    if head.count("```") % 2:
        head += "\n```"  # close an open code block so the note is not swallowed by it
    return (
        f"{head}\n\n… cut at {len(head):,} of {len(text):,} characters (a comment's limit); "
        f"the job log, `--format json` or the SARIF report have everything.\n"
    )
