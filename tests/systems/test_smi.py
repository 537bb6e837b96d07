"""SMI TrafficSplit (docs/SEMANTICS.md#trafficsplit): the messages of its findings — the effective split from
exact v1alpha1 quantities, the port rule, the located input errors — beyond what the grids check."""

from __future__ import annotations

from pathlib import Path

from cnverify.engine import Options, prove

GRIDS = Path(__file__).resolve().parent.parent / "properties"


def _messages(fixture: Path, code: str) -> dict[tuple[str, str | None], list[str]]:
    out: dict[tuple[str, str | None], list[str]] = {}
    for f in prove([str(fixture)], Options(select=[code])).results:
        if f.property == code:
            out.setdefault((f.subject["name"], f.subject.get("path")), []).append(f"{f.status}: {f.message}")
    return out


def test_effective_split_is_exact_for_quantities_and_integers() -> None:
    got = _messages(GRIDS / "route_weights" / "smi.yaml", "CNV103")
    # 10m : 100m : 1500m = 1 : 10 : 150 of 161 (rescaled exactly, never through floats)
    assert got[("my-weights", "spec.backends")] == ["proved: split: one 0.621%, two 6.21%, three 93.2%"]
    assert got[("rollout", "spec.backends")] == ["proved: split: foobar-v1 66.7%, foobar-v2 33.3%"]
    for name in ("all-zero", "zero-quantities"):
        [msg] = got[(name, "spec.backends")]
        assert msg.startswith("violated: every backend has weight 0: the spec defines no share for any backend")


def test_quantity_weights_are_shown_as_written() -> None:
    report = prove([str(GRIDS / "route_weights" / "smi.yaml")], Options(select=["CNV103"]))
    [split] = [f for f in report.results if f.subject["name"] == "my-weights"]
    assert [s.claim for s in split.chain][:3] == [
        "backend one has weight 10m (= 10/1000)",
        "backend two has weight 100m (= 100/1000)",
        "backend three has weight 1500m (= 1500/1000)",
    ]


def test_whole_number_weights_from_v1alpha2() -> None:
    report = prove([str(GRIDS / "route_weights" / "smi_invalid.yaml")], Options(select=["CNV103"]))
    errors = sorted((str(e) for e in report.errors), key=lambda e: "no-weight" in e)
    assert len(errors) == 2
    assert "smi_invalid.yaml:2:1" in errors[0] and "'500m'" in errors[0] and "must be whole numbers" in errors[0]
    assert "smi_invalid.yaml:16:5" in errors[1] and "weight" in errors[1] and "required" in errors[1]


def test_port_and_root_messages() -> None:
    got = _messages(GRIDS / "route_target_exists" / "smi.yaml", "CNV102")
    assert (
        "violated: Service zoo/blue-birds has no port 9090 (ports: grpc:8080, rest:1024): traffic for root "
        'Service birds port 9090 is not split to it (the spec: the backend "is not included and will not '
        'receive traffic")' in got[("birds", "spec.backends[1]")]
    )
    [root] = got[("ab-no-root", "spec.service")]
    assert root == (
        "violated: root Service zoo/website does not exist: requests that match none of spec.matches "
        "have no Service to route them"
    )
    [root] = got[("no-root", "spec.service")]
    assert root.startswith("unknown:") and "example implementation creates the root Service" in root
    [idle] = got[("birds", "spec.backends[3]")]
    assert idle.startswith("unknown:") and "weight 0" in idle
