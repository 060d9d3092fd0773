"""Test helpers: a real terminal (a pty we own) with a real shell in it.

A :class:`Terminal` plays the user's terminal: it starts ``bash`` on a new
pty with a private ``HOME`` and session directory, types into it, and
waits for output with a deadline (no fixed sleeps).  Everything it starts
is killed by pid when it closes.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = ROOT / "bin"
DEADLINE = 15.0


def wait_until(predicate: object, timeout: float = DEADLINE, what: str = "condition") -> None:
    """Poll ``predicate`` until it is true or the deadline passes."""
    assert callable(predicate)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def base_env(home: Path, sessdir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "SESSMUX_DIR": str(sessdir),
        # A private session registry, not the system's /tmp/sessmux-registry.
        "SESSMUX_REGISTRY": str(sessdir.parent / "registry"),
        "SESSMUX_PYTHON": sys.executable,
        "TERM": "xterm",
        "LANG": "C.UTF-8",
        "SHELL": "/bin/sh",
        "PS1": "$ ",
        "INPUTRC": str(ROOT / "tests" / "support" / "inputrc"),
    }
    env.update(extra or {})
    return env


class Terminal:
    """A pty pair we own, with a program (by default bash) on its slave side."""

    def __init__(
        self,
        env: Mapping[str, str],
        argv: list[str] | None = None,
        rows: int = 24,
        cols: int = 80,
        cwd: str | None = None,
        owner: tuple[int, int] | None = None,
    ) -> None:
        argv = argv or ["bash", "--norc", "--noprofile", "-i"]
        self.buffer = b""
        self.cursor = 0
        master, slave = os.openpty()
        if owner:
            # As login does: the user's terminal belongs to the user.
            os.fchown(slave, *owner)
            os.fchmod(slave, 0o620)
        self.set_size(rows, cols, fd=master)
        pid = os.fork()
        if pid == 0:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            if cwd:
                os.chdir(cwd)
            os.execvpe(argv[0], argv, dict(env))
        os.close(slave)
        self.fd = master
        self.pid = pid

    def set_size(self, rows: int, cols: int, fd: int | None = None) -> None:
        fcntl.ioctl(self.fd if fd is None else fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))

    def send(self, text: str | bytes) -> None:
        data = text.encode() if isinstance(text, str) else text
        os.write(self.fd, data)

    def line(self, text: str) -> None:
        self.send(text + "\r")

    def pump(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        self.buffer += data
        return bool(data)

    def expect(self, pattern: str, timeout: float = DEADLINE) -> re.Match[str]:
        """Wait for ``pattern`` in output after the last match; return the match."""
        regex = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            text = self.text[self.cursor :]
            m = regex.search(text)
            if m:
                self.cursor += m.end()
                return m
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {pattern!r}; got:\n{text[-2000:]}")
            self.pump(min(left, 0.2))

    def drain(self, quiet: float = 0.3) -> None:
        """Read until the terminal has been quiet for ``quiet`` seconds."""
        while self.pump(quiet):
            pass

    def mark(self) -> None:
        """Forget output so far for the purposes of :meth:`expect`."""
        self.drain(0.05)
        self.cursor = len(self.text)

    @property
    def text(self) -> str:
        return self.buffer.decode("utf-8", "replace")

    def run(self, command: str, timeout: float = DEADLINE) -> str:
        """Type ``command`` at the shell prompt; return what it printed."""
        token = f"__done_{time.monotonic_ns()}__"
        self.mark()
        self.line(f"{command}; echo {token[:7]}''{token[7:]} $?")
        m = self.expect(rf"([\s\S]*?){token} (\d+)", timeout)
        self.last_status = int(m.group(2))
        return m.group(1).partition("\n")[2]  # what follows the echoed command

    def close(self) -> None:
        for sig in (signal.SIGHUP, signal.SIGKILL):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                break
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        os.close(self.fd)


def start_detached(env: Mapping[str, str], *program: str) -> str:
    """A session started with ``sess -d``; stdin at EOF disconnects it at once.  Its name."""
    out = subprocess.run(["sess", "-d", "-v", *program], env=dict(env),
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    m = re.search(r"using session (\S+)", out.stderr)
    assert m, out.stderr
    return m.group(1)


class Capture:
    """A terminal's bytes in a bytearray (``Terminal.buffer`` copies on every read).

    For streams of megabytes: the rezume soak test and the rezume benchmark.
    """

    def __init__(self, term: Terminal, deadline: float = DEADLINE) -> None:
        self.term = term
        self.deadline = deadline  # the default wait
        self.data = bytearray()

    def pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self.term.fd], [], [], timeout)
        if ready:
            try:
                self.data += os.read(self.term.fd, 1 << 16)
            except OSError:
                pass

    def wait_for(self, needle: bytes, start: int = 0, what: str | None = None,
                 timeout: float | None = None) -> int:
        """Pump until ``needle`` shows up after ``start``; its position."""
        end = time.monotonic() + (self.deadline if timeout is None else timeout)
        while True:
            at = self.data.find(needle, max(0, start - len(needle)))
            if at >= 0:
                return at
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {what or repr(needle)}; "
                                     f"last bytes:\n{bytes(self.data[-600:])!r}")
            self.pump(0.05)


def kill_by_home(home: Path) -> None:
    """Kill, by pid, every process whose environment has ``home`` as HOME.

    What a test started and left behind: a fork server still being
    launched when the test ended has neither the session directory in its
    command line nor in its environment yet, but it has the test's HOME.
    """
    import psutil

    for proc in psutil.process_iter(["pid", "environ"]):
        if proc.info["pid"] == os.getpid():
            continue
        if (proc.info.get("environ") or {}).get("HOME") == str(home):
            try:
                os.kill(proc.info["pid"], signal.SIGKILL)
            except OSError:
                pass


def start_session(term: Terminal, program: str = "bash --norc --noprofile") -> str:
    """Start ``sess`` in ``term`` and return the new session's name."""
    term.mark()
    term.line(f"PS1='in''> ' sess {program}")
    term.expect(r"in> ")
    term.line("echo name=$PTY")
    return term.expect(r"name=(\w+)").group(1)


