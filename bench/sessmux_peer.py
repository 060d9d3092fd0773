"""Driving sessmux from the checkout, pty 4.0 style (does I/O).

The commands run from this repository: ``bin/<command>`` when the launcher
exists, else ``python3 -c 'from sessmux.commands.<command> import main'``
with ``PYTHONPATH`` at the repo root — :func:`sessmux_cmd` is the one place
that decides.  Each run gets ``SESSMUX_DIR`` = a private 0700 directory and
a ``PATH`` on which ``reconnect``/``disconnect`` resolve to this checkout,
so they can be typed inside a session.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.peers import Argv, Peer, Run, run_quiet
from bench.procs import kill_pid
from bench.term import OuterTerminal

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ("sess", "disconnect", "reconnect", "sesslist", "sesskill", "sessname")
_SESSION_LINE = re.compile(r"^session\s+(\S+)\s+pid\s+(\d+)")

# The wrapper around a detached session's program reports the session's
# name (inside a session, PTY names it) through a file, then execs.
REPORT_NAME = 'printf %s "$PTY" > "$0.tmp" && mv "$0.tmp" "$0"; '
# pty 4.0 semantics: output a connection already received is not replayed,
# so a program meant to print "while detached" starts once it is.
WAIT_DETACHED = ('until sesslist | grep -q "^session $PTY .*disconnected"; '
                 "do sleep 0.01; done; ")

# Hook: once ``bin/sessmux -a XY`` exists it attaches a fresh terminal
# without the extra ``sess reconnect`` session of pty 4.0's idiom.
ATTACH_ENV = "SESSMUX_BENCH_ATTACH"  # "sessmux-a" to use the faster path


def sessmux_cmd(command: str, *args: str) -> Argv:
    """Argv that runs one sessmux command from this checkout."""
    launcher = REPO / "bin" / command
    if launcher.is_file():
        if os.access(launcher, os.X_OK):
            return [str(launcher), *args]
        return [sys.executable, str(launcher), *args]
    module = "sessmux.commands." + command
    code = f"import sys; from {module} import main; sys.exit(main())"
    return [sys.executable, "-c", code, *args]


def _write_wrappers(bindir: Path) -> None:
    # Typed inside a session ("reconnect B; disconnect"), so they must be
    # on PATH even while bin/ does not exist yet.
    bindir.mkdir(mode=0o700, exist_ok=True)
    for command in COMMANDS:
        argv = " ".join(f"'{a}'" for a in sessmux_cmd(command))
        path = bindir / command
        path.write_text(f'#!/bin/sh\nexec {argv} "$@"\n')
        path.chmod(0o700)


class Sessmux(Peer):
    name = "sessmux"
    raw_client = True
    repaints = True

    def missing(self) -> str | None:
        if (REPO / "bin" / "sess").is_file():
            return None
        if (REPO / "sessmux" / "commands" / "sess.py").is_file():
            return None
        return "sessmux has no sess command yet (bin/sess, sessmux/commands/sess.py)"

    def extra_env(self, rundir: Path) -> dict[str, str]:
        sockdir = rundir / "sock"
        sockdir.mkdir(mode=0o700)
        bindir = REPO / "bin"
        if not (bindir / "reconnect").is_file():
            bindir = rundir / "bin"
            _write_wrappers(bindir)
        pythonpath = os.environ.get("PYTHONPATH")
        return {
            "SESSMUX_DIR": str(sockdir),
            "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PYTHONPATH": f"{REPO}:{pythonpath}" if pythonpath else str(REPO),
        }

    def attached(self, run: Run, program: Sequence[str]) -> Argv:
        return sessmux_cmd("sess", "-q", *program)

    def create_detached(self, run: Run, program: Sequence[str], until: float,
                        settled: bool = False) -> str:
        """``sess -q program`` on a pty of its own, then ``disconnect -s XY``."""
        name_file = run.dir / f"name-{run.next_name()}"
        script = REPORT_NAME + (WAIT_DETACHED if settled else "") + 'exec "$@"'
        argv = sessmux_cmd("sess", "-q", "sh", "-c", script, str(name_file), *program)
        with OuterTerminal() as term:
            term.spawn(argv, run.env)
            term.pump_until(name_file.exists, until, "sessmux session to start")
            name = name_file.read_text().strip()
            status = run_quiet(sessmux_cmd("disconnect", "-s", name), run.env)
            if status != 0:
                raise RuntimeError(f"disconnect -s {name} failed with status {status}")
            term.wait_exit(until)
        run.sessions.append(name)
        return name

    def attach(self, run: Run, name: str) -> Argv:
        if os.environ.get(ATTACH_ENV) == "sessmux-a":
            return sessmux_cmd("sessmux", "-a", name)
        return sessmux_cmd("sess", "-q", "reconnect", name)

    def list_cmd(self, run: Run) -> Argv:
        return sessmux_cmd("sesslist")

    def masters(self, run: Run) -> dict[str, int]:
        """Session name -> master pid, from ``sesslist``."""
        try:
            out = subprocess.run(
                sessmux_cmd("sesslist"), env=run.env, stdin=subprocess.DEVNULL,
                capture_output=True, timeout=20, check=False,
            ).stdout.decode(errors="replace")
        except subprocess.TimeoutExpired:
            return {}
        found = {}
        for line in out.splitlines():
            m = _SESSION_LINE.match(line)
            if m:
                found[m.group(1)] = int(m.group(2))
        return found

    def shutdown(self, run: Run) -> None:
        masters = self.masters(run)
        # sesskill is a Python start-up per session: be polite to a few,
        # the pid sweep (masters here, every tagged process after) does the rest.
        for name in list(masters)[:5]:
            run_quiet(sessmux_cmd("sesskill", "-y", "-s", name), run.env, timeout=10)
        for pid in masters.values():
            kill_pid(pid)
