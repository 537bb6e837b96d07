"""The JSON report of OUTPUT.md."""
from __future__ import annotations

import json

from cnverify.proof import Report
from cnverify.report import RenderOptions
from cnverify.report.escape import json_text

FORMAT = "json"


def render(report: Report, options: RenderOptions) -> str:
    return json_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False)) + "\n"
