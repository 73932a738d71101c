"""The command's start (`notice-pipeline`, `python -m pipeline`): through the warm server for
this code when one runs (server.py), else in this process (cli.py). Imports only what the
client side of the server needs until it knows which."""

from __future__ import annotations

import os
import signal
import sys

from .server import forward


def entry() -> None:
    argv = sys.argv[1:]
    code = forward(argv)
    if code is not None and code < 0:  # the served run ended by a signal (Ctrl-C): so does the command
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        code = 128 - code
    if code is not None:
        os._exit(code)
    from .cli import entry as here

    here([a for a in argv if a != "--no-server"])
