"""Running rendering tools: messages, timeouts, kustomize discovery and kustomization parsing."""

from __future__ import annotations

import sys
from pathlib import Path

from cnverify.kustomize import is_component, is_remote, walk
from cnverify.rendering import run_tool, tool_message

FIX = Path(__file__).parent / "fixtures" / "kustomize"


def test_tool_messages_of_kustomize_and_both_kubectl_styles() -> None:
    assert tool_message("Error: accumulating resources: x\n") == "accumulating resources: x"
    assert tool_message("error: must build at directory: y\n") == "must build at directory: y"
    klog = 'E1129 21:20:44.987399   15102 run.go:72] "command failed" err="kind \\"Component\\" in \'a\'"\n'
    assert tool_message(klog) == "kind \"Component\" in 'a'"
    assert tool_message("warning\nsomething broke\n") == "something broke"


def test_timeout_and_exit_status_are_failures_not_exceptions() -> None:
    slow = run_tool([sys.executable, "-c", "import time; time.sleep(10)"], timeout=0.3)
    assert slow.failed is not None and "did not finish within 0.3 s" in slow.failed
    bad = run_tool([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert bad.failed == "exit status 3"
    missing = run_tool(["/nonexistent/kustomize"])
    assert missing.failed is not None and missing.failed.startswith("cannot run /nonexistent/kustomize")


def test_tools_run_offline() -> None:
    show = "import os; print(os.environ['HTTPS_PROXY'], os.environ['GIT_ALLOW_PROTOCOL'])"
    env = run_tool([sys.executable, "-c", show])
    assert env.stdout.split() == ["http://127.0.0.1:9", "file"]


def test_remote_references_and_components() -> None:
    assert is_remote("https://github.com/org/repo//base?ref=v1")
    assert is_remote("github.com/org/repo/base?ref=main")
    assert is_remote("git@github.com:org/repo.git")
    assert is_remote("ssh://git@host/repo.git//x")
    assert not is_remote("../../base") and not is_remote("deployment.yaml")
    assert is_component(str(FIX / "components/limits")) and not is_component(str(FIX / "base"))


def test_walk_reports_absent_files_at_their_entry() -> None:
    tree = walk(str(FIX / "broken"))
    assert [(Path(e.location.file).name, e.location.line, e.message) for e in tree.errors] == [
        ("kustomization.yaml", 3, "'missing.yaml': no such file")
    ]
    assert {Path(f).name for f in tree.files} == {"kustomization.yaml", "present.yaml"}


def test_tool_message_keeps_a_quoted_block_and_unescapes_klog() -> None:
    text = "Error: trouble configuring PatchTransformer with config: `\npath: p.yaml\n`: unable to parse\n"
    assert tool_message(text) == "trouble configuring PatchTransformer with config: ` path: p.yaml `: unable to parse"
    klog = 'E1129 21:20:44.987399   15102 run.go:72] "command failed" err="a `\\npath: \\"p\\\\q\\"\\n`: b"\n'
    assert tool_message(klog) == 'a ` path: "p\\q" `: b'
