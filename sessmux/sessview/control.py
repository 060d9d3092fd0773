"""What the browser asks of sessions: a new one, a long name, a kill.

Does I/O.  :func:`request` waits on a master at most :data:`QUICK`
seconds.  :func:`new_session` starts a session in a process of its own
(``python -m sessmux.sessview.control ROWS COLS``, whose :func:`main`
forks the master): the master daemon must inherit none of the view's
descriptors or threads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from sessmux.client import channel as client
from sessmux.core.errors import SessError

QUICK = 1.0  # seconds a targeted request (kill, setname) may wait on a master


def request(directory: str, name: str, msg: dict[str, Any]) -> bool:
    """Send ``msg`` to session ``name``; whether it answered ``ok``."""
    try:
        channel = client.connect(directory, name, timeout=QUICK)
        try:
            channel.send(msg)
            return channel.receive().get("t") == "ok"
        finally:
            channel.close()
    except SessError:
        return False


def new_session(rows: int, cols: int) -> str:
    """Start a disconnected session running ``$SHELL``; its name."""
    import sessmux

    root = os.path.dirname(os.path.dirname(os.path.abspath(sessmux.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p))
    try:
        done = subprocess.run([sys.executable, "-m", __name__, str(rows), str(cols)], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.SubprocessError) as e:
        raise SessError(f"cannot start a session: {e}") from None
    if done.returncode or not done.stdout.strip():
        raise SessError(f"cannot start a session: {done.stderr.strip()}")
    return done.stdout.strip()


def main(argv: list[str]) -> int:
    """In the helper process: start the session, print its name."""
    from sessmux.master import spawn
    from sessmux.system import paths

    rows, cols = (int(a) for a in argv[:2])
    shell = os.environ.get("SHELL") or "/bin/sh"
    try:
        name, _, _ = spawn.start(spawn.Plan(paths.session_dir(), [shell], os.environ, None,
                                            (rows, cols), spawn.Options(), gate=False))
    except SessError as e:
        sys.stderr.write(f"{e.message}\n")
        return e.code
    sys.stdout.write(f"{name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
