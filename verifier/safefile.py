"""Reading and writing cnverify's own files (reports, baselines) safely in a hostile checkout.

cnverify runs on pull requests whose checkout an attacker shapes: ``--report sarif=out.sarif`` must not
write through ``out.sarif -> ~/.bashrc``, nor ``reports/x.sarif`` through a folder ``reports -> ~/.ssh``.  The file is opened with ``O_NOFOLLOW`` (a symlink as the last
component is refused by the kernel, atomically) and ``O_NONBLOCK`` (a FIFO does not hang the run), and
must be a regular file.  Reading refuses FIFOs and devices and stops at a size limit.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from cnverify.errors import UsageError
from cnverify.source import printable


def write_text(file: str, text: str, what: str = "") -> None:
    """Write ``text`` (UTF-8) to ``file``, creating its folder; refuse symlinks and non-regular files."""
    name = f"{what} {printable(file)}".lstrip()
    link = _symlinked_folder(file)
    if link is not None:
        raise UsageError(f"refusing to write {name}: its folder {printable(link)} is a symbolic link")
    try:
        Path(file).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(
            file, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), 0o666
        )
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UsageError(f"refusing to write {name}: it is a symbolic link") from None
        raise UsageError(f"cannot write {name}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError(f"refusing to write {name}: not a regular file")
        os.ftruncate(fd, 0)
        data = text.encode("utf-8", "backslashreplace")  # always valid UTF-8
        while data:
            written = os.write(fd, data)
            data = data[written:]
    except OSError as exc:
        raise UsageError(f"cannot write {name}: {exc.strerror}") from None
    finally:
        os.close(fd)


def _symlinked_folder(file: str) -> str | None:
    """The first folder of ``file``'s path below the working directory that is a symbolic link (a checkout
    can hold ``reports -> ~/.ssh``); folders above the working directory are the runner's own."""
    cwd = os.getcwd()
    rel = os.path.relpath(os.path.dirname(os.path.abspath(file)), cwd)
    if rel == "." or rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return None
    here = cwd
    for part in rel.split(os.sep):
        here = os.path.join(here, part)
        if os.path.islink(here):
            return os.path.relpath(here, cwd)
    return None


def read_bytes(file: str, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; anything else is a usage error."""
    name = f"{what} {printable(file)}"
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError(f"cannot read {name}: not a regular file")
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UsageError(f"{name} is larger than {limit // 2**20} MiB; not read")
    return data
