"""CNV204 on N Deployments sharing one selector and pod template (issue 13 item 4).

``python benchmarks/selector_groups.py 600``: seconds, peak RSS and the number of findings (one per
overlapping group: 1).  Pairwise checking made this 179,700 obligations (4 min, 2.9 GB for 600).
"""

from __future__ import annotations

import io
import resource
import sys
import time

import yaml
from cnverify.engine import Options, prove


def namespace(n: int) -> str:
    return yaml.safe_dump_all(
        [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"d{i:04}", "namespace": "shop"},
                "spec": {
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c"}]}},
                },
            }
            for i in range(n)
        ]
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    text = namespace(n)
    t0 = time.perf_counter()
    report = prove(["-"], Options(select=["CNV204"]), stdin=io.StringIO(text))
    elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n} Deployments: {elapsed:.2f} s, peak RSS {rss:.0f} MB, {len(report.results)} finding(s)")


if __name__ == "__main__":
    main()
