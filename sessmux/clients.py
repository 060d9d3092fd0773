"""The master's connections: accepting them, their control frames, ending them.

Does I/O on the session's socket; these are methods of a
:class:`~sessmux.master.Master`, kept apart like :mod:`sessmux.requests`.
Every connection's peer must be the session's owner or root
(``SO_PEERCRED``).  A connection that sends a bad frame, or reads nothing
of what it is sent, is dropped; dropping the read-write one disconnects
the session, as in pty 4.0.
"""

from __future__ import annotations

import os
import struct
import time

from sessmux import protocol, requests, unix
from sessmux.connection import Conn

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sessmux.master import Master

CONTROL_LIMIT = 1 << 20  # a client that reads nothing is dropped past this
_UCRED = struct.Struct("3i")


def accept(master: Master) -> None:
    try:
        sock, _ = master.listener.accept()
    except OSError:
        return
    _, uid, _ = _UCRED.unpack(
        sock.getsockopt(unix.SOL_SOCKET, unix.SO_PEERCRED, _UCRED.size)
    )
    if uid not in (master.uid, 0):
        # Only the owner (and root) may talk to a session.
        master.log(f"refused a connection from uid {uid}")
        try:
            sock.send(protocol.encode({"t": "error", "code": 2, "msg": "permission denied"}))
        except OSError:
            pass
        sock.close()
        return
    sock.setblocking(False)
    master.conns[sock.fileno()] = Conn(sock)


def read_control(master: Master, conn: Conn) -> None:
    try:
        data, fds, _, _ = unix.recv_fds(conn.sock, 65536, 4)
    except (BlockingIOError, InterruptedError):
        return
    except OSError:
        data, fds = b"", []
    conn.fds.extend(fds)
    if not data:
        drop(master, conn)
        return
    try:
        for msg in conn.decoder.feed(data):
            requests.handle(master, conn, msg)
            if conn.sock.fileno() < 0:
                return
    except (protocol.ProtocolError, KeyError, TypeError, ValueError) as e:
        master.log(f"closing a connection: {e}")
        drop(master, conn)
    if len(conn.control) > CONTROL_LIMIT:
        drop(master, conn)


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
    for extra in conn.fds:
        os.close(extra)
    conn.fds.clear()
    conn.sock.close()


def detach(master: Master, conn: Conn, notify: str | None) -> None:
    """End ``conn``'s data connection; tell its signaller why."""
    # A framed link (rezume) carries frames only: no raw reset on it.
    if conn.tty and not conn.framed and notify in ("disconnected", "detached", "takenover",
                                                   "killed"):
        from sessmux.render import reset_sequence

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
        master.rw = None
        master.reco = None  # pty 4.0: a disconnect clears the reconnect target
        master.disconnected_at = time.time()
        master.entry.disconnected()
        master.log("disconnected")
    for fd in {conn.in_fd, conn.out_fd}:
        master.forget(fd)
    conn.close_data()
    if notify:
        conn.send({"t": notify})
    conn.closing = True
    if not conn.control:
        drop(master, conn)
