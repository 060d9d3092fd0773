"""Driving sessmux from the checkout, pty 4.0 style (does I/O).

The commands run from this repository the way install.sh's launchers run
an installed copy: ``python -S`` with the checkout and the interpreter's
site-packages on the path (:func:`sessmux_cmd` is the one place that
decides).  Each run gets ``SESSMUX_DIR`` = a private 0700 directory and a
``PATH`` on which ``reconnect``/``disconnect`` resolve to wrappers of
those, so they can be typed inside a session.
"""

from __future__ import annotations

import compileall
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.peers import Argv, Peer, Run, run_quiet
from bench.procs import kill_pid

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ("sess", "disconnect", "reconnect", "sesslist", "sesskill", "sessname", "sessmux")
_SESSION_LINE = re.compile(r"^session\s+(\S+)\s+pid\s+(\d+)")

# A fresh terminal attaches with ``sessmux -a XY``; "sess-reconnect" here
# measures pty 4.0's idiom instead (an extra session that hands over).
ATTACH_ENV = "SESSMUX_BENCH_ATTACH"


def sessmux_cmd(command: str, *args: str) -> Argv:
    """Argv that runs one sessmux command from this checkout.

    As install.sh's launchers run an installed one: ``python -S`` with the
    package and this interpreter's site-packages put on the path directly.
    """
    paths = [str(REPO), *_site_paths()]
    code = (f"import sys; sys.path[:0] = {paths!r}; "
            f"from sessmux.commands.{command} import main; "
            "from sessmux.commands.cli import leave; leave(main())")
    return [sys.executable, "-S", "-c", code, *args]


def _site_paths() -> list[str]:
    import sysconfig

    return sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")})


def _write_wrappers(bindir: Path) -> None:
    # Typed inside a session ("reconnect B; disconnect"), so they must be on PATH.
    bindir.mkdir(mode=0o700, exist_ok=True)
    for command in COMMANDS:
        argv = " ".join(shlex.quote(a) for a in sessmux_cmd(command))
        path = bindir / command
        path.write_text(f'#!/bin/sh\nexec {argv} "$@"\n')
        path.chmod(0o700)


class Sessmux(Peer):
    name = "sessmux"
    raw_client = True
    repaints = True

    def missing(self) -> str | None:
        if (REPO / "sessmux" / "commands" / "sess.py").is_file():
            return None
        return "sessmux has no sess command yet (sessmux/commands/sess.py)"

    def extra_env(self, rundir: Path) -> dict[str, str]:
        # An installed sessmux has its bytecode compiled; a checkout run with
        # PYTHONDONTWRITEBYTECODE would compile every module at every start.
        compileall.compile_dir(str(REPO / "sessmux"), quiet=1)
        sockdir = rundir / "sock"
        sockdir.mkdir(mode=0o700)
        bindir = rundir / "bin"
        _write_wrappers(bindir)
        return {
            "SESSMUX_DIR": str(sockdir),
            # A registry of the run's own: not every entry ever left in /tmp.
            "SESSMUX_REGISTRY": str(rundir / "registry"),
            "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            # The launchers run this interpreter itself, not whatever "python3"
            # finds first (a version manager's shim costs more than sessmux).
            "SESSMUX_PYTHON": sys.executable,
        }

    def attached(self, run: Run, program: Sequence[str]) -> Argv:
        return sessmux_cmd("sess", "-q", *program)

    def create_detached(self, run: Run, program: Sequence[str], until: float,
                        settled: bool = False) -> str:
        """``sessmux -n NAME program``: a session with nobody attached from the start."""
        name = run.next_name()
        argv = sessmux_cmd("sessmux", "-n", "-w", name, *program)
        status = run_quiet(argv, run.env, timeout=max(1.0, until - time.monotonic()))
        if status != 0:
            raise RuntimeError(f"sessmux -n {name} failed with status {status}")
        run.sessions.append(name)
        return name

    def attach(self, run: Run, name: str) -> Argv:
        if os.environ.get(ATTACH_ENV) == "sess-reconnect":
            return sessmux_cmd("sess", "-q", "reconnect", name)  # pty 4.0's idiom
        return sessmux_cmd("sessmux", "-a", name)

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


class SessmuxNoScreen(Sessmux):
    """sessmux with its screen model switched off: what the model costs."""

    name = "sessmux-noscreen"

    def extra_env(self, rundir: Path) -> dict[str, str]:
        return {**super().extra_env(rundir), "SESSMUX_SCREEN": "off"}


class SessmuxNoJournal(Sessmux):
    """sessmux keeping no journal on disk (SESSMUX_JOURNAL=0): what the journal costs."""

    name = "sessmux-nojournal"

    def extra_env(self, rundir: Path) -> dict[str, str]:
        return {**super().extra_env(rundir), "SESSMUX_JOURNAL": "0"}
