"""Unix-domain sockets without the ``socket`` module.

Does I/O.  ``socket`` wraps CPython's ``_socket`` in enums and brings
``selectors`` along (and ``signal`` its own enums): about 7 ms at the start
of every command and a megabyte in every master, for nothing sessmux
uses.  What it does use is here, on ``_socket`` directly: a stream socket
that can accept and be used in ``with``, a socket pair, and file
descriptors passed as ``SCM_RIGHTS`` (the same contract as
``socket.send_fds`` and ``socket.recv_fds``).  The modules that handle
signals use ``_signal`` the same way (``signal`` only for the type checker).

>>> import os
>>> a, b = socketpair()
>>> with a, b:
...     _ = send_fds(a, [b"x"], [0])
...     data, fds, _, _ = recv_fds(b, 16, 1)
...     os.close(fds[0])
>>> data, len(fds)
(b'x', 1)
"""

from __future__ import annotations

import _socket
import errno
import os
import stat
import struct
from _socket import AF_UNIX, SHUT_WR, SO_PEERCRED, SOCK_STREAM, SOL_SOCKET

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import TracebackType

__all__ = ["AF_UNIX", "SHUT_WR", "SOCK_STREAM", "SOL_SOCKET", "SO_PEERCRED", "Socket",
           "listen_at", "listening", "peer_uid", "recv_fds", "remove_dead", "send_fds",
           "socketpair", "trusted_peer"]

_FD = struct.Struct("i")
_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


class Socket(_socket.socket):
    """A Unix stream socket (the parts of ``socket.socket`` sessmux needs)."""

    __slots__ = ()

    def __init__(self, fileno: int | None = None) -> None:
        super().__init__(AF_UNIX, SOCK_STREAM, 0, fileno)

    def accept(self) -> tuple[Socket, object]:
        fd, address = self._accept()  # type: ignore[attr-defined]  # what socket.accept uses
        return Socket(fileno=fd), address

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def listen_at(path: str, backlog: int = 16) -> Socket:
    """A socket listening at ``path``; :exc:`FileExistsError` if the name is taken.

    The socket is bound and listening under a private name in the same
    directory first and then linked into place, so the name never stands
    for a socket that refuses connections: whoever finds it can connect,
    and nobody takes a socket still being made for a dead one's leftover
    and removes it.  (Where the private name cannot be made or linked,
    ``path`` is bound directly.)
    """
    private = os.path.join(os.path.dirname(path), f".{os.getpid()}-{os.urandom(4).hex()}.new")
    sock = Socket()
    try:
        sock.bind(private)
    except OSError:
        return _bind_directly(sock, path, backlog)
    try:
        sock.listen(backlog)
        os.link(private, path)
        return sock
    except FileExistsError:
        sock.close()
        raise
    except OSError:
        sock.close()
        return _bind_directly(Socket(), path, backlog)
    finally:
        try:
            os.unlink(private)  # linked into place, or not: the private name goes
        except OSError:
            pass


def _bind_directly(sock: Socket, path: str, backlog: int) -> Socket:
    try:
        sock.bind(path)
        sock.listen(backlog)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise FileExistsError(errno.EEXIST, "socket name in use", path) from None
        raise
    return sock


def listening(path: str, timeout: float = 1.0) -> bool | None:
    """Whether a process listens at ``path``: the one test of a socket's life.

    True when a connection is accepted, False when nobody listens (the
    connection is refused: its process died; or the name is gone), None
    when it cannot be told (no permission, a full backlog past
    ``timeout``, out of descriptors): then nothing may be removed.
    """
    try:
        probe = Socket()
    except OSError:
        return None
    probe.settimeout(timeout)
    try:
        probe.connect(path)
        return True
    except (ConnectionRefusedError, FileNotFoundError):
        return False
    except OSError:
        return None
    finally:
        probe.close()


def remove_dead(path: str) -> bool:
    """Remove the socket at ``path`` if nobody listens on it; whether it is gone.

    A dead process's socket stays behind (killed masters, a crashed fork
    server).  Anything that is not a socket is left alone: it is not ours.
    """
    try:
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            return False
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if listening(path) is not False:
        return False
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass  # another one removed it first
    except OSError:
        return False
    return True


def peer_uid(sock: _socket.socket) -> int:
    """The uid of the process at the other end of a connected socket (``SO_PEERCRED``)."""
    _, uid, _ = _UCRED.unpack(sock.getsockopt(SOL_SOCKET, SO_PEERCRED, _UCRED.size))
    return int(uid)


def trusted_peer(sock: _socket.socket, uid: int | None = None) -> bool:
    """Whether the peer runs as ``uid`` (default: ours) or as root.

    Checked on every connection before anything is sent on it: a socket
    found in a directory says nothing about who listens on it, and a
    client that passes its terminal to another user's process gives that
    user its keystrokes.
    """
    try:
        theirs = peer_uid(sock)
    except OSError:
        return False
    return theirs in (os.getuid() if uid is None else uid, 0)


def socketpair() -> tuple[Socket, Socket]:
    a, b = _socket.socketpair(AF_UNIX, SOCK_STREAM)
    return Socket(fileno=a.detach()), Socket(fileno=b.detach())


def send_fds(sock: _socket.socket, buffers: Iterable[bytes], fds: Iterable[int]) -> int:
    """Send ``buffers`` with the descriptors ``fds`` (``socket.send_fds``)."""
    rights = b"".join(_FD.pack(fd) for fd in fds)
    return sock.sendmsg(list(buffers), [(SOL_SOCKET, _socket.SCM_RIGHTS, rights)])


def recv_fds(sock: _socket.socket, bufsize: int, maxfds: int
             ) -> tuple[bytes, list[int], int, object]:
    """Data and at most ``maxfds`` descriptors (``socket.recv_fds``)."""
    data, ancillary, flags, address = sock.recvmsg(bufsize, _socket.CMSG_LEN(maxfds * _FD.size))
    fds: list[int] = []
    for level, kind, payload in ancillary:
        if level == SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            whole = len(payload) - len(payload) % _FD.size
            fds += [fd for (fd,) in _FD.iter_unpack(payload[:whole])]
    return data, fds, flags, address
