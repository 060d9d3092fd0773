"""Login records (utmp) for sessions, as pty 4.0 and atsr write them.

Does I/O.  Through libutempter where it is installed (as tmux, screen and
mosh do: a small setgid helper writes the record, so it works for every
user); otherwise directly with the C library's ``pututxline`` when running
as root; otherwise not at all, and :func:`add` says why.  A session's
record is written once when it starts and cleared when it ends; a
disconnect leaves it, so ``who`` still shows a disconnected session.
"""

from __future__ import annotations

import os
import pwd
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ctypes
    from typing import Any

USER_PROCESS, DEAD_PROCESS = 7, 8
UTMP_FILES = ("/run/utmp", "/var/run/utmp")


def _utmpx() -> ctypes.Structure:
    """glibc's ``struct utmpx`` on Linux (the same layout on 32- and 64-bit).

    Made on first use: ctypes is only imported where there is a utmp file.
    """
    import ctypes

    class ExitStatus(ctypes.Structure):
        _fields_ = [("e_termination", ctypes.c_short), ("e_exit", ctypes.c_short)]

    class TimeVal(ctypes.Structure):
        _fields_ = [("tv_sec", ctypes.c_int32), ("tv_usec", ctypes.c_int32)]

    class Utmpx(ctypes.Structure):
        _fields_ = [
            ("ut_type", ctypes.c_short),
            ("ut_pid", ctypes.c_int),
            ("ut_line", ctypes.c_char * 32),
            ("ut_id", ctypes.c_char * 4),
            ("ut_user", ctypes.c_char * 32),
            ("ut_host", ctypes.c_char * 256),
            ("ut_exit", ExitStatus),
            ("ut_session", ctypes.c_int32),
            ("ut_tv", TimeVal),
            ("ut_addr_v6", ctypes.c_int32 * 4),
            ("__unused", ctypes.c_char * 20),
        ]

    return Utmpx()


class Record:
    """The utmp record of one session's pty, once written."""

    def __init__(self, pty_fd: int, line: str, pid: int, how: str) -> None:
        self.pty_fd, self.line, self.pid, self.how = pty_fd, line, pid, how

    def remove(self) -> None:
        try:
            if self.how == "utempter":
                _utempter().utempter_remove_record(self.pty_fd)
            else:
                _write(self.line, self.pid, "", "", DEAD_PROCESS)
        except (OSError, AttributeError):
            pass


def _utempter() -> ctypes.CDLL:
    import ctypes

    return ctypes.CDLL("libutempter.so.0")


def _write(line: str, pid: int, user: str, host: str, kind: int) -> bool:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)  # the C library this process already runs on
    entry: Any = _utmpx()
    entry.ut_type = kind
    entry.ut_pid = pid
    entry.ut_line = line.encode()[:32]
    entry.ut_id = line.removeprefix("pts/").encode()[-4:]
    entry.ut_user = user.encode()[:32]
    entry.ut_host = host.encode()[:256]
    now = time.time()
    entry.ut_tv.tv_sec, entry.ut_tv.tv_usec = int(now), int(now % 1 * 1e6)
    libc.setutxent()
    ok = bool(libc.pututxline(ctypes.byref(entry)))
    libc.endutxent()
    return ok


def add(pty_fd: int, slave_path: str, pid: int, host: str) -> tuple[Record | None, str]:
    """Write the session's record; return it (or None) and how, or why not."""
    line = slave_path.removeprefix("/dev/")
    if not any(os.path.exists(f) for f in UTMP_FILES):
        # Nothing to write into (containers): skip the helper and the C library.
        return None, "no utmp entry: there is no utmp file (/run/utmp)"
    try:
        if _utempter().utempter_add_record(pty_fd, host.encode()[:255]):
            return Record(pty_fd, line, pid, "utempter"), "written through libutempter"
        reason = "libutempter could not write it"
    except (OSError, AttributeError):
        reason = "libutempter is not installed"
    if os.geteuid() != 0:
        return None, f"no utmp entry: {reason}, and only root writes utmp directly"
    user = pwd.getpwuid(os.getuid()).pw_name
    try:
        if _write(line, pid, user, host, USER_PROCESS):
            return Record(pty_fd, line, pid, "direct"), "written directly (root)"
    except (OSError, AttributeError):
        pass
    return None, f"no utmp entry: {reason}, and writing it directly failed"
