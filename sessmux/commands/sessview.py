"""``sessview``: a full-screen browser and tiled view of your sessions.

Does I/O: checks the terminal, then hands it to urwid
(:mod:`sessmux.sessview.app`) and gets it back on every exit path --
normal, error, or a hang-up or termination signal.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from sessmux.commands import cli
from sessmux.core import names
from sessmux.core.errors import NO_SESSION, TOOL, Hangup, SessError, by_signal
from sessmux.system.ttyio import get_winsize

USAGE = "usage: sessview [-e key] [-t [name ...]]"
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

Exit status: 0; 1 usage; 2 no usable terminal (not a terminal, TERM=dumb,
smaller than 40x10); 8 session directory refused; 17 a named session does
not exist.  See sessview(1).
"""
MIN_COLS, MIN_ROWS = 40, 10


def _hangup(sig: int, frame: FrameType | None) -> None:
    raise Hangup(sig)


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
    opts, rest = cli.parse(argv, "te:", HELP)
    flags = dict(opts)
    if rest and "-t" not in flags:
        raise cli.Usage(f"unexpected argument {rest[0]!r} (session names go with -t)")
    wanted = [names.check(n) for n in rest]
    key = None
    if "-e" in flags:
        from sessmux.commands.sessmux import parse_key

        key = parse_key(flags["-e"])
    check_terminal(os.environ)
    from sessmux.system import paths

    directory = paths.session_dir()  # made if missing: n starts the first session

    if wanted:
        known = set(paths.session_names(directory))
        for name in wanted:
            if name not in known:
                raise SessError(f"no session {name}", NO_SESSION)
    return _run(directory, key, wanted if "-t" in flags else None)


def _run(directory: str, key: int | None, tiles: list[str] | None) -> int:
    import urwid

    from sessmux.sessview.app import App

    urwid.set_encoding("utf8" if _utf8() else "ascii")
    old = {sig: signal.signal(sig, _hangup)
           for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGQUIT)}
    try:
        screen = urwid.display.raw.Screen()
        App(directory, screen, key).run(tiles)
    except Hangup as h:
        return by_signal(h.sig)  # the screen was stopped on the way out
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    return 0


def _utf8() -> bool:
    import locale

    return "utf" in (locale.getpreferredencoding(False) or "").lower().replace("-", "")
