"""The ``cnverify`` console script: the click command, then an exit that skips tearing down the heap.

Once a run has written its reports, freeing everything it built one object at a time (parsed inputs,
findings, Z3 terms and contexts) is work nobody waits for: measured on the generated 10k cluster, the
interpreter's teardown took 0.5–1.1 s after the last byte was written.  Every resource a command opens
is closed where it is used (scratch folders, answer stores, worker pools, a Dask cluster: context
managers and ``finally`` blocks), so the process flushes its streams and leaves with ``os._exit``.
The exit status is the one ``sys.exit`` would give.  Imported as a library or driven by click's test
runner, :func:`cnverify.cli.main` exits as usual.
"""

from __future__ import annotations

import os
import sys

from cnverify.cli import main

BROKEN_STREAM = 120  # what CPython exits with when flushing its standard streams fails at exit


def entry() -> None:
    """Run the command line, then exit at once with its status."""
    try:
        main()
    except SystemExit as exc:  # left inside the handler: its traceback holds the command's frames, so the
        os._exit(flushed(status(exc.code)))  # report they hold is never freed (~0.03 s of a 10k run)
    os._exit(flushed(0))  # click's standalone mode always ends by SystemExit; this is the same as its success


def status(code: object) -> int:
    """The exit status ``sys.exit(code)`` gives: None is 0, an int itself, anything else printed and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def flushed(code: int) -> int:
    """``code`` once stdout and stderr are flushed (``BROKEN_STREAM`` when that fails and the run succeeded)."""
    failed = False
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the descriptor closed (``>&-``): nothing was written
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``), a closed stream
            failed = True
    return BROKEN_STREAM if failed and code == 0 else code
