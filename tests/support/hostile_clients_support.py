"""Test helpers for playing a buggy or hostile client of a master.

Does I/O.  A :class:`RawClient` speaks the control protocol on the
session's socket by hand (any frame, any descriptors); the ``proc_*``
functions read a master's resources from /proc (descriptors, resident
memory, CPU time); :func:`master_pid` asks the master itself, as
``kill_sessions`` does; :func:`assert_intact` is what every attack must
leave: a master that answers within a second and a session a fresh
terminal can pick up, showing its screen.  :data:`FUZZ` and
:func:`json_values` serve the decoders' fuzz tests (``SESSMUX_FUZZ=long``
runs them fifty times longer).
"""

from __future__ import annotations

import json
import os
import select
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path

from hypothesis import strategies as st
from terminal import Terminal, owner_of

from sessmux.client import channel as client
from sessmux.core import control_protocol

ANSWER = 1.0  # seconds a master has to answer anything (the liveness bound)
FUZZ = 10000 if os.environ.get("SESSMUX_FUZZ") == "long" else 200  # examples per fuzz test


def json_values() -> st.SearchStrategy[object]:
    """What a buggy client may put in a field: any JSON, NaN and 1e308 included."""
    leaves = (st.none() | st.booleans() | st.integers() | st.floats()
              | st.sampled_from([10**9, 1 << 64, -1, 0, 65535, 65536, 1e308])
              | st.text(max_size=80) | st.sampled_from(["rw", "ro", "x" * 5000]))
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                        max_leaves=12)


class RawClient:
    """A connection to a master that sends whatever it is told to."""

    def __init__(self, sessdir: Path, name: str, greet: bool = True) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(str(sessdir / name))
        self.decoder = control_protocol.Decoder()
        self.inbox: list[dict[str, object]] = []
        if greet:
            self.send({"t": "hello", "v": control_protocol.VERSION})

    def send(self, msg: object, fds: list[int] | None = None) -> None:
        """One frame of ``msg`` as JSON (NaN and Infinity allowed: a buggy client's)."""
        body = json.dumps(msg).encode()
        self.send_raw(struct.pack(">I", len(body)) + body, fds)

    def send_raw(self, data: bytes, fds: list[int] | None = None) -> None:
        """Send ``data``; a master that has hung up already is seen in :meth:`answer`."""
        try:
            if fds:
                socket.send_fds(self.sock, [data], fds)
            else:
                self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def answer(self, timeout: float = ANSWER) -> dict[str, object] | None:
        """The next message, or None when the master closed the connection.

        Fails if nothing comes (neither a message nor a close) in ``timeout``.
        """
        end = time.monotonic() + timeout
        while not self.inbox:
            left = end - time.monotonic()
            ready, _, _ = select.select([self.sock], [], [], max(0.0, left))
            if not ready:
                raise AssertionError(f"no answer within {timeout} s")
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                return None
            self.inbox.extend(self.decoder.feed(data))
        return self.inbox.pop(0)

    def closed(self, timeout: float = ANSWER) -> bool:
        """Whether the master closes the connection (after anything it still says)."""
        while True:
            if self.answer(timeout) is None:
                return True

    def close(self) -> None:
        self.sock.close()


def master_pid(sessdir: Path, name: str) -> int:
    """The master's pid, from its own status reply."""
    pid = client.request(str(sessdir), name, {"t": "status"},
                         owner=owner_of(sessdir))["pid"]
    assert isinstance(pid, int)
    return pid


def proc_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def proc_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def proc_cpu_seconds(pid: int) -> float:
    """User and system time the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_in_time(sessdir: Path, name: str) -> dict[str, object]:
    """A status request answered within :data:`ANSWER` seconds."""
    start = time.monotonic()
    channel = client.connect(str(sessdir), name, timeout=ANSWER, owner=owner_of(sessdir))
    try:
        channel.send({"t": "status"})
        reply = channel.receive()
    finally:
        channel.close()
    took = time.monotonic() - start
    assert reply["t"] == "status" and took < ANSWER, (reply, took)
    return reply


def assert_intact(sessdir: Path, name: str, make_terminal: Callable[..., Terminal],
                  screen: str) -> None:
    """The master answers in time, and a fresh terminal attaches and sees ``screen``.

    The session's program is ``cat`` (after printing ``screen``): what is
    typed comes back, so the session is shown to work, not only to exist.
    """
    status_in_time(sessdir, name)
    fresh = make_terminal()
    fresh.mark()
    fresh.line(f"sess reconnect -f {name}")
    fresh.expect(screen)
    fresh.send("typed-after-attack\r")
    fresh.expect(r"typed-after-attack\r?\n[\s\S]*typed-after-attack")
