"""The whole peer corpus verified in three shuffled input orders gives identical JSON, fingerprints
included (issue 13 item 3): argument order and directory listings are shuffled; every property runs.
The third order is verified with ``jobs=2`` (units in forked workers, cnverify.parallel).

Order independence rests on canonical file and unit order (loader, units), canonical attribution of
pairwise findings (CNV204) and history-independent solving (a fresh Z3 context per query).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cnverify import loader
from cnverify.engine import Options, prove

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


def shuffled_walk(rng: random.Random) -> Callable[..., Iterator[tuple[str, list[str], list[str]]]]:
    real = os.walk

    def walk(top: str, *args: Any, **kw: Any) -> Iterator[tuple[str, list[str], list[str]]]:
        for root, dirs, files in real(top, *args, **kw):
            rng.shuffle(dirs)
            rng.shuffle(files)
            yield root, dirs, files

    return walk


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the peer corpus (../shared/corpus) is not here")
def test_corpus_output_is_identical_in_shuffled_orders(monkeypatch: pytest.MonkeyPatch) -> None:
    tops = sorted(str(p) for p in CORPUS.iterdir() if p.is_dir())
    outputs = []
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        monkeypatch.setattr(loader.os, "walk", shuffled_walk(rng))
        report = prove(rng.sample(tops, len(tops)), Options(jobs=2 if seed == 3 else 1))  # 3rd: units sharded
        outputs.append(json.dumps(report.to_json(), sort_keys=False))
    assert json.loads(outputs[0])["results"]
    assert outputs[1] == outputs[0]
    assert outputs[2] == outputs[0]
