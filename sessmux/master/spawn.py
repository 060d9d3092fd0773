"""Starting a session, on the tool's side: a master daemon for a plan.

Does I/O (fork).  ``start`` first refuses a program that cannot be run,
then asks the directory's fork server (:mod:`sessmux.master.forkserver`) for the
master, or forks twice itself, so the master is a daemon that no shell
waits for, detached from every terminal, ignoring HUP/INT/QUIT/TSTP.  What
the master does then is :mod:`sessmux.master.newmaster`'s.
"""

from __future__ import annotations

import os
import stat

from sessmux.core.errors import CANNOT_RUN, INTERNAL, NOT_FOUND, SessError
from sessmux.core.names import visible
from sessmux.master.newmaster import Options, Plan, answer, claim, report, run_master

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Options", "Plan", "answer", "claim", "start", "check_program"]


def start(plan: Plan) -> tuple[str, int, str]:
    """Start a session; return its name, the master's pid and a note on utmp.

    The directory's fork server makes the master when one runs; otherwise
    this process forks it, and starts a server for the next session.
    A program that cannot be run starts nothing (no master, no server).
    Raises :class:`SessError` with the master's own report if it fails.
    """
    check_program(plan.argv[0], plan.env)
    if os.environ.get("SESSMUX_FORKSERVER") == "off":
        return _fork_master(plan)
    from sessmux.master import forkrequest, forkserver

    line = forkrequest.ask(plan)
    if line is not None:
        return answer(line)
    started = _fork_master(plan)
    forkserver.launch(plan.directory)
    return started


def _fork_master(plan: Plan) -> tuple[str, int, str]:
    report_r, report_w = os.pipe()
    try:
        child = os.fork()
    except OSError as e:
        raise SessError(f"cannot fork: {e.strerror}", INTERNAL) from None
    if child == 0:
        os.close(report_r)
        try:
            if os.fork() != 0:
                os._exit(0)
            os.setsid()  # the master leads the pty's session, away from ours
            run_master(report_w, plan)
        except BaseException as e:
            report(report_w, f"err {INTERNAL} master failed to start: {e}")
        os._exit(0)
    os.close(report_w)
    os.waitpid(child, 0)
    with os.fdopen(report_r, "rb") as f:
        # One line; the program holds a copy of the pipe until it execs.
        return answer(f.readline().decode("utf-8", "replace"))


def check_program(program: str, env: Mapping[str, str]) -> None:
    """Refuse a program that execvp would not run: no master waits for it to fail.

    As execvp looks: a name with a slash is a path, others are looked for
    in the program's own ``PATH``.  The shell's codes: 127 when there is no
    such program, 126 when there is one but it cannot be run.
    """
    if "/" in program:
        places = [program]
    else:
        places = [os.path.join(d, program) for d in env.get("PATH", os.defpath).split(":")]
    found = False
    for path in places:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode) and os.access(path, os.X_OK):
            return
        found = True
    if found:
        raise SessError(f"cannot run {visible(program)}: Permission denied", CANNOT_RUN)
    raise SessError(f"cannot run {visible(program)}: No such file or directory", NOT_FOUND)
