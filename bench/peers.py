"""How each peer is driven: raw pty, dtach, GNU screen, tmux (does I/O).

A :class:`Peer` turns "run this program attached / detached / attach to it
/ list sessions" into the peer's own command lines.  A :class:`Run` is one
use of a peer with a fresh private socket directory (mode 0700) and a tag
in the environment of everything it starts; leaving the run shuts the
peer's servers down politely, then kills every tagged process by pid.
sessmux lives in :mod:`bench.sessmux_peer`, and a round's peers in
:mod:`bench.roster` (above both).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from bench.procs import TAG_VAR, kill_tagged, new_tag

Argv = list[str]

# Variables that would make a peer think it is nested in another session.
_NESTING_VARS = ("TMUX", "TMUX_PANE", "STY", "WINDOW", "PTY", "SESSMUX_DIR", "SCREENDIR")


class Unsupported(Exception):
    """The peer has no way to do this (e.g. dtach cannot list sessions)."""


class Run:
    """One use of a peer: private directory, tagged environment, cleanup."""

    def __init__(self, peer: Peer, workdir: Path) -> None:
        self.peer = peer
        self.dir = Path(tempfile.mkdtemp(prefix=f"{peer.name}-", dir=workdir))
        os.chmod(self.dir, 0o700)
        self.tag = new_tag()
        env = {k: v for k, v in os.environ.items() if k not in _NESTING_VARS}
        env.update(TERM="xterm-256color", LC_ALL="C.UTF-8", SHELL="/bin/sh")
        env[TAG_VAR] = self.tag
        env.update(peer.extra_env(self.dir))
        self.env = env
        self.sessions: list[str] = []
        self.serial = 0

    def next_name(self) -> str:
        self.serial += 1
        return f"b{self.serial}"

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.peer.shutdown(self)
        finally:
            kill_tagged(self.tag)
            shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(predicate: Callable[[], bool], until: float, what: str) -> None:
    """Poll *predicate* until true or the deadline passes."""
    while not predicate():
        if time.monotonic() > until:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.005)  # bounded poll


def run_quiet(argv: Sequence[str], env: dict[str, str], timeout: float = 10) -> int:
    """Run a tool to completion with no terminal; its exit status."""
    return subprocess.run(
        list(argv), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, timeout=timeout, check=False,
    ).returncode


class Peer:
    """Base: a peer that can only run a program attached (the raw pty)."""

    name = "raw"
    binary: str | None = None
    #: can re-attach a fresh terminal and repaint what was printed
    repaints = False
    #: its client puts the outer terminal in raw mode; keys typed before
    #: that may be flushed by the mode change, so wait for it
    raw_client = False

    def missing(self) -> str | None:
        """Why the peer cannot run here, or None."""
        if self.binary and shutil.which(self.binary) is None:
            return f"{self.binary} not installed"
        return None

    def extra_env(self, rundir: Path) -> dict[str, str]:
        return {}

    def attached(self, run: Run, program: Sequence[str]) -> Argv:
        """Create a session running *program* and attach this terminal."""
        return list(program)

    def create_detached(self, run: Run, program: Sequence[str], until: float,
                        settled: bool = False) -> str:
        """Start a detached session; its name once it exists.

        *settled*: the program must not start before the session is
        detached, so all it prints waits for the next attach (only matters
        for peers whose sessions are born attached, like sessmux).
        """
        raise Unsupported(f"{self.name} has no detached sessions")

    def attach(self, run: Run, name: str) -> Argv:
        raise Unsupported(f"{self.name} cannot attach")

    def list_cmd(self, run: Run) -> Argv:
        raise Unsupported(f"{self.name} cannot list sessions")

    def shutdown(self, run: Run) -> None:
        """Ask the peer's servers to quit (the pid sweep follows anyway)."""

    def open_run(self, workdir: Path) -> Run:
        return Run(self, workdir)


class Dtach(Peer):
    name = "dtach"
    raw_client = True
    binary = "dtach"

    def attached(self, run: Run, program: Sequence[str]) -> Argv:
        return ["dtach", "-c", str(run.dir / "s"), "-E", "-z", *program]

    def create_detached(self, run: Run, program: Sequence[str], until: float,
                        settled: bool = False) -> str:
        name = run.next_name()
        sock = run.dir / name
        run_quiet(["dtach", "-n", str(sock), "-E", "-z", *program], run.env)
        wait_for(sock.exists, until, f"dtach socket {sock}")
        run.sessions.append(name)
        return name

    def attach(self, run: Run, name: str) -> Argv:
        return ["dtach", "-a", str(run.dir / name), "-E", "-z"]


class Screen(Peer):
    name = "screen"
    raw_client = True
    binary = "screen"
    repaints = True

    def extra_env(self, rundir: Path) -> dict[str, str]:
        return {"SCREENDIR": str(rundir)}

    def attached(self, run: Run, program: Sequence[str]) -> Argv:
        return ["screen", "-c", "/dev/null", "-S", "bench", "-q", *program]

    def create_detached(self, run: Run, program: Sequence[str], until: float,
                        settled: bool = False) -> str:
        name = run.next_name()
        run_quiet(["screen", "-c", "/dev/null", "-dmS", name, *program], run.env)
        # The socket is "<pid>.<name>" once the SCREEN backend is up.
        wait_for(lambda: any(p.name.endswith("." + name) for p in run.dir.iterdir()),
                 until, f"screen socket for {name}")
        run.sessions.append(name)
        return name

    def attach(self, run: Run, name: str) -> Argv:
        return ["screen", "-c", "/dev/null", "-r", name]

    def list_cmd(self, run: Run) -> Argv:
        return ["screen", "-ls"]

    def shutdown(self, run: Run) -> None:
        for name in run.sessions:
            run_quiet(["screen", "-S", name, "-X", "quit"], run.env, timeout=5)


class Tmux(Peer):
    name = "tmux"
    raw_client = True
    binary = "tmux"
    repaints = True

    def _base(self, run: Run) -> Argv:
        return ["tmux", "-S", str(run.dir / "sock"), "-f", "/dev/null"]

    def attached(self, run: Run, program: Sequence[str]) -> Argv:
        return [*self._base(run), "new-session", *program]

    def create_detached(self, run: Run, program: Sequence[str], until: float,
                        settled: bool = False) -> str:
        name = run.next_name()
        status = run_quiet([*self._base(run), "new-session", "-d", "-s", name, *program],
                           run.env)
        if status != 0:
            raise RuntimeError(f"tmux new-session -d failed with status {status}")
        run.sessions.append(name)
        return name

    def attach(self, run: Run, name: str) -> Argv:
        return [*self._base(run), "attach-session", "-t", name]

    def list_cmd(self, run: Run) -> Argv:
        return [*self._base(run), "ls"]

    def shutdown(self, run: Run) -> None:
        if (run.dir / "sock").exists():
            run_quiet([*self._base(run), "kill-server"], run.env, timeout=5)
