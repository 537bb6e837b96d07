"""Evidence and results: located steps, proof chains, findings and the run report."""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import json
import operator
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Literal

from cnverify.errors import INTERNAL_EXIT, InputError, InternalError, Span

Verdict = Literal["proved", "violated", "unknown"]
Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


def _installed_version() -> str:
    """The version in the package metadata (pyproject's, once installed); a source tree says so."""
    try:
        return metadata.version("cnverify")
    except metadata.PackageNotFoundError:
        return "0+unknown"


VERSION = _installed_version()


@dataclass(slots=True)
class Step:
    """One located step of a proof chain: a claim and where in the manifests it comes from."""

    claim: str
    location: Span | None = None
    locations: list[Span] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"claim": self.claim}
        if self.location is not None:
            out["location"] = self.location.to_json()
        if self.locations:
            out["locations"] = [s.to_json() for s in self.locations]
        return out

    def json_text(self) -> str:
        """``compact(self.to_json())``, put together from its parts (the encoder's own string quoting)."""
        return chain_json([self])

    def spans(self) -> list[Span]:
        return ([self.location] if self.location else []) + list(self.locations or [])

    def __reduce__(self) -> tuple[Any, ...]:  # pickled by its constructor: no per-field state calls
        return Step, (self.claim, self.location, self.locations)


