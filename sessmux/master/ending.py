"""Ending a master's connections: a data connection detached, a connection dropped.

Does I/O on the session's socket and the client's terminal.  Every other
part of the master ends connections through here (the loop, the control
requests, the data path), so this module imports none of them: the
master's modules import each other only downwards, loop -> clients ->
requests -> datapath -> ending, besides the type-only import of
:class:`~sessmux.master.loop.Master` that each of them makes.  Detaching
the read-write connection is a disconnect (pty 4.0); the user's terminal
is given back sane first.
"""

from __future__ import annotations

import os
import time

from sessmux.core import control_protocol

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sessmux.master.connection import Conn
    from sessmux.master.loop import Master


def write_control(master: Master, conn: Conn) -> None:
    try:
        n = conn.sock.send(conn.control)
    except BlockingIOError:
        return
    except OSError:
        drop(master, conn)
        return
    del conn.control[:n]
    if not conn.control and conn.closing:
        drop(master, conn)


def drop(master: Master, conn: Conn) -> None:
    """Forget a connection; losing the read-write one is a disconnect."""
    if conn.attached:
        detach(master, conn, notify=None)
    fd = conn.sock.fileno()
    master.forget(fd)
    master.conns.pop(fd, None)
    close_all(conn.fds)
    conn.fds = []
    conn.sock.close()


def detach(master: Master, conn: Conn, notify: str | None) -> None:
    """End ``conn``'s data connection; tell its signaller why."""
    # A framed link (rezume) carries frames only: no raw reset on it.
    if conn.tty and not conn.framed and notify in control_protocol.ENDINGS:
        from sessmux.core.render import reset_sequence

        view = master._view
        reset = view.reset_sequence(master.ring) if view is not None else reset_sequence()
        try:
            os.write(conn.out_fd, reset)  # give the terminal back sane
        except OSError:
            pass
    if conn is master.rw:
        master.sent = conn.offset
        master.answered.cut(conn.offset)  # the rest never reached it: the model answers
        if conn.tty:
            master.tty_seen = master.sent
            master.seen_by.pop(conn.terminal, None)  # the newest last: the oldest go first
            view = master._view
            master.seen_by[conn.terminal] = (master.sent, view.rows() if view else [])
            if len(master.seen_by) > 64:
                del master.seen_by[next(iter(master.seen_by))]
        master.rw = None
        master.reco = None  # pty 4.0: a disconnect clears the reconnect target
        master.disconnected_at = time.time()
        master.entry.disconnected()
        master.log("disconnected")
    for fd in {conn.in_fd, conn.out_fd}:
        master.forget(fd)
    conn.close_data()
    if notify:
        conn.send(control_protocol.ended(notify))
    conn.closing = True
    if not conn.control:
        drop(master, conn)


def close_all(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
