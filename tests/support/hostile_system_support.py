"""Test helpers for hostile conditions: many masters, another user's traps, a full disk.

Does I/O.  ``FakeMasters`` is one process listening on many sockets in a
session directory and answering status requests with the real protocol
(:mod:`sessmux.core.control_protocol`): a listing cannot tell it from that many real
masters, which would cost a process (and megabytes) each.  ``Trap`` is
another user's socket that records what every connection to it sent
(bytes and passed descriptors).  ``full_tmpfs`` mounts a small tmpfs and
fills it (blocks and inodes).  Run as a program, this file is the fake
masters' or the trap's process (the trap needs only the standard library,
so another user can run it with the system's python).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent


class Helper:
    """A helper process that says ``ready`` on stdout once it listens; killed by pid."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, env=env, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # ends at "ready" or at the process's end
        if line.strip() != "ready":
            self.close()
            raise AssertionError(f"helper {argv[-3:]} did not start: {line!r}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class FakeMasters(Helper):
    """``count`` sessions ``fake0000``… in ``directory``, all served by one process."""

    def __init__(self, directory: Path, count: int) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        super().__init__([sys.executable, str(HERE), "masters", str(directory), str(count)], env)
        self.names = [fake_name(i) for i in range(count)]


def fake_name(i: int) -> str:
    return f"fake{i:04d}"


class Trap(Helper):
    """A socket at ``path`` listening as ``argv_prefix``'s user; what it got goes to ``log``."""

    def __init__(self, prefix: Sequence[str], path: Path, log: Path) -> None:
        self.log = log
        super().__init__([*prefix, "/usr/bin/python3", str(HERE), "trap", str(path), str(log)])

    def connections(self) -> list[tuple[int, int]]:
        """(bytes, descriptors) received on each connection that has ended."""
        try:
            text = self.log.read_text()
        except FileNotFoundError:
            return []
        return [(int(a), int(b)) for a, b in (ln.split() for ln in text.splitlines())]


@contextlib.contextmanager
def full_tmpfs(where: Path) -> Iterator[Path]:
    """A small tmpfs mounted at ``where`` (root only), unmounted after; :func:`fill` fills it."""
    where.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k,nr_inodes=256,mode=0755",
                    "tmpfs", str(where)], check=True, capture_output=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def fill(where: Path) -> None:
    """Use up every inode and every block of the file system at ``where``."""
    junk = where / ".junk"
    junk.mkdir(exist_ok=True)
    i = 0
    while True:  # inodes
        try:
            (junk / str(i)).touch()
        except OSError:
            break
        i += 1
    fd = None
    for name in os.listdir(junk):
        try:
            fd = os.open(junk / name, os.O_WRONLY)
            break
        except OSError:
            continue
    assert fd is not None
    block = b"x" * 65536
    try:
        while True:  # blocks
            try:
                os.write(fd, block)
            except OSError:
                if len(block) == 1:
                    break
                block = block[: len(block) // 2]
    finally:
        os.close(fd)


# -- the helper processes ----------------------------------------------------


def _serve_masters(directory: str, count: int) -> None:
    import resource
    import select
    import socket

    from sessmux.core import control_protocol

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 2 * count + 256), hard))
    started = time.time()
    listeners: dict[int, tuple[socket.socket, str]] = {}
    conns: dict[int, tuple[socket.socket, control_protocol.Decoder, str]] = {}
    poller = select.poll()
    for i in range(count):
        name = fake_name(i)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(os.path.join(directory, name))
        sock.listen(64)
        sock.setblocking(False)
        listeners[sock.fileno()] = (sock, name)
        poller.register(sock.fileno(), select.POLLIN)

    def status(name: str) -> control_protocol.Message:
        return {"t": "status", "name": name, "longname": "", "pid": os.getpid(),
                "slave": os.getpid(), "connected": False, "watchers": 0, "reco": None,
                "created": started, "activity": started, "disconnected_at": started,
                "exited": 0, "remote": "", "buffer": 0}

    print("ready", flush=True)
    while True:
        for fd, _ in poller.poll():
            if fd in listeners:
                listener, name = listeners[fd]
                while True:
                    try:
                        conn, _ = listener.accept()
                    except BlockingIOError:
                        break
                    conn.setblocking(False)
                    conns[conn.fileno()] = (conn, control_protocol.Decoder(), name)
                    poller.register(conn.fileno(), select.POLLIN)
                continue
            conn, decoder, name = conns[fd]
            try:
                data, ancillary, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
                for _, _, payload in ancillary:  # an attach passes descriptors: not kept
                    for at in range(0, len(payload) - len(payload) % 4, 4):
                        os.close(int.from_bytes(payload[at:at + 4], sys.byteorder))
                msgs = decoder.feed(data) if data else None
            except BlockingIOError:
                continue
            except (OSError, control_protocol.ProtocolError):
                msgs = None
            for msg in msgs or []:
                if msg.get("t") == "status":
                    conn.send(control_protocol.encode(status(name)))
                elif msg.get("t") != "hello":
                    conn.send(
                        control_protocol.encode({"t": "error", "code": 2, "msg": "a fake master"})
                    )
            if msgs is None:
                poller.unregister(fd)
                del conns[fd]
                conn.close()


def _trap(path: str, log: str) -> None:
    """Listen at ``path``; for each connection, log the bytes and descriptors it sent."""
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    os.chmod(path, 0o777)  # anyone may connect: that is the bait
    sock.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = sock.accept()
        conn.settimeout(3)
        received = passed = 0
        try:
            while True:
                data, ancillary, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
                for _, _, payload in ancillary:
                    passed += len(payload) // 4
                received += len(data)
                if not data:
                    break
        except OSError:
            pass
        conn.close()
        with open(log, "a") as f:
            f.write(f"{received} {passed}\n")


if __name__ == "__main__":
    if sys.argv[1] == "masters":
        _serve_masters(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "trap":
        _trap(sys.argv[2], sys.argv[3])
