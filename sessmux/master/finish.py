"""How a session ends: the last words, the records, and a socket gone missing.

Does I/O on what a :class:`~sessmux.master.loop.Master` holds, as
:mod:`sessmux.master.datapath` does.  A session ends when its program is
gone and its last output delivered (pty 4.0: with a read-write client
there to take it), when nobody can reach it any more, or when it is
killed; then the clients get their last words, bounded in time, the
program a hang-up if it still runs, and the registry and utmp their end.
"""

from __future__ import annotations

import os
import time

from sessmux.core import control_protocol, resume_protocol
from sessmux.master import datapath, ending
from sessmux.system import unix
from sessmux.system.ready import ready

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal

    from sessmux.master.connection import Conn
    from sessmux.master.loop import Master
else:  # the signal module's enums cost every command milliseconds (see sessmux.system.unix)
    import _signal as signal


def check_socket(master: Master) -> None:
    """A master nobody can reach, whose program is gone, ends; else it re-listens."""
    try:
        if os.stat(master.path).st_ino == master.inode:
            return
    except OSError:
        pass
    if master.status is not None and master.rw is None:
        master.log("socket gone and program ended: nobody can reach us; ending")
        master.done = True
        return
    try:
        fresh = unix.listen_at(master.path)
        fresh.setblocking(False)
    except OSError as e:
        master.log(f"socket gone and cannot be made again: {e}")
        return
    master.forget(master.listener.fileno())
    master.listener.close()
    master.listener = fresh
    master.inode = os.stat(master.path).st_ino
    master.log("socket was removed; listening again")


def cleanup(master: Master) -> None:
    """The session is over: its socket, its program, its clients, its records."""
    if master.journal is not None:
        master.journal.flush()  # the last words on disk before any client hears of the end
    try:
        if os.stat(master.path).st_ino == master.inode:
            os.unlink(master.path)
    except OSError:
        pass
    if master.status is None:
        # pty 4.0 sesskill: the program gets a HUP as the session ends.
        for sig in (signal.SIGHUP, signal.SIGCONT):
            try:
                os.killpg(master.pid, sig)
            except OSError:
                pass
    for conn in list(master.conns.values()):
        flush_blocking(conn)
        ending.drop(master, conn)
    # The records last: the clients waiting for our last words go first.
    master.entry.ended()
    if master.utmp is not None:
        master.utmp.remove()
    master.sigs.close()


def flush_blocking(conn: Conn, limit: float = 1.0) -> None:
    """Last words to a client before the master exits, bounded in time."""
    deadline = time.monotonic() + limit
    while conn.control and time.monotonic() < deadline:
        try:
            n = conn.sock.send(conn.control)
            del conn.control[:n]
        except BlockingIOError:
            ready([], [conn.sock.fileno()], max(0.0, deadline - time.monotonic()))
        except OSError:
            break


def maybe_finish(master: Master) -> None:
    """End when the program is gone and its output drained and delivered."""
    if master.status is None or master.pty_open or master.done:
        return
    rw = master.rw
    if rw is None or rw.backlog(master.ring):
        return  # pty 4.0: wait, with the last output, for a reconnect
    if rw.held:
        return  # its signaller has not said go: it would find us gone
    if rw.framed and not rw.exit_sent:
        rw.exit_sent = True  # the resuming client learns it for certain
        rw.blob += resume_protocol.encode_exit(master.status)
        datapath.deliver(master, rw)
        if rw.backlog(master.ring) or master.rw is not rw:
            return
        # Said: end now.  (Its frames are read to the end, so waiting a turn
        # could meet the client's goodbye first and leave us waiting for it.)
    for conn in master.attached():
        conn.send(control_protocol.exited(master.status))
        ending.detach(master, conn, notify=None)
    master.done = True
