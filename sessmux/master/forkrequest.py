"""Asking the fork server for a master: the tool's side, and the wire both speak.

Does I/O on one Unix socket.  The server is found by its name in the
session directory, ``.forkserver-KEY``, where KEY (:func:`key`) names the
interpreter and the code: a tool never reaches a server running other
code.  A tool connects, waits for the server's greeting, sends one
request -- its length, then the plan's fields marshalled, with the
working directory and umask -- and reads the master's report line
(:func:`sessmux.master.newmaster.answer`).  The server itself is
:mod:`sessmux.master.forkserver`.
"""

from __future__ import annotations

import marshal
import os
import struct
import sys

from sessmux.system import unix

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from sessmux.master.newmaster import Plan

PREFIX = ".forkserver-"
MAX_REQUEST = 1 << 20
TIMEOUT = 5.0  # a server that does not greet in this time is passed over (the tool forks)
REPORT_TIMEOUT = 30.0  # once greeted, the tool waits this long for the master's report
GREETING = b"ready\n"
_LENGTH = struct.Struct(">I")


def key() -> str:
    """Which interpreter and which code: a server only serves its own kind."""
    # The whole package, subpackages included: the fork server lives in
    # sessmux/master/, and a change anywhere below sessmux/ is new code.
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    modules = []
    for folder, subfolders, files in os.walk(top):
        subfolders[:] = [d for d in subfolders if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                try:
                    modules.append(f"{os.path.relpath(path, top)}:{os.stat(path).st_mtime_ns}")
                except OSError:
                    pass
    stamp = [sys.executable, sys.version, top, *sorted(modules)]
    value = 0
    for byte in "\n".join(stamp).encode("utf-8", "surrogateescape"):
        value = (value * 131 + byte) % (1 << 61)  # a polynomial hash: hashlib costs start-up
    return format(value, "x")


def socket_path(directory: str) -> str:
    return os.path.join(directory, PREFIX + key())


# -- the tool's side ----------------------------------------------------------


def ask(plan: Plan) -> str | None:
    """The master's report line ("" if none came), or None when no server answers.

    The request goes only to a server that has greeted: one that has not
    in :data:`TIMEOUT` is passed over before it has anything to act on,
    so a slow server and the tool never both make the session.
    """
    sock = unix.Socket()
    sock.settimeout(TIMEOUT)
    try:
        sock.connect(socket_path(plan.directory))
        # Another user's server would get the plan (environment and all).
        greeted = unix.trusted_peer(sock) and _readline(sock) == GREETING
    except OSError:
        greeted = False
    if not greeted:
        sock.close()
        return None
    request = {**plan.fields(), "cwd": _cwd(), "umask": _umask()}
    body = marshal.dumps(request)
    try:
        sock.settimeout(REPORT_TIMEOUT)
        sock.sendall(_LENGTH.pack(len(body)) + body)
        return _readline(sock).decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        sock.close()


def _readline(sock: unix.Socket) -> bytes:
    """One line (the master's report), or what came before the end of the stream."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:
        return "/"


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


# -- the server's side ---------------------------------------------------------


def read_request(conn: unix.Socket) -> dict[str, Any]:
    head = _recv_exactly(conn, _LENGTH.size)
    (size,) = _LENGTH.unpack(head)
    if size > MAX_REQUEST:
        raise ValueError(f"request of {size} bytes")
    request = marshal.loads(_recv_exactly(conn, size))
    if not isinstance(request, dict):
        raise ValueError("not a request")
    return request


def _recv_exactly(conn: unix.Socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ValueError("request cut short")
        data += chunk
    return data
