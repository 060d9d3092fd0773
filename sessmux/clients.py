"""The master's connections: accepting them, their control frames, ending them.

Does I/O on the session's socket; these are methods of a
:class:`~sessmux.master.Master`, kept apart like :mod:`sessmux.requests`.
Every connection's peer must be the session's owner or root
(``SO_PEERCRED``).  A connection that sends a bad frame, or reads nothing
of what it is sent, is dropped; dropping the read-write one disconnects
the session, as in pty 4.0.  A client that breaks the protocol (a bad
frame, a field of the wrong type or out of range, more replies owed than
:data:`CONTROL_LIMIT`) is told why in one ``error`` reply and loses its
connection; the session goes on.
"""

from __future__ import annotations

import errno
import os
import struct
import time

from sessmux import protocol, requests, unix
from sessmux.connection import Conn
from sessmux.errors import COMMS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sessmux.master import Master

CONTROL_LIMIT = 1 << 20  # a client that reads nothing is dropped past this
_UCRED = struct.Struct("3i")


def accept(master: Master) -> None:
    try:
        sock, _ = master.listener.accept()
    except BlockingIOError:
        return
    except OSError as e:
        if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
            # Out of descriptors: the connection stays queued and the listener
            # stays readable.  Polling it again at once would spin; rest it.
            master.rest_listener(f"cannot accept a connection: {e.strerror}")
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
    master.accepted()


def read_control(master: Master, conn: Conn) -> None:
    try:
        data, fds, _, _ = unix.recv_fds(conn.sock, 65536, 4)
    except (BlockingIOError, InterruptedError):
        return
    except OSError:
        data, fds = b"", []
    if not data:
        _close_all(fds)
        drop(master, conn)
        return
    if conn.closing:
        _close_all(fds)  # refused or done: what it still says is not heard
        return
    # Descriptors come with the request they belong to, in one sendmsg: the
    # kernel hands them over with the first bytes of that write.  An attach
    # in this read may take them; whatever is left is closed at once.
    conn.fds = fds
    try:
        for msg in conn.decoder.feed(data):
            requests.handle(master, conn, msg)
            if conn.sock.fileno() < 0 or conn.closing:
                break
            if len(conn.control) > CONTROL_LIMIT:
                # It asks and never reads the answers: not without bound.
                refuse(master, conn, "too many replies not read")
                break
    except protocol.ProtocolError as e:
        refuse(master, conn, str(e))
    finally:
        _close_all(conn.fds)
        conn.fds = []


def refuse(master: Master, conn: Conn, reason: str) -> None:
    """A client broke the protocol: tell it why, and close its connection only."""
    master.log(f"closing a connection: {reason}")
    if conn.sock.fileno() < 0:
        return
    conn.control.clear()  # whatever it was owed, it gets this last word only
    conn.send({"t": "error", "code": COMMS, "msg": f"protocol error: {reason}"})
    if conn.attached:
        detach(master, conn, notify=None)
    conn.closing = True
    write_control(master, conn)


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


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
    _close_all(conn.fds)
    conn.fds = []
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
