"""Talking to masters: one request, or a status query of many at once.

Does I/O on Unix sockets.  Lenient where listing (a dead socket is skipped
and removed), loud where targeted (:class:`~sessmux.errors.NoSession`).
No call waits on one master longer than its timeout, so a stopped or
stuck master can delay a tool but never hang it.
"""

from __future__ import annotations

import os
import select
import stat
import time

from sessmux import protocol, unix
from sessmux.errors import NoSession, SessError
from sessmux.names import is_valid
from sessmux.paths import socket_path

TIMEOUT = 5.0
LIST_TIMEOUT = 1.0


class Channel:
    """A greeted connection to one master, with the messages it has sent us."""

    def __init__(self, sock: unix.Socket, name: str) -> None:
        self.sock = sock
        self.name = name
        self.decoder = protocol.Decoder()
        self.inbox: list[protocol.Message] = []

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, msg: protocol.Message, fds: list[int] | None = None) -> None:
        try:
            if fds:
                unix.send_fds(self.sock, [protocol.encode(msg)], fds)
            else:
                self.sock.sendall(protocol.encode(msg))
        except OSError:
            raise SessError(f"session {self.name} refuses to listen", 2, "weird") from None

    def fill(self) -> bool:
        """Read once; False at end of stream (or on a broken frame)."""
        try:
            data = self.sock.recv(65536)
            if data:
                self.inbox.extend(self.decoder.feed(data))
                return True
        except TimeoutError:
            raise SessError(f"session {self.name} refuses to respond", 2, "weird") from None
        except (OSError, protocol.ProtocolError):
            pass
        return False

    def receive(self) -> protocol.Message:
        """The next message (blocking, within the socket's timeout)."""
        while not self.inbox:
            if not self.fill():
                raise SessError(f"session {self.name} refuses to respond", 2, "weird")
        return self.inbox.pop(0)

    def close(self) -> None:
        self.sock.close()


def connect(directory: str, name: str, timeout: float = TIMEOUT) -> Channel:
    """A connection to session ``name``'s master, greeted."""
    path = socket_path(directory, name)
    sock = unix.Socket()
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except ConnectionRefusedError:
        sock.close()
        _remove_stale(path)
        raise NoSession(name) from None
    except OSError:
        sock.close()
        raise NoSession(name) from None
    channel = Channel(sock, name)
    channel.send(protocol.hello())
    return channel


def _remove_stale(path: str) -> None:
    """Remove a dead master's socket (refused connections); anything else stays."""
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
    except OSError:
        pass


def request(directory: str, name: str, msg: protocol.Message) -> protocol.Message:
    """Send one request and return the master's reply."""
    channel = connect(directory, name)
    try:
        channel.send(msg)
        return channel.receive()
    finally:
        channel.close()


def session_names(directory: str) -> list[str]:
    """Names of the sockets in ``directory`` (unsorted, as a listing finds them)."""
    try:
        entries = os.listdir(directory)
    except OSError:
        return []
    return [n for n in entries if is_valid(n)]


def statuses(directory: str, timeout: float = LIST_TIMEOUT) -> list[protocol.Message]:
    """Status of every session in ``directory``, queried concurrently.

    Stale sockets are removed; masters that do not answer in time are
    skipped (pty 4.0 ``sesslist``: any failure skips that entry).
    """
    pending: dict[int, tuple[str, unix.Socket, protocol.Decoder]] = {}
    query = protocol.encode(protocol.hello()) + protocol.encode({"t": "status"})
    for name in session_names(directory):
        path = os.path.join(directory, name)
        sock = unix.Socket()
        sock.setblocking(False)
        try:
            sock.connect(path)
            sock.send(query)
        except ConnectionRefusedError:
            sock.close()
            _remove_stale(path)
            continue
        except OSError:
            sock.close()
            continue
        pending[sock.fileno()] = (name, sock, protocol.Decoder())
    found: list[protocol.Message] = []
    deadline = time.monotonic() + timeout
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select(list(pending), [], [], left)
        for fd in ready:
            name, sock, decoder = pending[fd]
            try:
                data = sock.recv(65536)
                msgs = decoder.feed(data) if data else None
            except (OSError, protocol.ProtocolError):
                msgs = None
            if msgs is None or msgs:
                del pending[fd]
                sock.close()
                if msgs and msgs[0].get("t") == "status":
                    found.append(msgs[0])
    for _, sock, _ in pending.values():
        sock.close()
    return found
