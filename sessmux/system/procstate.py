"""Whether a session's program waits for input: what the kernel says, not the output.

Does I/O: reads ``/proc`` (no psutil: the master must start small).  The
pty's foreground process group (``tcgetpgrp`` on the pty master) is
*waiting for input* when none of its processes is running, stopped or in
uninterruptible sleep, and one of them sleeps in a system call that reads
the terminal:

* ``read`` on a descriptor that is its controlling terminal (``read x``,
  ``cat``, Python's ``input()``);
* ``select``/``pselect6`` whose descriptor set can hold only the terminal
  (every descriptor below its ``nfds`` is the terminal: bash's readline
  waits at its prompt this way).

``/proc/PID/syscall`` says which call and its arguments.  Where it cannot
be read (a kernel built without it, another user's process), the kernel
function it sleeps in (``/proc/PID/wchan``) is the fallback: ``n_tty_read``,
or ``wait_woken`` while its standard input is the terminal.

What it cannot see: a program that waits in ``poll``/``epoll`` (its set
lives in its memory: vim, less, full-screen programs) is not shown
waiting; a process outside the foreground group that reads the terminal
is not either (the kernel stops it with SIGTTIN); system call numbers are
known for x86-64 and AArch64 only (elsewhere the wchan fallback is used).
Nothing here polls: it reads ``/proc`` once per question.
"""

from __future__ import annotations

import os

# Per machine: the read call, and the select calls whose first argument is nfds.
_CALLS = {
    "x86_64": (0, (23, 270)),
    "aarch64": (63, (72,)),
}
_READ, _SELECTS = _CALLS.get(os.uname().machine, (-1, ()))
_SLEEPING = "S"  # interruptible sleep; R, D, T, t, Z are not waiting for a key


def foreground(pty_fd: int) -> int | None:
    """The process group in the foreground of the pty, or None."""
    try:
        return os.tcgetpgrp(pty_fd)
    except OSError:
        return None


def command(pid: int) -> str:
    """The name the kernel gives process ``pid`` (``make``), or ``""``."""
    try:
        with open(f"/proc/{pid}/comm", "rb") as f:
            return f.read(64).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def waiting(pty_fd: int, leader: int) -> bool:
    """Whether the pty's foreground group waits to read the terminal now.

    ``leader``: the session's program; its descendants are searched for
    the foreground group's processes (the whole process table if the
    kernel does not list children).
    """
    group = foreground(pty_fd)
    if group is None or group <= 0:
        return False
    members = [pid for pid, pgrp in _stats(leader) if pgrp[0] == group]
    if not members:
        return False
    reading = False
    for pid in members:
        state, tty = _state(pid)
        if state != _SLEEPING:
            return False
        reading = reading or _reads_terminal(pid, tty)
    return reading


def _stats(leader: int) -> list[tuple[int, tuple[int, str]]]:
    """``(pid, (pgrp, state))`` of ``leader`` and its descendants."""
    found: list[tuple[int, tuple[int, str]]] = []
    todo = [leader]
    while todo and len(found) < 4096:
        pid = todo.pop()
        stat = _stat(pid)
        if stat is None:
            continue
        found.append((pid, (int(stat[2]), stat[0])))
        kids = _children(pid)
        if kids is None:
            return _everyone()
        todo.extend(kids)
    return found


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command: state, ppid, pgrp, ..."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rfind(b")") + 2 :].decode("ascii", "replace").split()


def _children(pid: int) -> list[int] | None:
    """Children of every thread of ``pid``; None where the kernel does not list them."""
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids  # gone meanwhile
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                kids.extend(int(k) for k in f.read().split())
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}"):
                continue
            return None  # CONFIG_PROC_CHILDREN is off
        except (OSError, ValueError):
            continue
    return kids


def _everyone() -> list[tuple[int, tuple[int, str]]]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None:
                found.append((int(name), (int(stat[2]), stat[0])))
    return found


def _state(pid: int) -> tuple[str, int]:
    """The process's state letter and its controlling terminal's device number."""
    stat = _stat(pid)
    if stat is None or len(stat) < 5:
        return "?", 0
    return stat[0], int(stat[4])


def _is_terminal(pid: int, fd: int, tty: int) -> bool:
    try:
        return tty != 0 and os.stat(f"/proc/{pid}/fd/{fd}").st_rdev == tty
    except OSError:
        return False


def _reads_terminal(pid: int, tty: int) -> bool:
    try:
        with open(f"/proc/{pid}/syscall", "rb") as f:
            fields = f.read().split()
        call = int(fields[0])
        first = int(fields[1], 16)
    except (OSError, ValueError, IndexError):
        return _by_wchan(pid, tty)
    if call == _READ:
        return _is_terminal(pid, first, tty)
    if call in _SELECTS and 0 < first <= 64:
        try:
            fds = [int(fd) for fd in os.listdir(f"/proc/{pid}/fd")]
        except (OSError, ValueError):
            return False
        below = [fd for fd in fds if fd < first]
        return bool(below) and all(_is_terminal(pid, fd, tty) for fd in below)
    return False


def _by_wchan(pid: int, tty: int) -> bool:
    try:
        with open(f"/proc/{pid}/wchan", "rb") as f:
            where = f.read().decode("ascii", "replace")
    except OSError:
        return False
    return where == "n_tty_read" or (where == "wait_woken" and _is_terminal(pid, 0, tty))
