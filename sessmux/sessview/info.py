"""What the session list says of each session.

:func:`describe`, :func:`happenings` and :func:`age` are pure: they turn a master's status
(``client.statuses``) into the lines the browser shows.  :func:`foreground`
and :func:`session_size` read ``/proc`` and the session's terminal -- a
few small reads per session, cheap enough for a refresh every second.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from sessmux.core import happened
from sessmux.core.names import visible
from sessmux.system.ttyio import get_winsize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sessmux.core.control_protocol import Message
    from sessmux.sessview.poll import Snapshot

_PTS_MAJORS = range(136, 144)  # Unix98 pty slaves: /dev/pts/N


def age(seconds: float) -> str:
    """``42s``, ``5m07s``, ``3h05m``, ``2d03h``.

    >>> age(42), age(307), age(11100), age(183600)
    ('42s', '5m07s', '3h05m', '2d03h')
    """
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def state(st: Message) -> str:
    """``connected``, ``disconnected`` or ``exited N`` (pty 4.0's words).

    >>> state({"connected": True}), state({"exited": 1}), state({})
    ('connected', 'exited 1', 'disconnected')
    """
    if st.get("exited") is not None:
        return f"exited {st['exited']}"
    return "connected" if st.get("connected") else "disconnected"


def describe(st: Message, now: float, command: str | None) -> tuple[str, str]:
    """Two lines for the list: name, state, time, command; then long name and origin.

    A connected session says how long it has been idle (no output); a
    disconnected one how long it has been orphaned.

    >>> st = {"name": "p3", "connected": False, "disconnected_at": 100.0,
    ...       "activity": 90.0, "longname": "net\\x07 test", "watchers": 1}
    >>> describe(st, 407.0, "vim notes")
    ('p3  disconnected 5m07s  vim notes', 'net^G test  (1 watching)')
    """
    words = [str(st["name"]), state(st)]
    if st.get("exited") is None:
        since = st.get("activity") if st.get("connected") else st.get("disconnected_at")
        if isinstance(since, int | float):
            words.append(("idle " if st.get("connected") else "") + age(now - since))
    if command:
        words.append(command)
    first = "  ".join(words[:2]) + (" " + "  ".join(words[2:]) if words[2:] else "")
    second = visible(str(st.get("longname") or ""))
    if st.get("connected"):
        second += f"  from {visible(str(st.get('remote') or 'here'))}"
    if st.get("watchers"):
        second += f"  ({st['watchers']} watching)"
    said = happenings(st, now)
    if said:
        second += f"  {said}"
    return first, second.strip()


def happenings(st: Message, now: float) -> str:
    """Waiting for input, or the last thing that happened (``sesslist -l``'s words).

    >>> happenings({"waiting": 0.0}, 60.0) != ""
    True
    >>> happenings({"events": [{"kind": "bell", "at": 50.0}]}, 60.0)
    'the program rang the bell 10 seconds ago'
    """
    if isinstance(st.get("waiting"), int | float):
        return happened.state_phrase(st, now, _clock)
    last = happened.last_event(st)
    return happened.event_phrase(last, now) if last else ""


def _clock(t: float) -> str:
    return time.strftime("%H:%M", time.localtime(t))


def attention_first(snapshots: list[Snapshot]) -> list[Snapshot]:
    """The sessions that need their user first, each group by name (``a`` in the list)."""
    return sorted(snapshots, key=lambda s: (not happened.attention(s.status), s.name))


def _stat(pid: int) -> list[str]:
    """``/proc/PID/stat`` from the state on (field 3 is index 0)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        return f.read().rpartition(b")")[2].decode("ascii", "replace").split()


def terminal(pid: int) -> str | None:
    """The pty slave process ``pid`` runs on (``/dev/pts/5``), from its ``tty_nr``."""
    try:
        tty_nr = int(_stat(pid)[4])
    except (OSError, IndexError, ValueError):
        return None
    major, minor = (tty_nr >> 8) & 0xFFF, (tty_nr & 0xFF) | ((tty_nr >> 12) & 0xFFF00)
    if major not in _PTS_MAJORS:
        return None
    return f"/dev/pts/{(major - _PTS_MAJORS.start) * 256 + minor}"


def foreground(pid: int, reader: Callable[[str], bytes] | None = None) -> str | None:
    """The command line of the foreground job on the terminal of process ``pid``."""
    read = reader or _read
    try:
        tpgid = int(_stat(pid)[5])
        if tpgid <= 0:
            return None
        argv = read(f"/proc/{tpgid}/cmdline").rstrip(b"\0").split(b"\0")
    except (OSError, IndexError, ValueError):
        return None
    if not argv or not argv[0]:
        return None
    argv[0] = argv[0].rsplit(b"/", 1)[-1]
    return visible(b" ".join(argv).decode("utf-8", "replace"))[:60]


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read(4096)


def session_size(pid: int) -> tuple[int, int] | None:
    """(rows, cols) of the session whose program is ``pid``, from its terminal."""
    tty = terminal(pid)
    if tty is None:
        return None
    try:
        fd = os.open(tty, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return get_winsize(fd)
    finally:
        os.close(fd)
