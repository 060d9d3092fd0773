"""What happened in a session, as its master saw it: the events of ``sesslist -l``.

Does I/O only to ``/proc`` (through :mod:`sessmux.system.procstate`), and
only when asked.  The master keeps an :class:`Events` record: the last
:data:`KEEP` events, each a small dict with a ``seq`` number, a ``kind``
and a time ``at`` (seconds since the epoch):

* ``exit {status, program}`` -- the program ended;
* ``command {command, status, duration}`` -- a command ended in a shell
  that marks its prompts (OSC 133;C, then 133;D);
* ``bell`` -- the program rang the bell;
* ``notify {text}`` -- a desktop notification the program sent (OSC 9, 777);
* ``input`` -- the program was found waiting to read the terminal.

Output-borne events come from :class:`sessmux.core.events_scan.Scanner`
on the data path (no screen model).  Waiting for input is taken from the
kernel (:func:`sessmux.system.procstate.waiting`) each time a status is
asked for -- never on a timer, so an idle master stays idle.  Every event
also goes to :meth:`Events.record`'s ``journal`` hook, the one place a
session journal hears of them.
"""

from __future__ import annotations

import time

from sessmux.core import resume_protocol
from sessmux.core.events_scan import Scanner
from sessmux.master import datapath
from sessmux.system import procstate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from sessmux.master.connection import Conn
    from sessmux.master.loop import Master

KEEP = 50  # events a master remembers
SHOWN = 8  # ... and sends in a status reply (the newest)
MOMENT = 0.5  # seconds of quiet output before a program reading the terminal "waits"
TEXT_MAX = 200  # characters of a notification or command kept
LOOK = 1.0  # seconds between looks at the program while a terminal wants notifications
LONG = 5.0  # seconds of work on its own before a wait for input is worth telling


class Events:
    """A session's events, and whether it waits for input now."""

    def __init__(
        self, leader: int, journal: Callable[[str, dict[str, object]], None] | None = None
    ) -> None:
        self.leader = leader  # the session's program
        self.program: str | None = None  # its name, learnt from its first output
        self.scanner = Scanner()
        self.kept: list[dict[str, object]] = []
        self.seq = 0
        self.prompts = 0  # prompts a shell marked (OSC 133;A)
        self.journal = journal  # called with every event (kind, fields)
        self.started: tuple[float, str] | None = None  # the running command: since, what
        self.waiting_since: float | None = None
        self.busy_seen = 0.0  # when the program was last seen not waiting
        # Notifications (only while a terminal that asked for them is attached):
        self.next_look = 0.0  # monotonic time of the next look at the program
        self.busy_from: float | None = None  # running on its own (no keys) since then
        self.keys_seen = 0  # input offset at the last look

    def record(self, kind: str, **fields: object) -> dict[str, object]:
        self.seq += 1
        event: dict[str, object] = {"seq": self.seq, "kind": kind, "at": time.time(), **fields}
        self.kept.append(event)
        del self.kept[:-KEEP]
        if self.journal is not None:
            self.journal(kind, fields)
        return event

    def output(self, data: bytes) -> None:
        """A chunk of the program's output (the hot path: usually nothing to do)."""
        if self.program is None:
            self.learn()
        found = self.scanner.feed(data)
        for kind, value in found:
            self._marked(kind, value)

    def _marked(self, kind: str, value: str) -> None:
        if kind == "prompt":
            self.prompts += 1
        elif kind == "bell":
            self.record("bell")
        elif kind == "notify":
            self.record("notify", text=value[:TEXT_MAX])
        elif kind == "start":
            self.started = (time.time(), value[:TEXT_MAX])
        elif kind == "done":
            if self.started is None:
                return  # an empty command line: the shell only drew a new prompt
            since, command = self.started
            self.started = None
            status = int(value) if value else None
            self.record("command", command=command, status=status,
                        duration=round(time.time() - since, 3))

    def learn(self) -> None:
        """Learn the program's name while it is there (its first output, its end)."""
        if self.program is None:
            self.program = procstate.command(self.leader) or None

    def exited(self, status: int) -> None:
        self.record("exit", status=status, program=self.program or "")

    def check_waiting(self, pty_fd: int, last_output: float) -> float | None:
        """Since when the program has waited for input, or None if it does not now."""
        now = time.time()
        if not procstate.waiting(pty_fd, self.leader) or now - last_output < MOMENT:
            self.waiting_since = None
            self.busy_seen = now
            return None
        if self.waiting_since is None:
            # It has waited at least since it last printed (its prompt), and
            # since we last saw it busy.
            self.waiting_since = max(last_output, self.busy_seen)
            self.record("input", since=self.waiting_since)
        return self.waiting_since

    def recent(self) -> list[dict[str, object]]:
        return self.kept[-SHOWN:]


def notify(master: Master) -> float | None:
    """Tell the terminals that asked when the program, after working alone, waits for input.

    Looks at the program once every :data:`LOOK` seconds, and only while a
    connection that asked for notifications (``attach {notify}``) is
    attached; returns the monotonic time of the next look, or None when no
    such connection is there (then the master has no timer for this).  A
    program that worked for :data:`LONG` seconds or more with no key from
    the user, then waits for input, is worth one notification.
    """
    listeners = [c for c in master.attached() if c.notify and c.writer]
    ev = master.events
    if not listeners:
        ev.busy_from = None
        return None
    now = time.monotonic()
    if now < ev.next_look:
        return ev.next_look
    ev.next_look = now + LOOK
    if master.status is not None or not master.pty_open or master.stopped:
        return ev.next_look
    if master.input_offset != ev.keys_seen:
        ev.keys_seen, ev.busy_from = master.input_offset, None  # the user is there, typing
        return ev.next_look
    since = ev.check_waiting(master.pty_fd, master.activity)
    if since is None:
        if ev.busy_from is None:
            ev.busy_from = time.time()
        return ev.next_look
    busy_from, ev.busy_from = ev.busy_from, None
    if busy_from is not None and since - busy_from >= LONG:
        text = f"sessmux: session {master.name} is waiting for input"
        last = next((e for e in reversed(ev.kept) if e["kind"] == "command"), None)
        if last is not None and isinstance(last["at"], float) and last["at"] >= busy_from:
            text += f" ({last['command']} ended with status {last['status']})"
        for conn in listeners:
            _tell(master, conn, text)
    return ev.next_look


def _tell(master: Master, conn: Conn, text: str) -> None:
    """An OSC 9 or 777 for ``conn``'s terminal, between two pieces of output."""
    body = "".join(c for c in text if c.isprintable())[:TEXT_MAX].encode()
    osc = (b"\x1b]9;" + body if conn.notify == "9"
           else b"\x1b]777;notify;sessmux;" + body) + b"\x07"
    if conn.offset != master.ring.end or conn.blob:
        return  # it has not seen all the output yet: no sequence may be cut in two
    if conn.framed:
        # Written as a repaint: bytes for the terminal that are not the session's output.
        conn.blob += resume_protocol.encode_repaint(conn.offset, osc)
    else:
        conn.blob += osc
    datapath.deliver(master, conn)