def sessions(term_env: dict[str, str], check: bool = True, timeout: float = 10) -> dict[str, str]:
    """``sesslist``'s lines by session name (``check``: sesslist must succeed)."""
    import subprocess

    out = subprocess.run(
        ["sesslist"], env=term_env, capture_output=True, text=True, check=check, timeout=timeout
    ).stdout
    return {line.split()[1]: line for line in out.splitlines()}


def owner_of(directory: str | Path) -> int | None:
    """The uid whose masters a test (often root) believes in ``directory``.

    A client trusts only masters of its own user or root; a test that
    looks after an ordinary user's sessions names that user, the owner
    of their session directory.
    """
    try:
        return os.stat(directory).st_uid
    except OSError:
        return None


def statuses(directory: str | Path) -> dict[str, dict[str, object]]:
    """The status replies of ``directory``'s sessions, by name (its owner's masters)."""
    from sessmux.client import channel

    return {str(st["name"]): st
            for st in channel.statuses(str(directory), owner=owner_of(directory))}


def kill_sessions(sessdir: Path) -> None:
    """Kill every master (and its program) that ever used ``sessdir``, by pid.

    The masters that still answer say their pids; the rest are found by the
    directory in their environment (a program's, or a master started with it).
    """
    import psutil

    from sessmux.client import channel

    for st in channel.statuses(str(sessdir), owner=owner_of(sessdir)) if sessdir.is_dir() else []:
        for pid in (st.get("pid"), st.get("slave")):
            if isinstance(pid, int) and pid > 1:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
    for proc in psutil.process_iter(["pid", "environ", "cmdline"]):
        try:
            environ = proc.info.get("environ") or {}
        except psutil.Error:
            continue
        # A fork server names its directory on its command line.
        if environ.get("SESSMUX_DIR") == str(sessdir) or str(sessdir) in (
                proc.info.get("cmdline") or []):
            try:
                os.kill(proc.info["pid"], signal.SIGKILL)
            except OSError:
                pass
