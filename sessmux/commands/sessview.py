"""``sessview``: a full-screen browser and tiled view of your sessions.

Does I/O: checks the terminal, then hands it to urwid
(:mod:`sessmux.sessview.app`) and gets it back on every exit path --
normal, error, or a hang-up or termination signal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from sessmux.commands import cli
from sessmux.core import errors, names
from sessmux.core.errors import NO_SESSION, TOOL, SessError, Signalled, by_signal
from sessmux.system.ttyio import get_winsize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sessmux.core.hostlist import Host

USAGE = "usage: sessview [-e key] [--hosts] [-H host ...] [-t [name ...]]"
HELP = USAGE + """

Browse your sessions: the list on the left (state, idle or orphaned time,
foreground command, where connected from, long name), a live read-only
preview of the selected one on the right.  Enter attaches this terminal
to it; leave the session (disconnect, or the detach key) to come back.
n new session, r set long name, k kill, / filter, space mark, t tile,
? help, q quit.

  -t        start with the named sessions tiled (all of them if none named):
            the focused tile is read-write and follows the tile's size, the
            others are watched; ^B o moves the focus, ^B d goes to the list
  -e KEY    sessions attached with Enter detach when KEY is typed
            (^A, C-a or one character; twice sends it), as sessmux -e
  --hosts   also the sessions of every host in ~/.config/sessmux/hosts,
            grouped by host (asked over ssh every few seconds); Enter on
            one attaches through rezume, and ~. comes back here
  -H HOST   also HOST's sessions (repeat for more hosts; implies --hosts)

Exit status: 0; 1 usage (also a bad hosts file); 2 no usable terminal (not a terminal, TERM=dumb,
smaller than 40x10); 8 session directory refused; 17 a named session does
not exist.  See sessview(1).
"""
MIN_COLS, MIN_ROWS = 40, 10


def check_terminal(env: dict[str, str] | os._Environ[str], fds: tuple[int, int] = (0, 1)) -> None:
    """Refuse, in one line, a terminal sessview cannot draw on."""
    if not all(os.isatty(fd) for fd in fds):
        raise SessError("standard input and output must be a terminal", TOOL)
    term = env.get("TERM", "")
    if term in ("", "dumb", "unknown"):
        raise SessError(f"TERM={term or '(unset)'}: needs a terminal that can move its cursor",
                        TOOL)
    size = get_winsize(fds[1]) or get_winsize(fds[0])
    if size is None or size[0] < MIN_ROWS or size[1] < MIN_COLS:
        shown = f"{size[1]}x{size[0]}" if size else "of unknown size"
        raise SessError(f"terminal too small ({shown}); needs at least {MIN_COLS}x{MIN_ROWS}",
                        TOOL)


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    return cli.run("sessview", USAGE, lambda: _sessview(args))


def _sessview(argv: Sequence[str]) -> int:
    if list(argv[:1]) in (["--help"], ["--version"]):
        cli.parse(argv, "", HELP)
    opts, rest = cli.getopt(argv, "te:H:", ["hosts"])
    flags = dict(opts)
    hosts = _hosts(opts)
    if rest and "-t" not in flags:
        raise cli.Usage(f"unexpected argument {rest[0]!r} (session names go with -t)")
    wanted = [names.check(n) for n in rest]
    key = None
    if "-e" in flags:
        from sessmux.commands.sessmux_options import parse_key

        key = parse_key(flags["-e"])
    check_terminal(os.environ)
    from sessmux.system import paths

    directory = paths.session_dir()  # made if missing: n starts the first session

    if wanted:
        known = set(paths.session_names(directory))
        for name in wanted:
            if name not in known:
                raise SessError(f"no session {name}", NO_SESSION)
    return _run(directory, key, wanted if "-t" in flags else None, hosts)


def _hosts(opts: cli.Options) -> list[Host] | None:
    """``--hosts``, ``-H``: the hosts whose sessions are shown too (None: this one only)."""
    if not any(opt in ("--hosts", "-H") for opt, _ in opts):
        return None
    from sessmux.remote import hosts

    try:
        return hosts.choose([v for o, v in opts if o == "-H"], ("--hosts", "") in opts)
    except errors.BadHosts as e:
        from sessmux.core.errors import USAGE as USAGE_CODE

        raise SessError(str(e), USAGE_CODE) from None


def _run(directory: str, key: int | None, tiles: list[str] | None,
         hosts: list[Host] | None = None) -> int:
    import urwid

    from sessmux.sessview.app import App

    urwid.set_encoding("utf8" if _utf8() else "ascii")
    try:
        from sessmux.sessview.typeahead import Screen

        screen = Screen()
        if hosts is None:
            App(directory, screen, key).run(tiles)
        else:
            from sessmux.sessview.hosts import HostsApp

            HostsApp(directory, screen, key, hosts).run(tiles)
    except Signalled as h:
        return by_signal(h.sig)  # the screen was stopped on the way out
    return 0


def _utf8() -> bool:
    import locale

    return "utf" in (locale.getpreferredencoding(False) or "").lower().replace("-", "")
