"""ApplicationSet generators and name rendering, as the applicationset controller does them (argo-cd 37ee0097).

``applicationset/generators``: ``list.go`` (elements; without Go templates every value must be a string and
``values`` a map of strings, flattened to ``values.<key>``), ``matrix.go`` (exactly two child generators; the
second rendered with each parameter set of the first; Go templates: deep merge, the first's values win;
otherwise ``CombineStringMaps``, which fails on a key with two values), ``merge.go`` (base parameter sets
keyed by ``mergeKeys``, a duplicate key fails; later generators' sets with the same key override).
``applicationset/utils/utils.go`` ``Replace``: fasttemplate ``{{ tag }}`` (trimmed tag; an unknown tag is
left as written) or Go ``text/template``. Parameters from git, clusters, SCM providers, pull requests,
cluster decisions or plugins are not in the inputs: :class:`Undecided`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from cnverify.errors import Span
from cnverify.model.argocd import ApplicationSet

EXTERNAL = {
    "git": "a git repository's directories or files",
    "clusters": "the clusters registered in Argo CD",
    "scmProvider": "an SCM provider's repositories",
    "pullRequest": "open pull requests",
    "clusterDecisionResource": "a cluster decision resource",
    "plugin": "a generator plugin",
}


class Undecided(Exception):
    """The parameter sets or a name cannot be known from the inputs (the reason is the message)."""


@dataclass
class ParamSet:
    """One parameter set and the list elements it came from (where, for the proof chain)."""

    params: dict[str, Any]
    origin: list[tuple[str, Span]] = field(default_factory=list)


def param_sets(appset: ApplicationSet) -> tuple[list[tuple[int, ParamSet]], bool]:
    """Every parameter set, with the index of its top-level generator; and whether a ``selector`` filters some."""
    out: list[tuple[int, ParamSet]] = []
    filtered = False
    for g, gen in enumerate(appset.spec.generators):
        sets, sel = _generate(appset, gen, ("generators", g), None)
        filtered |= sel
        out += [(g, s) for s in sets]
    return out, filtered


def _generate(
    appset: ApplicationSet, gen: Any, path: tuple[str | int, ...], outer: ParamSet | None
) -> tuple[list[ParamSet], bool]:
    if not isinstance(gen, dict):
        raise Undecided(f"spec.{_dotted(path)} is not a generator")
    kinds = [k for k in gen if k not in ("selector", "template", "values")]
    if len(kinds) != 1:
        raise Undecided(f"spec.{_dotted(path)} names {len(kinds)} generator kinds (the controller expects one)")
    kind = kinds[0]
    if "template" in gen and len(path) > 2:
        raise Undecided(f"spec.{_dotted(path)} has its own template inside a nested generator (not modelled)")
    if outer is not None and "{{" in json.dumps(gen):
        raise Undecided(f"spec.{_dotted(path)} is rendered with the first generator's parameters (not modelled)")
    body = gen[kind]
    if kind in EXTERNAL:
        raise Undecided(
            f"the {kind} generator at spec.{_dotted(path)} takes its parameters from {EXTERNAL[kind]}, not in the inputs"
        )
    if kind == "list":
        sets = _list(appset, body, (*path, "list"))
    elif kind == "matrix":
        sets = _matrix(appset, body, (*path, "matrix"))
    elif kind == "merge":
        sets = _merge(appset, body, (*path, "merge"))
    else:
        raise Undecided(f"generator kind {kind!r} at spec.{_dotted(path)} is not modelled")
    return sets, "selector" in gen


def _list(appset: ApplicationSet, body: Any, path: tuple[str | int, ...]) -> list[ParamSet]:
    if not isinstance(body, dict):
        raise Undecided(f"spec.{_dotted(path)} is not a list generator")
    if body.get("elementsYaml"):
        raise Undecided(f"spec.{_dotted(path)}.elementsYaml is rendered from other parameters (not modelled)")
    out = []
    for i, element in enumerate(body.get("elements") or []):
        where = (*path, "elements", i)
        if not isinstance(element, dict):
            raise Undecided(f"spec.{_dotted(where)} is not a map: the generator fails")
        params = element if appset.spec.go_template else _flat(element, where)
        out.append(ParamSet(dict(params), [(f"spec.{_dotted(where)}", appset.spec.at(*where))]))
    return out


def _flat(element: dict[str, Any], where: tuple[str | int, ...]) -> dict[str, str]:
    """list.go without Go templates: string values, ``values`` flattened to ``values.<key>``."""
    out = {}
    for key, value in element.items():
        inner = value.items() if key == "values" and isinstance(value, dict) else [(None, value)]
        for k, v in inner:
            if not isinstance(v, str):
                raise Undecided(f"spec.{_dotted(where)}.{key}: a value that is not a string fails the list generator")
            out[key if k is None else f"values.{k}"] = v
    return out


def _children(appset: ApplicationSet, body: Any, path: tuple[str | int, ...], what: str) -> list[Any]:
    children = body.get("generators") if isinstance(body, dict) else None
    if not isinstance(children, list) or len(children) < 2 or what == "matrix" and len(children) > 2:
        raise Undecided(f"spec.{_dotted(path)} needs {'exactly' if what == 'matrix' else 'at least'} two generators")
    return children


def _matrix(appset: ApplicationSet, body: Any, path: tuple[str | int, ...]) -> list[ParamSet]:
    first, second = _children(appset, body, path, "matrix")
    out = []
    for a in _generate(appset, first, (*path, "generators", 0), None)[0]:
        for b in _generate(appset, second, (*path, "generators", 1), a)[0]:
            out.append(ParamSet(_combine(appset, b.params, a.params, path), a.origin + b.origin))
    return out


def _merge(appset: ApplicationSet, body: Any, path: tuple[str | int, ...]) -> list[ParamSet]:
    children = _children(appset, body, path, "merge")
    keys = body.get("mergeKeys")
    if not isinstance(keys, list) or not keys:
        raise Undecided(f"spec.{_dotted(path)} has no mergeKeys: the generator fails")
    base = _by_key(_generate(appset, children[0], (*path, "generators", 0), None)[0], keys, path)
    for n, child in enumerate(children[1:], 1):
        for k, other in _by_key(_generate(appset, child, (*path, "generators", n), None)[0], keys, path).items():
            if k in base:
                merged = _combine(appset, base[k].params, other.params, path, override=True)
                base[k] = ParamSet(merged, base[k].origin + other.origin)
    return list(base.values())


def _by_key(sets: list[ParamSet], keys: list[Any], path: tuple[str | int, ...]) -> dict[str, ParamSet]:
    out: dict[str, ParamSet] = {}
    for s in sets:
        k = json.dumps({str(key): s.params.get(str(key)) for key in sorted(set(map(str, keys)))}, sort_keys=True)
        if k in out:
            raise Undecided(f"spec.{_dotted(path)}: two parameter sets share the merge key {k}: the generator fails")
        out[k] = s
    return out


def _combine(
    appset: ApplicationSet,
    low: dict[str, Any],
    high: dict[str, Any],
    path: tuple[str | int, ...],
    override: bool = False,
) -> dict[str, Any]:
    """Go templates: ``high`` deep-merged over ``low``; else string maps, ``high`` overriding when ``override``
    (merge) and failing on a key with two values otherwise (matrix: ``CombineStringMaps``)."""
    if appset.spec.go_template:
        return _deep(low, high)
    if not override:
        clash = [k for k in high if k in low and low[k] != high[k]]
        if clash:
            raise Undecided(f"spec.{_dotted(path)}: parameter {clash[0]!r} has two values: the generator fails")
    return {**low, **high}


def _deep(low: dict[str, Any], high: dict[str, Any]) -> dict[str, Any]:
    out = dict(low)
    for k, v in high.items():
        out[k] = _deep(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _dotted(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


_FAST_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
_GO_ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)
_GO_FIELD = re.compile(r"\s*((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*")


def render(text: str, params: dict[str, Any], go_template: bool) -> str:
    """``Replace`` of one template string; :class:`Undecided` for what is not modelled."""
    if not go_template:
        if "{{" in _FAST_TAG.sub("", text):
            raise Undecided(f"{text!r}: an unterminated {{{{ fails fasttemplate")

        def tag(m: re.Match[str]) -> str:
            value = params.get(m.group(1).strip())
            return value if isinstance(value, str) and m.group(1).strip() else m.group(0)

        return _FAST_TAG.sub(tag, text)

    def field_of(m: re.Match[str]) -> str:
        f = _GO_FIELD.fullmatch(m.group(1))
        if f is None:
            raise Undecided(f"{text!r}: Go template action {{{{{m.group(1)}}}}} is not modelled (only {{{{.field}}}})")
        value: Any = params
        for key in f.group(1).split(".")[1:]:
            if not isinstance(value, dict) or key not in value:
                raise Undecided(f"{text!r}: parameter {f.group(1)} is missing from a parameter set")
            value = value[key]
        return _go_print(value, text)

    return _GO_ACTION.sub(field_of, text)


def _go_print(value: Any, text: str) -> str:
    """``fmt.Print`` of a JSON value: strings and booleans as Go prints them, small integers (a float64 of
    1e6 or more prints as ``1e+06``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and abs(value) < 10**6:
        return str(value)
    raise Undecided(f"{text!r}: how Go prints {value!r} is not modelled")
