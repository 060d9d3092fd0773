"""The master: one daemon per session, owner of the pty and the socket.

Does I/O.  It reads the program's output from the pty and writes it
straight to each attached client's own stdout (passed over the socket),
and reads the user's keys straight from the read-write client's stdin:
the data path has this one Python process in it (pty 4.0, DESIGN §1).

Every byte of output gets an offset in the replay :class:`Ring`; each
connection reads from the ring at its own offset.  Only a read-write
connection that keeps taking output holds the program back (as a terminal
does); one that stalls for :data:`STALL` seconds, and every watcher, just
fall behind, and are repainted when they drop out of the ring.  A resuming
client (``sessmux -s``) is different: it is expected back after an outage,
so the master keeps every byte it has not acknowledged, and holds the
program while the replay buffer is full of them -- for at most its hold
time (``sessmux -H``), after which the session runs free again
(:mod:`sessmux.master.hold`).  Requests from tools are answered from the
same loop; nothing in it blocks.

No client can exhaust it either: out of descriptors, it rests its
listener for :data:`LISTEN_REST` seconds instead of spinning on it; a
resuming client that reads nothing is not read from; the screen model is
at most :data:`VIEW_MAX` square; and a log it cannot write loses lines,
counted and reported once the log works again, never the session
(:mod:`sessmux.master.logfile`).

This module is the loop: the session's state, and each turn what it waits
for, how long, and where each event goes.  The data path is in
:mod:`~sessmux.master.datapath`, the connections in
:mod:`~sessmux.master.clients`, the requests in :mod:`~sessmux.master.requests`,
the program in :mod:`~sessmux.master.program`, the end in
:mod:`~sessmux.master.finish`.  It stays over 300 lines: what a turn waits
for (:meth:`Master.update_polling`, :meth:`Master.timeout`) mirrors what
it does on waking (:meth:`Master.dispatch`, :meth:`Master.check_timers`),
and the two read as one or not at all.
"""

from __future__ import annotations

import os
import time

from sessmux.core import control_protocol
from sessmux.core.ring import Ring
from sessmux.core.view import Answered, View
from sessmux.master import clients, datapath, ending, events, finish, program
from sessmux.master.datapath import EXIT_GRACE
from sessmux.master.hold import Hold
from sessmux.master.logfile import LogFile
from sessmux.master.polling import ERR, IN, OUT, Poller
from sessmux.system import registry_entry, signals, unix
from sessmux.system.ttyio import get_winsize

TYPE_CHECKING = False  # typing costs a megabyte per master
if TYPE_CHECKING:
    import signal

    from sessmux.master.connection import Conn
    from sessmux.master.journal import Writer
    from sessmux.system import utmp
else:  # the signal module's enums cost every command milliseconds (see sessmux.system.unix)
    import _signal as signal

LIVE_MIN = 1 << 16  # the ring never holds less, so live readers can lag a little
HIGH_WATER = 1 << 16  # a read-write terminal this far behind holds the program
STALL = 2.0  # ... unless it has taken nothing for this long
INPUT_LIMIT = 1 << 16
IDLE = 0.02  # seconds of quiet before the screen model is fed
ESCAPE_WAIT = 0.5  # a lone detach key detaches after this long without a second one
SOCKET_CHECK = 5.0  # seconds between checks that the session can still be reached
LISTEN_REST = 0.5  # out of descriptors: seconds before accepting is tried again
# The screen model is at most this big: pyte's cost grows with the cells
# (a 1000 x 1000 repaint takes a third of a second), and a terminal can say
# it has 65535 x 65535.  A bigger terminal is repainted in its top left part.
VIEW_MAX = 1000
REPLY_LIMIT = 1 << 16  # a resuming client owed this much is not read from


