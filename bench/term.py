"""The user's terminal, played by the benchmark (does I/O).

An :class:`OuterTerminal` is a pty pair the benchmark owns: a command is
started on the slave side as a session leader with the slave as its
controlling tty (what a terminal emulator does for a login shell), and the
benchmark reads and writes the master side.  All waiting is bounded by a
deadline; nothing sleeps for a fixed time.

    >>> with OuterTerminal() as t:                      # doctest: +SKIP
    ...     t.spawn(["echo", "hi"], env)
    ...     t.read_until(b"hi", deadline(5))
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType

from bench.procs import kill_pid

COLS, ROWS = 120, 40
READ_SIZE = 1 << 18


class BenchTimeout(Exception):
    """A bounded wait ran out; the message says what was awaited."""


def _seen(data: bytes) -> str:
    """The end of what the terminal showed, for an error message."""
    text = data[-60:].decode(errors="replace")
    return " (terminal ended with " + repr(text) + ")" if text else " (terminal showed nothing)"


def deadline(seconds: float) -> float:
    """Absolute monotonic time *seconds* from now."""
    return time.monotonic() + seconds


def _become_controlling_tty() -> None:
    # Runs in the child after setsid(): take fd 0 (the slave) as ctty.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class OuterTerminal:
    """A 120x40 pty pair whose master side the benchmark reads."""

    def __init__(self, cols: int = COLS, rows: int = ROWS) -> None:
        self.master, self.slave = os.openpty()
        winsize = struct.pack("HHHH", rows, cols, 0, 0)
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, winsize)
        self.proc: subprocess.Popen[bytes] | None = None
        self.tail = b""  # last bytes read, for markers split across reads
        self.last = b""  # the latest bytes read, for error messages
        self.received = 0
        self.eof = False

    # -- process ---------------------------------------------------------
    def spawn(self, argv: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        """Start *argv* on the slave side: setsid + controlling tty."""
        self.proc = subprocess.Popen(
            list(argv),
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=dict(env),
            start_new_session=True,
            preexec_fn=_become_controlling_tty,  # noqa: PLW1509 - single-threaded
        )
        # Keep only the child's copies of the slave, so EOF/EIO shows exit.
        os.close(self.slave)
        self.slave = -1
        return self.proc

    def wait_exit(self, until: float) -> int:
        """Drain output until the spawned command exits; its status.

        A pidfd wakes the wait the moment the command exits, so spawn times
        are not rounded up to a polling interval.
        """
        assert self.proc is not None
        if self.proc.poll() is not None:
            return self.proc.returncode
        pidfd = os.pidfd_open(self.proc.pid)
        try:
            while self.proc.poll() is None:
                left = until - time.monotonic()
                if left <= 0:
                    raise BenchTimeout(f"command {self.proc.args!r} did not exit")
                fds = [pidfd] if self.eof else [pidfd, self.master]
                ready, _, _ = select.select(fds, [], [], left)
                if self.master in ready:
                    self._read_some(0)
            return self.proc.returncode
        finally:
            os.close(pidfd)

    def pump_until(self, predicate: Callable[[], bool], until: float, what: str) -> None:
        """Keep reading (so the command never blocks on output) until true."""
        while not predicate():
            if time.monotonic() > until:
                raise BenchTimeout(f"timed out waiting for {what}" + _seen(self.last))
            self._read_some(0.005)

    # -- output ----------------------------------------------------------
    def _read_some(self, timeout: float) -> bytes:
        if self.eof:
            # Nothing more can come; don't spin on a dead master.
            time.sleep(min(timeout, 0.01))
            return b""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.master, READ_SIZE)
        except OSError:  # EIO: every slave fd is closed
            self.eof = True
            return b""
        if not data:
            self.eof = True
        self.received += len(data)
        self.last = (self.last + data)[-200:]
        return data

    def read_until(self, marker: bytes, until: float) -> bytes:
        """Read until *marker* arrives; returns what followed it.

        The marker is looked for across read boundaries; output before it
        is discarded (the benchmark plays a terminal, it only has to read).
        """
        buf = self.tail
        while True:
            pos = buf.find(marker)
            if pos >= 0:
                rest = buf[pos + len(marker) :]
                self.tail = rest
                return rest
            buf = buf[-(len(marker) - 1) :] if len(marker) > 1 else b""
            if time.monotonic() > until:
                raise BenchTimeout(f"{marker!r} never reached the terminal" + _seen(self.last))
            chunk = self._read_some(min(0.1, max(0.0, until - time.monotonic())))
            if self.eof and not chunk:
                raise BenchTimeout(f"terminal closed before {marker!r}" + _seen(self.last))
            buf += chunk

    def drain(self) -> None:
        """Read whatever is available right now, without waiting."""
        while self._read_some(0):
            pass
        self.tail = b""

    def wait_raw(self, until: float) -> None:
        """Wait (reading on) until the terminal is out of canonical mode.

        A client switching to raw mode with TCSAFLUSH discards keys typed
        before the switch; Linux reports the slave's modes on the master.
        """
        def is_raw() -> bool:
            lflag = termios.tcgetattr(self.master)[3]
            return not lflag & (termios.ICANON | termios.ECHO)

        self.pump_until(is_raw, until, "the client to set raw mode")

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    # -- lifetime --------------------------------------------------------
    def close(self) -> None:
        """Kill the spawned command (by pid) and close both sides."""
        if self.proc is not None:
            if self.proc.poll() is None:
                kill_pid(self.proc.pid)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for fd in (self.master, self.slave):
            if fd >= 0:
                os.close(fd)
        self.master = self.slave = -1

    def __enter__(self) -> OuterTerminal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