@dataclass(slots=True)
class Finding:
    """One result: a property's verdict on one subject (and route / container / clause)."""

    property: str
    name: str
    status: Verdict
    severity: Severity
    subject: dict[str, Any]
    location: Span
    message: str
    chain: list[Step] = field(default_factory=list)
    witness: Any = None
    help: str = ""
    baseline: Literal["new", "unchanged"] | None = None  # set only when a run is compared to a baseline
    units: list[str] = field(default_factory=list)  # the deployment units it holds in (docs/UNITS.md)
    rendered: str | None = field(default=None, init=False, repr=False, compare=False)
    """The compact JSON of ``to_json`` up to ``fingerprint`` (:meth:`render`), made once where the finding
    is verified; ``dataclasses.replace`` drops it (a new finding is rendered anew)."""

    @builtins.property  # the field ``property`` shadows the builtin in the class body
    def fingerprint(self) -> str:
        """Stable across edits that do not touch the subject: property, subject identity, path."""
        return self.fingerprint_in(self.location.file)

    def fingerprint_in(self, file: str) -> str:
        """The fingerprint with ``file`` standing for the location's file (e.g. repository-relative)."""
        get = self.subject.get  # the key: each part's ``str``, joined by "|"
        key = f"{str(self.property)}|{str(get('kind'))}|{str(get('namespace'))}|{str(get('name'))}|{str(get('path', ''))}|{str(file)}"
        return _sha256(key.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        if self.chain is SLIM:
            raise RuntimeError(f"{self.property}: a slimmed finding has only its rendered JSON (Finding.slim)")
        return {
            "property": self.property,
            "name": self.name,
            "status": self.status,
            "severity": self.severity,
            "subject": self.subject,
            "location": self.location.to_json(),
            "message": self.message,
            "chain": [s.to_json() for s in self.chain],
            "witness": self.witness,
            "fingerprint": self.fingerprint,
            **({"baseline": self.baseline} if self.baseline else {}),
            **({"unit": self.units[0], "units": self.units} if self.units else {}),
        }

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its fields' values (the parts ``--jobs`` workers return: a third less to load)."""
        return _finding, _finding_state(self)

    def render(self, value: dict[str, Any] | None = None) -> str:
        """The compact JSON of ``to_json`` without the fields set after verifying (``baseline``, ``units``),
        from ``value`` (this finding's ``to_json()``) when given; remembered in ``rendered``.

        Its other fields are never changed in place once verified (a change is a ``replace``)."""
        if self.rendered is None:
            if value is None:
                self.rendered = self._head_text()
                return self.rendered
            head = value
            if self.baseline or self.units:
                head = {k: v for k, v in head.items() if k not in ("baseline", "unit", "units")}
            self.rendered = compact(head)
        return self.rendered

    def _head_text(self) -> str:
        """``compact`` of ``to_json`` without ``baseline`` and ``units``, put together from its members' texts
        (each the encoder's text of that member: the same bytes, without the members' dicts)."""
        prop, name, status, severity, message = self.property, self.name, self.status, self.severity, self.message
        if not (
            type(prop) is str
            and type(name) is str
            and type(status) is str
            and type(severity) is str
            and type(message) is str
        ):
            head = self.to_json()
            return compact({k: v for k, v in head.items() if k not in ("baseline", "unit", "units")})
        witness = "null" if self.witness is None else compact(self.witness)
        return (
            f'{{"property":{quote(prop)},"name":{quote(name)},"status":{quote(status)},"severity":{quote(severity)},'
            f'"subject":{compact(self.subject)},"location":{span_json(self.location)},"message":{quote(message)},'
            f'"chain":[{chain_json(self.chain)}],"witness":{witness},"fingerprint":"{self.fingerprint}"}}'
        )  # a fingerprint is hex digits: its JSON string needs no escapes

    def slim(self) -> None:
        """Drop the chain and witness once rendered: a run whose every report is compact JSON reads nothing
        else of them (``Options.json_only``), and a finding without them is a fifth of the objects to keep,
        collect and, from a ``--jobs`` worker, pickle.  ``to_json`` then refuses (``compact_json`` works)."""
        if self.rendered is not None:
            self.chain, self.witness = SLIM, None

    def compact_json(self) -> str:
        """``compact(self.to_json())``, from the rendered head: ``baseline`` and ``units`` are its last members."""
        parts: list[str] = []
        self.json_parts(parts)
        return "".join(parts)

    def json_parts(self, out: list[str]) -> None:
        """Append the pieces of :meth:`compact_json`'s text to ``out`` (the JSON writer joins a batch's pieces
        at once: no string per result made only to be copied)."""
        text = self.render()
        baseline, units = self.baseline, self.units
        if not (baseline or units):
            out.append(text)
            return
        out.append(text[:-1])
        if baseline:
            out.append(f',"baseline":{compact(baseline)}')
        if units:
            first = units[0]
            if len(units) == 1 and type(first) is str:  # the encoder's text of a list of strings (most results)
                unit = quote(first)
                out.append(f',"unit":{unit},"units":[{unit}]')
            elif all([type(u) is str for u in units]):
                out.append(f',"unit":{quote(first)},"units":[{",".join([quote(u) for u in units])}]')
            else:
                out.append(f',"unit":{compact(first)},"units":{compact(units)}')
        out.append("}")


class _Slim(list[Step]):
    """The chain of a slimmed finding (:meth:`Finding.slim`): one empty list, the same object after pickling."""

    def __reduce__(self) -> str:
        return "SLIM"


SLIM: list[Step] = _Slim()

FINDING_STATE = (*(f.name for f in dataclasses.fields(Finding) if f.init), "rendered")
"""Every field of a finding, in the order ``_finding`` takes them: the constructor's, then ``rendered``."""
_finding_state = operator.attrgetter(*FINDING_STATE)  # a finding's FINDING_STATE values, as one tuple


def _finding(*state: Any) -> Finding:
    f = Finding(*state[:-1])
    f.rendered = state[-1]
    return f


def compact(value: Any) -> str:
    """``value`` as compact JSON (the C encoder, no spaces, non-ASCII kept): the JSON report's layout."""
    return _COMPACT.encode(value) if isinstance(value, str) or _C_ENCODER is None else _c_encoded(value, _COMPACT_C)


def sorted_json(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, default=str)`` (keys sorted, ASCII, ``str`` of what JSON cannot
    hold), without the encoder ``json.dumps`` builds per call for those arguments."""
    return _SORTED.encode(value) if isinstance(value, str) or _C_ENCODER is None else _c_encoded(value, _SORTED_C)


def _c_encoded(value: Any, args: tuple[Any, ...]) -> str:
    """What ``JSONEncoder.encode`` gives for a value that is not a string, without its per-call Python (a
    ``floatstr`` closure, the checks): the C encoder made once per layout (:func:`_c_args`) without the
    circular-reference table ``iterencode`` gives it.  That table only turns a cycle into ``ValueError``
    before the recursion limit would stop it: a ``RecursionError`` is encoded again as ``iterencode``
    does (a fresh table), which raises what ``json.dumps`` raises (a deep but acyclic value: the same
    ``RecursionError``)."""
    try:
        return "".join(_UNCHECKED[args](value, 0))
    except RecursionError:
        return "".join(_C_ENCODER({}, *args)(value, 0))


def _c_args(e: json.JSONEncoder) -> tuple[Any, ...]:
    """The arguments after the circular-reference table that ``iterencode`` gives the C encoder for ``e``
    (which checks circular references and has no ``indent``)."""
    assert e.check_circular and e.indent is None
    quoting = json.encoder.encode_basestring_ascii if e.ensure_ascii else json.encoder.encode_basestring
    return (e.default, quoting, None, e.key_separator, e.item_separator, e.sort_keys, e.skipkeys, e.allow_nan)


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # json.dumps' own encoders, made once
_SORTED = json.JSONEncoder(sort_keys=True, default=str)
_COMPACT_C, _SORTED_C = _c_args(_COMPACT), _c_args(_SORTED)
_C_ENCODER = json.encoder.c_make_encoder  # type: ignore[attr-defined]
_UNCHECKED: dict[tuple[Any, ...], Any] = (
    {args: _C_ENCODER(None, *args) for args in (_COMPACT_C, _SORTED_C)} if _C_ENCODER is not None else {}
)  # the C encoders without a circular-reference table (``markers`` None): stateless, so made once
quote = json.encoder.encode_basestring  # how the compact encoder writes a string (``ensure_ascii`` off)
_sha256 = hashlib.sha256


def chain_json(chain: list[Step]) -> str:
    """The steps' ``compact(step.to_json())`` texts joined by commas, formatted directly from their members
    (as the encoder writes them) where those are plain: a str claim, spans of str file and int line/column."""
    parts = []
    files = _QUOTED_FILES
    for step in chain:
        claim, at, more = step.claim, step.location, step.locations
        if type(claim) is not str:
            parts.append(compact(step.to_json()))
            continue
        if at is None:
            text = '{"claim":' + quote(claim)
        else:
            file, line, column = at.file, at.line, at.column
            if type(file) is str and type(line) is int and type(column) is int:
                at_file = files.get(file) or quoted_file(file)
                text = f'{{"claim":{quote(claim)},"location":{{"file":{at_file},"line":{line},"column":{column}}}'
            else:
                text = f'{{"claim":{quote(claim)},"location":{compact(at.to_json())}'
        if more:
            text += f',"locations":[{",".join([span_json(s) for s in more])}]'
        parts.append(text + "}")
    return ",".join(parts)


def span_json(at: Span) -> str:
    """``compact(at.to_json())``, formatted directly when its members are plain (as the encoder writes them)."""
    file, line, column = at.file, at.line, at.column
    if type(file) is str and type(line) is int and type(column) is int:
        return f'{{"file":{_QUOTED_FILES.get(file) or quoted_file(file)},"line":{line},"column":{column}}}'
    return compact(at.to_json())


def quoted_file(file: str) -> str:
    """``quote(file)``, remembered: a run cites few files many times (10k objects: 1,800 files in 200k
    spans), each one ``str`` shared by its spans, so the look-up hashes nothing and compares by identity."""
    if len(_QUOTED_FILES) >= 65_536:
        _QUOTED_FILES.clear()
    text = _QUOTED_FILES[file] = quote(file)
    return text


_QUOTED_FILES: dict[str, str] = {}


@dataclass(slots=True)
class Suppressed:
    """A non-proved finding set aside by a ``cnverify.io/ignore`` annotation on its subject."""

    finding: Finding
    reason: str
    location: Span  # the annotation

    def to_json(self) -> dict[str, Any]:
        return {
            **self.finding.to_json(),
            "suppressed": True,
            "suppression": {"reason": self.reason, "location": self.location.to_json()},
        }


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning about the run that changes no verdict (``kind``: unused-suppression, baseline-gone, ...)."""

    kind: str
    message: str
    location: Span | None = None
    also: tuple[Span, ...] = ()  # further locations it concerns (e.g. the other definition of a duplicate)
    units: tuple[str, ...] = ()  # the deployment units it was found in

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.location is not None:
            out["location"] = self.location.to_json()
        if self.also:
            out["locations"] = [s.to_json() for s in self.also]
        if self.units:
            out["units"] = list(self.units)
        return out


@dataclass
class Report:
    """Everything one run produced, in the shape of OUTPUT.md."""

    results: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    internal: list[InternalError] = field(default_factory=list)  # crashed properties (CNV000, exit 4)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    unknown_kinds: Counter[str] = field(default_factory=Counter)
    unrecognized_documents: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    objects: int = 0
    suppressed: list[Suppressed] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    baseline: dict[str, Any] | None = None  # {"file", "new", "unchanged", "gone": [entries]} when compared
    units: list[dict[str, Any]] = field(default_factory=list)  # the deployment units verified (Unit.to_json)
    unrecognized: list[tuple[Span, str]] = field(default_factory=list)  # where each unrecognized document is
    config: str | None = None  # the configuration file the run used (set by the CLI)

    def summary(self) -> dict[str, int]:
        c = Counter(f.status for f in self.results)
        return {"proved": c["proved"], "violated": c["violated"], "unknown": c["unknown"], "errors": len(self.errors)}

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "tool": {"name": "cnverify", "version": VERSION},
            "inputs": self.inputs,
            "results": [f.to_json() for f in self.results],
            "summary": self.summary(),
            "errors": [e.to_json() for e in self.errors],
            "inventory": {
                "objects": self.objects,
                "unrecognized_documents": self.unrecognized_documents,
                "unknown_kinds": dict(sorted(self.unknown_kinds.items())),
                **(
                    {"unrecognized": [{"location": s.to_json(), "reason": why} for s, why in self.unrecognized]}
                    if self.unrecognized
                    else {}
                ),
            },
            **self._additions(),
        }

    def _additions(self) -> dict[str, Any]:
        """Fields added after v1's first cut: present only when they carry something."""
        out: dict[str, Any] = {}
        if self.internal:
            out["internal_errors"] = [e.to_json() for e in self.internal]
        if self.suppressed:
            out["suppressed"] = [s.to_json() for s in self.suppressed]
        if self.warnings:
            out["warnings"] = [w.to_json() for w in self.warnings]
        if self.baseline is not None:
            out["baseline"] = self.baseline
        if self.units:
            out["units"] = self.units
        if self.config:
            out["config"] = self.config
        return out

    def exit_code(self, fail_on: str = "error", fail_on_unknown: bool = False) -> int:
        """0 ok, 1 violation at/above ``fail_on``, 2 input errors, 3 only unknowns (or units not verified)
        blocked, 4 an internal error (a property crashed: the results are incomplete) — OUTPUT.md.

        Findings a baseline already holds (``baseline == "unchanged"``) do not fail the run.
        """
        if self.internal:
            return INTERNAL_EXIT
        if self.errors:
            return 2
        if fail_on != "never":
            floor = SEVERITY_RANK[fail_on]
            if any(
                f.status == "violated" and SEVERITY_RANK[f.severity] >= floor and f.baseline != "unchanged"
                for f in self.results
            ):
                return 1
        if fail_on_unknown and (
            any(f.status == "unknown" and f.baseline != "unchanged" for f in self.results)
            or any(u.get("not_verified") for u in self.units)
        ):
            return 3  # a unit that was not verified (a chart without helm) is unknown too
        return 0
