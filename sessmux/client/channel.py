"""Talking to masters: one request, or a status query of many at once.

Does I/O on Unix sockets.  Lenient where listing (a dead socket is skipped
and removed), loud where targeted (:class:`~sessmux.core.errors.NoSession`).
No call waits on one master longer than its timeout, so a stopped or
stuck master can delay a tool but never hang it.
"""

from __future__ import annotations

import os
import select
import time

from sessmux.core import control_protocol
from sessmux.core.errors import (
    RESOURCE_ERRNOS,
    TOOL,
    NoSession,
    OutOfResources,
    SessError,
    WrongPeer,
)
from sessmux.system import unix
from sessmux.system.paths import session_names, socket_path

TIMEOUT = 5.0
LIST_TIMEOUT = 1.0
RESERVE = 8  # descriptors a listing leaves for everything else (stdout, /proc, ...)
RETRY = 0.01  # seconds before asking again a master whose backlog was full


class Channel:
    """A greeted connection to one master, with the messages it has sent us."""

    def __init__(self, sock: unix.Socket, name: str) -> None:
        self.sock = sock
        self.name = name
        self.decoder = control_protocol.Decoder()
        self.inbox: list[control_protocol.Message] = []

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, msg: control_protocol.Message, fds: list[int] | None = None) -> None:
        try:
            if fds:
                unix.send_fds(self.sock, [control_protocol.encode(msg)], fds)
            else:
                self.sock.sendall(control_protocol.encode(msg))
        except OSError:
            raise SessError(f"session {self.name} refuses to listen", TOOL, "weird") from None

    def fill(self) -> bool:
        """Read once; False at end of stream (or on a broken frame)."""
        try:
            data = self.sock.recv(65536)
            if data:
                self.inbox.extend(self.decoder.feed(data))
                return True
        except TimeoutError:
            raise SessError(f"session {self.name} refuses to respond", TOOL, "weird") from None
        except (OSError, control_protocol.ProtocolError):
            pass
        return False

    def receive(self) -> control_protocol.Message:
        """The next message (blocking, within the socket's timeout)."""
        while not self.inbox:
            if not self.fill():
                raise SessError(f"session {self.name} refuses to respond", TOOL, "weird")
        return self.inbox.pop(0)

    def close(self) -> None:
        self.sock.close()


def connect(directory: str, name: str, timeout: float = TIMEOUT,
            owner: int | None = None) -> Channel:
    """A connection to session ``name``'s master, greeted.

    Its peer must run as ``owner`` (default: us) or root before anything
    is sent: see :func:`~sessmux.system.unix.trusted_peer`.  Only root may name
    another owner, to look after that user's sessions.
    """
    path = socket_path(directory, name)
    try:
        sock = unix.Socket()
    except OSError as e:
        raise OutOfResources(f"cannot make a socket: {e.strerror}") from None
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except ConnectionRefusedError:
        sock.close()
        unix.remove_dead(path)
        raise NoSession(name) from None
    except OSError:
        sock.close()
        raise NoSession(name) from None
    if not unix.trusted_peer(sock, owner):
        uid = _peer(sock)
        sock.close()
        raise WrongPeer(name, uid)
    channel = Channel(sock, name)
    channel.send(control_protocol.hello())
    return channel


def _peer(sock: unix.Socket) -> int:
    try:
        return unix.peer_uid(sock)
    except OSError:
        return -1


def request(directory: str, name: str, msg: control_protocol.Message,
            owner: int | None = None) -> control_protocol.Message:
    """Send one request and return the master's reply (``owner``: see :func:`connect`)."""
    channel = connect(directory, name, owner=owner)
    try:
        channel.send(msg)
        return channel.receive()
    finally:
        channel.close()


def fd_budget(reserve: int = RESERVE) -> int:
    """How many more descriptors this process may open, less ``reserve`` for the rest.

    The soft ``RLIMIT_NOFILE`` less what is open now (``/proc/self/fd``):
    how many masters a listing may ask at once.
    """
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        used = len(os.listdir("/proc/self/fd"))
    except OSError:
        used = 3 + reserve  # no /proc, or no descriptor left to read it with
    limit = soft if soft != resource.RLIM_INFINITY else 1 << 16
    return max(0, min(limit, 1 << 16) - used - reserve)


