"""``sess``: start a session and connect to it (pty 4.0 ``pty -s``)."""

from __future__ import annotations

import os
import sys
import termios

from sessmux.client.signaller import Signaller, steer
from sessmux.commands import cli
from sessmux.master import spawn
from sessmux.system import paths
from sessmux.system.ttyio import get_winsize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from sessmux.system.ttyio import Attrs

USAGE = "usage: sess [-qQv] [-d] [-rR] [-f] [-b size] [-J size] [program [arg ...]]"
HELP = USAGE + """

Start a session running PROGRAM (default: $SHELL) on a pseudo-terminal of
its own, and connect this terminal to it.  The session survives the loss
of its connection; pick it up again with `sess reconnect NAME`.

  -q        quiet: no info or warning messages
  -Q        normal messages (default)
  -v        verbose: also say which session is used
  -d        detached: leave the terminal's modes alone (network logins)
  -r        follow reconnect targets read-write (default)
  -R        follow reconnect targets as a read-only watcher (^C leaves)
  -f        take over a reconnect target that is connected elsewhere
  -b SIZE   replay buffer of the new session (bytes, or 64k, 16m; default 256k)
  -J SIZE   journal of the new session on disk (default $SESSMUX_JOURNAL or 64m;
            0: none); see sesslog(1)

Exit status: the program's (128+N if killed by signal N); 1 usage,
8 session directory problem, 10 cannot fork or make a pty, 11
communications trouble, 12 out of descriptors, memory or disk space,
16 already connected somewhere else, 17 no such session, 126 the program
cannot be run, 127 no such program.  See sess(1).
"""
DEFAULT_BUFFER = 256 * 1024
DEFAULT_JOURNAL = 64 << 20


def journal_size(given: str | None) -> int:
    """-J SIZE, else ``$SESSMUX_JOURNAL``, else 64 MiB: the journal's bound (0: no journal)."""
    if given is None:
        given = os.environ.get("SESSMUX_JOURNAL") or None
        if given is None:
            return DEFAULT_JOURNAL
        try:
            return parse_size(given)
        except cli.Usage:
            raise cli.Usage(f"bad SESSMUX_JOURNAL size {given!r}") from None
    return parse_size(given)


def parse_size(text: str) -> int:
    """``65536``, ``64k``, ``16M`` → bytes (0 disables the replay buffer)."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    scale = units.get(text[-1:].lower(), 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit():
        raise cli.Usage(f"bad buffer size {text!r}")
    return int(digits) * scale


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("sess", USAGE, lambda: _sess(args))


def _sess(argv: Sequence[str]) -> int:
    opts, program = cli.parse(argv, "qQvdrRfb:J:", HELP)
    quiet = verbose = detached = force = False
    mode = "rw"
    ring = DEFAULT_BUFFER
    journal: str | None = None
    for opt, value in opts:
        if opt == "-q":
            quiet, verbose = True, False
        elif opt == "-Q":
            quiet = verbose = False
        elif opt == "-v":
            quiet, verbose = False, True
        elif opt == "-d":
            detached = True
        elif opt == "-r":
            mode = "rw"
        elif opt == "-R":
            mode = "ro"  # pty 4.0 -R: output only; here a read-only watcher
        elif opt == "-f":
            force = True
        elif opt == "-b":
            ring = parse_size(value)
        elif opt == "-J":
            journal = value
    journal_bound = journal_size(journal)
    if not program:
        program = [os.environ.get("SHELL") or "/bin/sh"]
    directory = paths.session_dir()
    attrs: Attrs | None = None
    size: tuple[int, int] | None = None
    if not detached:
        for fd in (0, 1):
            if os.isatty(fd):
                attrs = attrs or termios.tcgetattr(fd)
                size = size or get_winsize(fd)
    options = spawn.Options(ring_size=ring, log_path=os.environ.get("SESSMUX_LOG"),
                            journal_size=journal_bound)
    name, _, _ = spawn.start(
        spawn.Plan(directory, program, os.environ, attrs, size or (24, 80), options))
    signaller = Signaller(
        directory, "sess", quiet=quiet, detached=detached, follow=(mode, force)
    )
    if verbose:
        signaller.say("info", f"using session {name}")
    return steer(signaller, name, first=True)
