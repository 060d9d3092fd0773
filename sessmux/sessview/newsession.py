"""Start a new disconnected session running the user's shell; print its name.

Does I/O (forks the master).  Run as ``python -m sessmux.sessview.newsession
ROWS COLS`` by sessview's ``n``: in a process of its own, so the master
daemon inherits none of the view's descriptors or threads.
"""

from __future__ import annotations

import os
import sys

from sessmux import paths, spawn
from sessmux.errors import SessError


def main(argv: list[str]) -> int:
    rows, cols = (int(a) for a in argv[:2])
    shell = os.environ.get("SHELL") or "/bin/sh"
    try:
        name, _, _ = spawn.start(paths.session_dir(), [shell], dict(os.environ), None,
                                 (rows, cols), spawn.Options(), gate=False)
    except SessError as e:
        sys.stderr.write(f"{e.message}\n")
        return e.code
    sys.stdout.write(f"{name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
