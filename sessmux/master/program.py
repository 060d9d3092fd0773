"""The session's program: what became of it, and how the master steers it.

Does I/O on a process group and a pty (``waitpid``, ``killpg``, the
window size), and knows nothing of connections: :func:`reap` returns what
happened and the master acts on it (tells the read-write client of a
stop, starts the exit grace at the end).
"""

from __future__ import annotations

import os

from sessmux.system.ttyio import get_winsize, set_winsize

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
else:  # the signal module's enums cost every command milliseconds (see sessmux.system.unix)
    import _signal as signal

STOPPED, CONTINUED, ENDED = "stopped", "continued", "ended"


def reap(pid: int) -> list[tuple[str, int]]:
    """What became of the program since last asked, in order.

    ``(STOPPED, signal)``, ``(CONTINUED, 0)``, and last, once it has ended,
    ``(ENDED, status)`` -- its exit code, or 128 + N when killed by signal N.
    """
    happened: list[tuple[str, int]] = []
    while True:
        try:
            got, st = os.waitpid(pid, os.WUNTRACED | os.WCONTINUED | os.WNOHANG)
        except ChildProcessError:
            return happened
        if got == 0:
            return happened
        if os.WIFSTOPPED(st):
            happened.append((STOPPED, os.WSTOPSIG(st)))
        elif os.WIFCONTINUED(st):
            happened.append((CONTINUED, 0))
        else:
            code = os.waitstatus_to_exitcode(st)
            happened.append((ENDED, 128 - code if code < 0 else code))
            return happened


def cont(pid: int) -> None:
    """Continue the program's process group (pty 4.0: on every reconnect)."""
    try:
        os.killpg(pid, signal.SIGCONT)
    except OSError:
        pass


def resize(pty_fd: int, rows: int, cols: int, force: bool) -> None:
    """Give the pty a size; ``force``: the program hears of it even when it is the same."""
    if get_winsize(pty_fd) != (rows, cols):
        set_winsize(pty_fd, rows, cols)
    elif force:
        # The kernel drops a same-size resize; the program still gets one.
        try:
            os.killpg(os.tcgetpgrp(pty_fd), signal.SIGWINCH)
        except OSError:
            pass
