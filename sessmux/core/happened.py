"""What happened in a session, in words: for sesslist -l, sessmenu, sessview, sesswait.

Pure: a master's status (its ``events``, ``waiting``, ``running``, ...;
see :mod:`sessmux.master.events`) in, phrases out.  The time now and a
clock face (``clock(t) -> "10:42"``, the caller's local time) are passed in.

>>> ev = {"kind": "exit", "at": 100.0, "status": 2, "program": "make"}
>>> event_phrase(ev, 820.0)
'make finished 12 minutes ago with status 2'
>>> state_phrase({"waiting": 38520.0, "activity": 38520.0}, 38600.0, lambda t: "10:42")
'waiting for input since 10:42'
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from sessmux.core.control_protocol import Message

BUSY = 10.0  # output this recent: the session is busy, not idle
WORTH = ("exit", "command", "bell", "notify")  # events a list shows as the last one


def ago(seconds: float) -> str:
    """``just now``, ``5 seconds ago``, ``1 minute ago``, ``3 hours ago``, ``2 days ago``.

    >>> ago(0.4), ago(5), ago(61), ago(3 * 3600 + 5), ago(2 * 86400)
    ('just now', '5 seconds ago', '1 minute ago', '3 hours ago', '2 days ago')
    """
    s = int(max(0.0, seconds))
    if s < 1:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if s >= size:
            n = s // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def span(seconds: float) -> str:
    """A duration: ``0.02 s``, ``4.5 s``, ``3m07s``, ``2h05m``.

    >>> span(0.021), span(4.5), span(187), span(7500)
    ('0.02 s', '4.5 s', '3m07s', '2h05m')
    """
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    s = int(seconds)
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def event_phrase(ev: Message, now: float, clock: Callable[[float], str] | None = None) -> str:
    """One event as a phrase (see the module's example)."""
    kind = ev.get("kind")
    at = ev.get("at")
    when = ago(now - at) if isinstance(at, int | float) else "some time ago"
    if kind == "exit":
        program = _text(ev.get("program")) or "the program"
        return f"{program} finished {when} with status {ev.get('status')}"
    if kind == "command":
        command = _text(ev.get("command")) or "a command"
        status = ev.get("status")
        said = f" with status {status}" if status is not None else ""
        took = ev.get("duration")
        after = f" after {span(took)}" if isinstance(took, int | float) else ""
        return f"{command} finished {when}{said}{after}"
    if kind == "bell":
        return f"the program rang the bell {when}"
    if kind == "notify":
        return f"the program sent a notification {when}: {_text(ev.get('text'))}"
    if kind == "input":
        since = ev.get("since")
        if clock is not None and isinstance(since, int | float):
            return f"waited for input at {clock(since)}"
        return f"waited for input {when}"
    return f"{_text(kind)} {when}"


def last_event(st: Message) -> Message | None:
    """The newest event worth a line of its own (not a mere wait for input)."""
    events = st.get("events")
    if not isinstance(events, list):
        return None
    for ev in reversed(events):
        if isinstance(ev, dict) and ev.get("kind") in WORTH:
            return ev
    return None


def state_phrase(st: Message, now: float, clock: Callable[[float], str]) -> str:
    """Waiting, running a command, busy or idle -- or how the program ended."""
    if st.get("exited") is not None:
        return f"exited with status {st['exited']}"
    waiting = st.get("waiting")
    if isinstance(waiting, int | float):
        return f"waiting for input since {clock(waiting)}"
    running = st.get("running")
    if isinstance(running, dict) and isinstance(running.get("since"), int | float):
        return f"running {_text(running.get('command')) or 'a command'} " \
            f"for {span(now - running['since'])}"
    output = st.get("activity")
    if not isinstance(output, int | float):
        return "busy"
    quiet = now - output
    return "busy" if quiet < BUSY else f"idle for {span(quiet)}"


def attention(st: Message) -> bool:
    """Whether the session asks for its user: it waits, it ended, or it called.

    Called: a bell, a notification, or a command that failed, since the
    last terminal left it.

    >>> attention({"waiting": 5.0}), attention({"connected": True})
    (True, False)
    >>> attention({"disconnected_at": 10.0, "events": [{"kind": "bell", "at": 12.0}]})
    True
    """
    if st.get("waiting") is not None or st.get("exited") is not None:
        return True
    left = st.get("disconnected_at")
    if st.get("connected") or not isinstance(left, int | float):
        return False
    for ev in st.get("events") or ():
        if not isinstance(ev, dict) or not isinstance(ev.get("at"), int | float):
            continue
        called = ev.get("kind") in ("bell", "notify") or (
            ev.get("kind") == "command" and ev.get("status") not in (0, None))
        if called and ev["at"] >= left:
            return True
    return False


def size(n: int) -> str:
    """Bytes, short: ``512 B``, ``12 KiB``, ``3.4 MiB``.

    >>> size(512), size(12 * 1024), size(3565158)
    ('512 B', '12 KiB', '3.4 MiB')
    """
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n // 1024} KiB"
    if n < 1024 ** 3:
        return f"{n / 1024 ** 2:.1f} MiB"
    return f"{n / 1024 ** 3:.1f} GiB"


def _text(value: object) -> str:
    """A string from a master, with nothing a terminal would act on."""
    return "".join(c for c in str(value or "") if c.isprintable())[:80]
