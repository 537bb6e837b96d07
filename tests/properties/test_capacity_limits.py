"""CNV301 and CNV303 verdicts against a plain admission simulator (Hypothesis): random container
resources under a random LimitRange, checked the way the API server and LimitRanger check them."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import yaml
from cnverify.encodings.quantity import milli
from cnverify.engine import Options, prove
from hypothesis import event, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "encodings"))
from resources_oracle import admit, rlist  # noqa: E402

ratio = st.dictionaries(st.sampled_from(["cpu", "memory"]), st.sampled_from(["1", "2", "4"]), max_size=1)


def plain_301(req: dict[str, int], lim: dict[str, int]) -> bool:
    """request ≤ limit, or = limit where over-commit is not allowed (docs/SEMANTICS.md#container-resources),
    on effective values: True when some resource breaks them."""
    for r, v in req.items():
        over = "/" not in r
        if r not in lim:
            if not over:
                return True
        elif (v > lim[r]) if over else (v != lim[r]):
            return True
    return False


def plain_303(req: dict[str, int], lim: dict[str, int], item: dict[str, Any]) -> bool:
    """LimitRanger's min/max/ratio constraints (milli-units): True when one is broken."""
    for r, raw in item.get("min", {}).items():
        if r not in req or req[r] < milli(raw) or (r in lim and lim[r] < milli(raw)):
            return True
    for r, raw in item.get("max", {}).items():
        if r not in lim or lim[r] > milli(raw) or (r in req and req[r] > milli(raw)):
            return True
    for r, raw in item.get("maxLimitRequestRatio", {}).items():
        if not req.get(r) or not lim.get(r) or lim[r] / req[r] * 1000 > milli(raw):
            return True
    return False


@settings(max_examples=120, deadline=None)
@given(
    rlist,
    rlist,
    st.fixed_dictionaries(
        {"type": st.just("Container")},
        optional={"default": rlist, "defaultRequest": rlist, "max": rlist, "min": rlist, "maxLimitRequestRatio": ratio},
    ),
)
def test_verdicts_match_admission(req: dict[str, str], lim: dict[str, str], item: dict[str, Any]) -> None:
    docs = [
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "lr", "namespace": "ns"},
            "spec": {"limits": [item]},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"containers": [{"name": "c", "resources": {"requests": req, "limits": lim}}]},
        },
    ]
    report = prove(["-"], Options(select=["CNV301", "CNV303"]), stdin=io.StringIO(yaml.safe_dump_all(docs)))
    eff_req, eff_lim = admit(req, lim, [item])
    got = {f.property: f.status for f in report.results}
    event(f"301 {got['CNV301']} / 303 {got.get('CNV303')}")
    assert got["CNV301"] == ("violated" if plain_301(eff_req, eff_lim) else "proved"), report.results
    if any(item.get(k) for k in ("min", "max", "maxLimitRequestRatio")):
        assert got["CNV303"] == ("violated" if plain_303(eff_req, eff_lim, item) else "proved"), report.results
    else:
        assert "CNV303" not in got
