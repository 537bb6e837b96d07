"""An absence that another unit of the same run answers is unknown, not violated."""
from __future__ import annotations

from pathlib import Path

from cnverify.engine import Options, prove

SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  ports: [{port: 80}]\n"
VS = """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: NAME, namespace: shop}
spec:
  hosts: [NAME.example.com]
  http:
    - route: [{destination: {host: TARGET, port: {number: 80}}}]
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def verdicts(root: Path, **kw: object) -> dict[str, tuple[str, str]]:
    report = prove([str(root)], Options(select=["CNV102"], **kw))  # type: ignore[arg-type]
    return {f.subject["name"]: (f.status, f.chain[-1].claim) for f in report.results}


def test_a_target_another_unit_defines_is_undecided(tmp_path: Path) -> None:
    write(tmp_path, {"base/svc.yaml": SERVICE,
                     "tests/a.yaml": VS.replace("NAME", "a").replace("TARGET", "web"),
                     "tests/b.yaml": VS.replace("NAME", "b").replace("TARGET", "nowhere")})
    got = verdicts(tmp_path)
    assert got["a"][0] == "unknown" and "another unit of this run holds what is missing" in got["a"][1]
    assert got["b"][0] == "violated"  # no unit defines it: the violation stands
    # read alone, the tests unit is a closed world: the missing Service is a violation
    alone = verdicts(tmp_path / "tests")
    assert alone["a"][0] == "violated" and alone["b"][0] == "violated"
    # given as context, the base decides it
    with_base = verdicts(tmp_path / "tests", context=[str(tmp_path / "base")])
    assert with_base["a"][0] == "proved" and with_base["b"][0] == "violated"


def test_an_alternative_bundle_is_no_complement(tmp_path: Path) -> None:
    """A unit that redefines an object of this one (a provider variant) never answers its absences."""
    write(tmp_path, {"aws/a.yaml": VS.replace("NAME", "a").replace("TARGET", "web"),
                     "gcp/a.yaml": VS.replace("NAME", "a").replace("TARGET", "web") + "---\n" + SERVICE})
    report = prove([str(tmp_path)], Options(select=["CNV102"]))
    got = sorted((f.units, f.status) for f in report.results)
    assert got == [([str(tmp_path / "aws")], "violated"), ([str(tmp_path / "gcp")], "proved")]