class Master:
    """The event loop of one session."""

    def __init__(
        self,
        name: str,
        directory: str,
        listener: unix.Socket,
        pty_fd: int,
        pid: int,
        gate_fd: int,
        ring_size: int,
        log_fd: int = -1,
    ) -> None:
        self.name = name
        self.path = os.path.join(directory, name)
        self.inode = os.stat(self.path).st_ino  # remove only our own socket at the end
        self.listener = listener
        self.pty_fd = pty_fd
        self.pid = pid
        self.gate_fd = gate_fd  # released on first attach: the program waits for it
        self.replay = ring_size  # how much a reconnect may be given back
        self.ring = Ring(max(ring_size, LIVE_MIN))
        self.logfile = LogFile(log_fd, f"master {name}")
        self.listen_at = 0.0  # the listener rests until then (out of descriptors)
        self.out_of_fds = False
        self.uid = os.getuid()
        self.conns: dict[int, Conn] = {}
        self.rw: Conn | None = None
        self.sent = 0  # output offset the last read-write connection had received
        self.tty_seen: int | None = None  # ... and the last terminal among them
        # ... and each terminal (by device) with the lines it showed, for its return.
        self.seen_by: dict[int, tuple[int, list[bytes]]] = {}
        self.journal: Writer | None = None  # every byte on disk (sessmux.master.journal)
        self.input_offset = 0  # bytes of input the program has been given
        self.tokens: dict[str, int] = {}  # input received from each resuming client
        self.hold = Hold(ring_size)  # output kept, and the program held, for a resuming client
        self.longname = ""
        self.reco: dict[str, object] | None = None
        self.stopped = False
        self.status: int | None = None  # exit code once the program has ended
        self.exit_deadline = 0.0
        self.pty_open = True
        self.created = time.time()
        self.activity = self.created
        self.disconnected_at: float | None = self.created
        self.inbuf = bytearray()
        self.done = False
        self._view: View | None = None
        self.answered = Answered()  # output a terminal was shown live (and answered)
        self.wants_view = False
        # SESSMUX_SCREEN=off: no screen model at all (benchmarks compare the cost).
        self.screen_model = os.environ.get("SESSMUX_SCREEN") != "off"
        self.orphan_timeout: float | None = None  # end after this long with no client
        self.utmp: utmp.Record | None = None
        self.next_check = time.monotonic() + SOCKET_CHECK
        self.pruned = False  # old registry entries are removed once, at the first check
        self.entry = registry_entry.open_entry(name, directory, os.getpid(), self.created)
        self.events = events.Events(pid, self.record_event)
        self.look_at: float | None = None  # next look for a notification (none wanted: None)
        self.poller = Poller()
        self.sigs = signals.SignalFD(signal.SIGCHLD)  # the program stopped, continued or ended
        os.set_blocking(pty_fd, False)
        listener.setblocking(False)

    # -- lifecycle ---------------------------------------------------------

    def log(self, text: str) -> None:
        """A line in the -o file.  A log that cannot be written never harms the session."""
        self.logfile.write(text)

    def record_event(self, kind: str, fields: dict[str, object]) -> None:
        """Every event of :mod:`sessmux.master.events`, as it happens, into the journal."""
        if self.journal is not None:
            self.journal.event(kind, fields, self.ring.end, time.time())

    def rest_listener(self, why: str) -> None:
        """Stop accepting for a moment: the master is out of descriptors."""
        self.listen_at = time.monotonic() + LISTEN_REST
        if not self.out_of_fds:
            self.out_of_fds = True
            self.log(f"{why}; accepting again every {LISTEN_REST:g} s")

    def accepted(self) -> None:
        if self.out_of_fds:
            self.out_of_fds = False
            self.log("accepting connections again")

    @property
    def view(self) -> View:
        """The screen model, made on first use (the master starts without pyte)."""
        if self._view is None:
            rows, cols = get_winsize(self.pty_fd) or (24, 80)
            self._view = View(min(rows, VIEW_MAX) or 24, min(cols, VIEW_MAX) or 80,
                              self.answer, self.answered, self.log)
            self._view.fed = self._view.origin = self.ring.start
        return self._view

    def run(self) -> None:
        """Serve until the session ends."""
        self.reap()
        while not self.done:
            self.update_polling()
            try:
                events = self.wait()
            except InterruptedError:
                continue
            for fd, ev in events:
                try:
                    self.dispatch(fd, ev)
                except Exception:  # noqa: BLE001 - one bad event must not end the session
                    self.log("error, dropping that connection: " + _traceback())
                    conn = self.conns.get(fd) or next(
                        (c for c in self.attached() if fd in (c.in_fd, c.out_fd)), None)
                    if conn is not None:
                        ending.drop(self, conn)
            now = time.monotonic()
            if self.status is not None and self.pty_open:
                if self.holding():
                    # The program's last words wait in the pty: the grace starts
                    # when we read again.
                    self.exit_deadline = now + EXIT_GRACE
                elif now >= self.exit_deadline:
                    self.pty_open = False
            if not events and self.view_behind():
                self.view.step(self.ring)
            self.check_timers()
            finish.maybe_finish(self)
        self.log("ending")
        finish.cleanup(self)

    def wait(self) -> list[tuple[int, int]]:
        """The descriptors ready, waiting no longer than the journal's gathered records may."""
        timeout = self.timeout()
        journal = self.journal
        due = journal.due() if journal is not None else None
        if due is None:
            return self.poller.poll.poll(timeout)
        assert journal is not None
        left = due - time.monotonic()
        events = self.poller.poll.poll(0 if left <= 0 else min(timeout, int(left * 1000) + 1))
        if time.monotonic() >= due:
            journal.flush()  # gathered long enough: on disk, busy or not
        return events

    def timeout(self) -> int:
        """Milliseconds the loop may sleep: until the next thing to check."""
        waits = []
        holding = self.holding()
        if self.status is not None and self.pty_open and not holding:
            waits.append(self.exit_deadline - time.monotonic())
        if self.view_behind():
            waits.append(IDLE)
        if holding and self.hold.since is not None:
            waits.append(self.hold.since + self.hold.seconds - time.monotonic())
        elif holding:
            assert self.rw is not None
            waits.append(self.rw.progress + STALL - time.monotonic())
        if self.rw is not None and self.rw.escape_at is not None:
            waits.append(self.rw.escape_at + ESCAPE_WAIT - time.monotonic())
        if self.rw is None and self.orphan_timeout and self.disconnected_at is not None:
            waits.append(self.disconnected_at + self.orphan_timeout - time.time())
        if self.listen_at:
            waits.append(self.listen_at - time.monotonic())
        waits.append(self.next_check - time.monotonic())
        if self.look_at is not None:
            waits.append(self.look_at - time.monotonic())
        return max(0, int(min(waits) * 1000) + 1)

    def check_timers(self) -> None:
        """Orphan timeout, a lone detach key, and whether we can still be reached."""
        now = time.monotonic()
        rw = self.rw
        if rw is not None and rw.escape_at is not None and now >= rw.escape_at + ESCAPE_WAIT:
            rw.escape_at = None
            ending.detach(self, rw, notify="detached")
        self.look_at = events.notify(self)
        if (self.rw is None and self.orphan_timeout and self.disconnected_at is not None
                and time.time() - self.disconnected_at >= self.orphan_timeout):
            # atsr -x: a session orphaned for longer than this is ended.
            self.log(f"orphaned for {self.orphan_timeout:g} s; ending the session")
            self.done = True
        if now >= self.next_check:
            self.next_check = now + SOCKET_CHECK
            finish.check_socket(self)
            if not self.pruned:
                # Not at start-up: reading every entry would delay the first attach.
                self.pruned = True
                self.entry.prune()

    def view_behind(self) -> bool:
        """Whether the idle loop should feed the screen model now."""
        if not self.screen_model:
            return False
        if self._view is not None:
            return self.ring.end > self._view.fed
        # No model yet (pyte costs megabytes per session): make one when the
        # session has printed while no terminal is attached, so that the next
        # terminal is repainted at once rather than after pyte catches up;
        # when output would leave the ring unseen; or when the program asks
        # the terminal something that no terminal is there to answer.
        if self.rw is None and self.ring.end > self.ring.start:
            return True
        return self.wants_view or self.ring.end - self.ring.start > self.ring.capacity // 2

    # -- polling -----------------------------------------------------------

    def attached(self) -> list[Conn]:
        return [c for c in self.conns.values() if c.attached]

    def live(self, conn: Conn) -> bool:
        """Whether output flows to ``conn`` now (the writer pauses while stopped)."""
        return conn.attached and not conn.held and not (conn.writer and self.stopped)

    def holding(self) -> bool:
        """Whether the read-write terminal, or a resuming client, holds the program back."""
        room = self.resume_room()
        if room is not None and room <= 0:
            self.hold.started(time.monotonic())
            return True
        rw = self.rw
        return (
            rw is not None and self.live(rw) and rw.backlog(self.ring) >= HIGH_WATER
            and time.monotonic() - rw.progress < STALL
        )

    def resume_room(self) -> int | None:
        """Output that may still be read before the resuming client's would be lost (see Hold)."""
        if self.hold.run_out(time.monotonic()):
            self.log(f"held the program {self.hold.seconds:g} s; it runs free again")
        return self.hold.room(self.ring.end)

    def writer_attached(self, conn: Conn, hold_for: object) -> None:
        self.hold.attached(conn, hold_for)

    def acknowledged(self, conn: Conn, offset: int) -> None:
        if conn is self.rw:
            self.hold.acknowledged(conn, offset, self.ring.end)

    def want(self, fd: int, events: int) -> None:
        self.poller.want(fd, events)

    def forget(self, fd: int) -> None:
        self.poller.forget(fd)

    def update_polling(self) -> None:
        pty_events = (IN if not self.holding() else 0) | (OUT if self.inbuf else 0)
        self.want(self.pty_fd, pty_events if self.pty_open else 0)
        self.want(self.sigs.fd, IN)
        if self.listen_at and time.monotonic() >= self.listen_at:
            self.listen_at = 0.0
        self.want(self.listener.fileno(), 0 if self.listen_at else IN)
        for fd, conn in self.conns.items():
            self.want(fd, IN | (OUT if conn.control else 0))
            if not conn.attached:
                continue
            due = self.live(conn) and conn.backlog(self.ring) > 0
            reading = not conn.input_eof and self.live(conn)
            if conn.writer:
                # A resuming client's frames are read to the end: its acks free output.
                reading = (reading and len(self.inbuf) < INPUT_LIMIT
                           and (self.status is None or conn.framed))
            if conn.framed and len(conn.blob) >= REPLY_LIMIT:
                # Pings and data it sends are answered in frames it must read
                # first: one that never reads is not heard, not queued for.
                reading = False
            if conn.in_fd == conn.out_fd:
                self.want(conn.in_fd, (IN if reading else 0) | (OUT if due else 0))
            else:
                self.want(conn.in_fd, IN if reading else 0)
                self.want(conn.out_fd, OUT if due else 0)

    def dispatch(self, fd: int, ev: int) -> None:
        if fd == self.pty_fd:
            if ev & OUT:
                datapath.write_input(self)
            if ev & (IN | ERR):
                datapath.read_output(self)
        elif fd == self.sigs.fd:
            self.sigs.drain()
            self.reap()
        elif fd == self.listener.fileno():
            clients.accept(self)
        elif fd in self.conns:
            conn = self.conns[fd]
            if ev & OUT:
                ending.write_control(self, conn)
            if ev & (IN | ERR) and fd in self.conns:
                clients.read_control(self, conn)
        else:
            for conn in self.attached():
                if fd == conn.in_fd and ev & (IN | ERR):
                    datapath.read_input(self, conn)
                if fd == conn.out_fd and ev & (OUT | ERR) and conn.attached:
                    datapath.deliver(self, conn)

    # -- the program -------------------------------------------------------

    def answer(self, reply: bytes) -> None:
        """The screen model answers the queries no terminal was shown (see ``answered``)."""
        self.inbuf += reply

    def reap(self) -> None:
        self.events.learn()  # an ended program's name is readable until it is reaped
        if self.status is not None:
            return
        for what, number in program.reap(self.pid):
            if what == program.STOPPED:
                self.stopped = True
                if self.rw is not None:
                    self.rw.send(control_protocol.stopped(number))
            elif what == program.CONTINUED:
                self.stopped = False
            else:
                self.status = number
                self.stopped = False
                self.exit_deadline = time.monotonic() + EXIT_GRACE
                self.log(f"program ended, status {self.status}")
                self.events.exited(self.status)

    def continue_program(self) -> None:
        self.stopped = False
        program.cont(self.pid)

    def resize(self, rows: int, cols: int, force: bool) -> None:
        if self.status is not None or not (0 < rows <= 0xFFFF and 0 < cols <= 0xFFFF):
            return
        if self._view is not None:
            self._view.resize(self.ring, min(rows, VIEW_MAX), min(cols, VIEW_MAX))
        program.resize(self.pty_fd, rows, cols, force)


def _traceback() -> str:
    # Imported only when something went wrong: traceback brings re and tokenize.
    try:
        import traceback

        return traceback.format_exc()
    except Exception as e:  # noqa: BLE001 - out of descriptors, it cannot even be imported
        return f"(no traceback: {e})"
