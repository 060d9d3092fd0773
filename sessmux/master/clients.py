"""The master's connections: accepting them, their control frames, ending them.

Does I/O on the session's socket; these are methods of a
:class:`~sessmux.master.loop.Master`, kept apart like :mod:`sessmux.master.requests`.
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

from sessmux.core import control_protocol
from sessmux.core.errors import COMMS, TOOL
from sessmux.master import ending, requests
from sessmux.master.connection import Conn
from sessmux.system import unix

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sessmux.master.loop import Master

CONTROL_LIMIT = 1 << 20  # a client that reads nothing is dropped past this


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
    uid = unix.peer_uid(sock)
    if uid not in (master.uid, 0):
        # Only the owner (and root) may talk to a session.
        master.log(f"refused a connection from uid {uid}")
        try:
            sock.send(
                control_protocol.encode(control_protocol.error(TOOL, "permission denied"))
            )
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
        ending.close_all(fds)
        ending.drop(master, conn)
        return
    if conn.closing:
        ending.close_all(fds)  # refused or done: what it still says is not heard
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
    except control_protocol.ProtocolError as e:
        refuse(master, conn, str(e))
    finally:
        ending.close_all(conn.fds)
        conn.fds = []


def refuse(master: Master, conn: Conn, reason: str) -> None:
    """A client broke the protocol: tell it why, and close its connection only."""
    master.log(f"closing a connection: {reason}")
    if conn.sock.fileno() < 0:
        return
    conn.control.clear()  # whatever it was owed, it gets this last word only
    conn.send(control_protocol.error(COMMS, f"protocol error: {reason}"))
    if conn.attached:
        ending.detach(master, conn, notify=None)
    conn.closing = True
    ending.write_control(master, conn)