def statuses(directory: str, timeout: float = LIST_TIMEOUT,
             owner: int | None = None) -> list[control_protocol.Message]:
    """Status of every session in ``directory``, queried concurrently.

    Stale sockets are removed; masters that do not answer within
    ``timeout`` of being asked are skipped (pty 4.0 ``sesslist``: any
    failure skips that entry), and so are sockets held by another user.
    As many masters are asked at once as the descriptor limit leaves room
    for (``poll``, so no ``select`` ceiling); the rest wait their turn,
    so thousands of sessions are all listed.  Raises
    :class:`~sessmux.core.errors.OutOfResources` only when not even one can be
    asked.  ``owner``: whose masters to believe (see :func:`connect`).
    """
    return _Survey(directory, timeout, owner).run()


class _Survey:
    """One listing: a queue of names, the connections open, a poll set."""

    def __init__(self, directory: str, timeout: float, owner: int | None = None) -> None:
        self.directory = directory
        self.timeout = timeout
        self.owner = owner
        # A stack (the next name last); names asked again later go to the bottom.
        self.queue = [(name, 0.0) for name in session_names(directory)][::-1]
        self.pending: dict[int, tuple[str, unix.Socket, control_protocol.Decoder, float]] = {}
        self.poller = select.poll()
        self.found: list[control_protocol.Message] = []
        self.room = max(1, fd_budget())
        self.query = control_protocol.encode(control_protocol.hello()) + control_protocol.encode(
            control_protocol.status()
        )

    def run(self) -> list[control_protocol.Message]:
        try:
            while self.queue or self.pending:
                self._ask_more()
                self._collect()
        finally:
            for _, sock, _, _ in self.pending.values():
                sock.close()
        return self.found

    def _ask_more(self) -> None:
        later: list[tuple[str, float]] = []
        while self.queue and len(self.pending) < self.room:
            name, first = self.queue.pop()
            now = time.monotonic()
            if first and now - first > self.timeout:
                continue  # its backlog stayed full: a stuck master
            if not self._ask(name, first or now):
                later.append((name, first or now))
        self.queue[:0] = later

    def _ask(self, name: str, first: float) -> bool:
        """Connect and send the query; False to try ``name`` again shortly."""
        path = os.path.join(self.directory, name)
        try:
            sock = unix.Socket()
        except OSError as e:
            return self._short(e)
        sock.setblocking(False)
        try:
            sock.connect(path)
        except ConnectionRefusedError:
            sock.close()
            unix.remove_dead(path)
            return True
        except BlockingIOError:  # the master's backlog is full: it is busy, not dead
            sock.close()
            return False
        except OSError as e:
            sock.close()
            return self._short(e) if e.errno in RESOURCE_ERRNOS else True
        try:
            if not unix.trusted_peer(sock, self.owner):
                sock.close()
                return True  # another user's socket: not a session of ours
            sock.send(self.query)
        except OSError:
            sock.close()
            return True
        fd = sock.fileno()
        self.pending[fd] = (name, sock, control_protocol.Decoder(), time.monotonic() + self.timeout)
        self.poller.register(fd, select.POLLIN)
        return True

    def _short(self, error: OSError) -> bool:
        """Out of descriptors: wait for the open ones, or give up if none is open."""
        if error.errno not in RESOURCE_ERRNOS:
            return True
        if not self.pending:
            raise OutOfResources(f"cannot ask any session: {error.strerror}")
        self.room = len(self.pending)
        return False

    def _collect(self) -> None:
        if not self.pending:
            if self.queue:
                time.sleep(RETRY)  # only full backlogs left: give their masters a moment
            return
        now = time.monotonic()
        first = min(deadline for _, _, _, deadline in self.pending.values())
        wait = max(0.0, first - now)
        if self.queue and len(self.pending) < self.room:
            wait = min(wait, RETRY)
        for fd, _ in self.poller.poll(int(wait * 1000) + 1):
            self._read(fd)
        now = time.monotonic()
        for fd in [fd for fd, entry in self.pending.items() if entry[3] <= now]:
            self._drop(fd)

    def _read(self, fd: int) -> None:
        if fd not in self.pending:
            return
        _, sock, decoder, _ = self.pending[fd]
        try:
            data = sock.recv(65536)
            msgs = decoder.feed(data) if data else None
        except BlockingIOError:
            return
        except (OSError, control_protocol.ProtocolError):
            msgs = None
        if msgs is None or msgs:
            self._drop(fd)
            if msgs and msgs[0].get("t") == "status":
                self.found.append(msgs[0])

    def _drop(self, fd: int) -> None:
        _, sock, _, _ = self.pending.pop(fd)
        self.poller.unregister(fd)
        sock.close()
