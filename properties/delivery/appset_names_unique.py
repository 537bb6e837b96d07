"""CNV502 appset-names-unique."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import z3
from cnverify.errors import Span
from cnverify.model.argocd import ApplicationSet
from cnverify.obligation import Obligation
from cnverify.registry import Property, register
from cnverify.run_context import RunContext
from cnverify.systems.argocd.generators import ParamSet, Undecided, param_sets, render


@register
class AppsetNamesUnique(Property):
    """
    ## What it proves
    The Applications an Argo CD ApplicationSet generates have pairwise distinct names: each parameter set of
    its list, matrix and merge generators (across all of its generators) renders the template's
    `metadata.name` (a generator's own template when it sets one) to a different name, with fasttemplate
    (`{{x}}`, `{{values.x}}`; an unknown tag stays as written) or, with `goTemplate: true`, Go templates
    (`{{.x.y}}`). Generators whose parameters come from outside the inputs (git, clusters, SCM providers,
    pull requests, cluster decisions, plugins) make it `unknown`.

    ## Why it matters
    The controller reports "ApplicationSet … contains applications with duplicate name" (an `ErrorOccurred`
    condition) and leaves out every generated Application of that name (its validation errors are keyed by
    the name, so the first one is dropped too): none of them is created or updated until the generators are
    fixed (applicationset_controller.go `validateGeneratedApplications`, `validApps`).

    ## Evidence
    Violated: the duplicated name and the two parameter sets (the list elements they come from). Proved:
    every parameter set with the name it renders.

    ## Example
    ```yaml
    spec:
      generators: [{list: {elements: [{cluster: dev, url: a}, {cluster: dev, url: b}]}}]
      template: {metadata: {name: "{{cluster}}-app"}}   # violated: "dev-app" twice
    ```

    ## Assumes
    - Only the inputs: a generator `selector` may drop parameter sets, so a duplicate under a selector is
      `unknown`; Go template functions and pipelines, `templatePatch` and `elementsYaml` are not modelled
      (`unknown`).
    """

    code = "CNV502"
    name = "appset-names-unique"
    title = "ApplicationSet generates distinct Application names"
    severity = "error"
    reads = (ApplicationSet,)
    remediation = "Make the template's metadata.name include a parameter that differs between every parameter set."

    def obligations(self, ctx: RunContext) -> Iterator[Obligation]:
        for appset in ctx.snap.all(ApplicationSet):
            spec = appset.spec
            ob = self.obligation(appset, at=spec.at("template", "metadata", "name"), path="spec.template.metadata.name")
            try:
                named, filtered = self.names(appset)
            except Undecided as exc:
                ob.unknown(str(exc))
                yield ob
                continue
            yield self.decide(ob, named, filtered)

    def names(self, appset: ApplicationSet) -> tuple[list[tuple[str, ParamSet, Span]], bool]:
        """Each parameter set's rendered name and where its name template is; whether a selector filters."""
        if appset.spec.template_patch:
            raise Undecided("spec.templatePatch may rewrite the name (not modelled)")
        sets, filtered = param_sets(appset)
        out = []
        for g, ps in sets:
            template, at = self.name_template(appset, g)
            out.append((render(template, ps.params, appset.spec.go_template), ps, at))
        return out, filtered

    @staticmethod
    def name_template(appset: ApplicationSet, g: int) -> tuple[str, Span]:
        own = _dig(appset.spec.generators[g], "template", "metadata", "name")
        if isinstance(own, str):
            return own, appset.spec.at("generators", g, "template", "metadata", "name")
        name = _dig(appset.spec.template, "metadata", "name")
        if not isinstance(name, str) or not name:
            raise Undecided("the template has no metadata.name: every generated Application is refused")
        return name, appset.spec.at("template", "metadata", "name")

    @staticmethod
    def decide(ob: Obligation, named: list[tuple[str, ParamSet, Span]], filtered: bool) -> Obligation:
        terms = [z3.String(f"name[{i}]") for i in range(len(named))]
        first: dict[str, int] = {}
        dup = None
        for i, (name, _, _) in enumerate(named):
            if name in first and dup is None:
                dup = (first[name], i)
            first.setdefault(name, i)
        shown = dup if dup is not None else range(len(named))
        for i in shown:
            name, ps, at = named[i]
            where = ", ".join(o for o, _ in ps.origin) or "the generator"
            ob.fact(
                terms[i] == z3.StringVal(name),
                at=ps.origin[-1][1] if ps.origin else at,
                says=f"{where} {_show(ps.params)} renders name {name!r}",
            )
        if dup is not None:
            i, j = dup
            ob.counterexample(terms[i] == terms[j], says="two parameter sets render the same name")
            ob.show("name", terms[i])
            ob.on(
                violated=f"Application name {named[i][0]!r} is generated twice ({_show(named[i][1].params)} and {_show(named[j][1].params)})"
            )
            if filtered:
                ob.unknown(
                    f"name {named[i][0]!r} is rendered twice, but a generator selector may drop one of the parameter sets"
                )
            return ob
        pairs = [terms[i] == terms[j] for i in range(len(named)) for j in range(i + 1, len(named))]
        ob.counterexample(z3.Or(*pairs) if pairs else z3.BoolVal(False), says="two parameter sets render the same name")
        ob.on(proved=f"the {len(named)} generated Application names are distinct")
        return ob


def _dig(data: Any, *keys: str) -> Any:
    for k in keys:
        data = data.get(k) if isinstance(data, dict) else None
    return data


def _show(params: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {v!r}" for k, v in params.items()) + "}"
